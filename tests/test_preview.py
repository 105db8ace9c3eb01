"""`notedeck preview`: one offline page of every card, checked in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from notedeck.preview import math_html
from tests.cdp import CHROMIUM, FLAGS, needs_chromium
from tests.conftest import FIXTURES, run_cli


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("preview")
    shutil.copytree(FIXTURES / "render", work / "notes")
    # A note that tries every way to run code; none of it may run in the page.
    (work / "notes" / "hostile.md").write_text(
        "# Hostile\n\nAttempt\n?\n"
        "<script>document.title = 'pwned-script'</script>"
        '<img src="img/diagram.png" onerror="document.title = \'pwned-onerror\'">'
        "<img src=x onerror=\"document.title = 'pwned-onerror2'\">"
        "<svg onload=\"document.title = 'pwned-svg'\"></svg>"
        "<a href=\"javascript:document.title = 'pwned-link'\">x</a>"
        "<iframe srcdoc=\"<script>parent.document.title = 'pwned-frame'</script>\"></iframe>\n",
        encoding="utf-8",
    )
    out = work / "build" / "preview.html"
    result = run_cli("preview", str(work / "notes"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    # 19 Anki notes from 16 note files: one reversed note asks both ways, 22 cards in all.
    assert result.stdout.strip() == f"{out}: 22 cards from 16 notes"
    assert "image 'img/missing.png' not found" in result.stderr
    return out


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="notedeck-chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def test_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "Content-Security-Policy" in text and "script-src" not in text
    sources = re.findall(r'src="([^"]*)"', text)
    local = [s for s in sources if not s.startswith(("data:", "https://"))]
    assert local == [""]  # the hostile note's `<img src=x>`: missing, so shown as nothing
    assert 'src="data:image/png;base64,' in text
    # A reversed note shows both its cards; a cloze one card per deletion number.
    assert text.count("card 2 · front") == 2
    assert text.count("cloze 1 · front") == 1 and text.count("cloze 2 · front") == 1
    assert '<span class="cloze">[a unit of life]</span>' in text


@needs_chromium
def test_chromium_shows_term_code_and_image_and_runs_no_script(page: Path) -> None:
    done = _chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "Python で辞書を順に回す方法" in dom
    assert '<span class="k">for</span>' in dom  # Pygments' keyword class survived
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="構成"', dom)
    assert "<title>notedeck preview</title>" in dom
    assert _title(dom) == "notedeck preview"  # no script changed it
    assert "pwned" not in dom
    assert "<iframe" not in dom and "<script" not in dom


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    return match.group(1) if match else ""


@needs_chromium
def test_screenshot_of_a_card_is_not_blank(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "render" / "img", notes / "img")
    for name in ("images.md", "code.md"):
        shutil.copy(FIXTURES / "render" / name, notes / name)
    card = tmp_path / "card.html"
    assert run_cli("preview", str(notes), "-o", str(card)).exit_code == 0
    shot = tmp_path / "shot.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=1000,1400", card.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    colours = {pixels[i : i + 3] for i in range(0, len(pixels), 3 * 7)}
    assert len(colours) > 50  # text, borders, code colours and the image, not one flat colour
    red = bytes((220, 60, 40))
    assert red in colours  # the fixture image itself is painted


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of an 8-bit RGB or RGBA non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6)
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = row[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[x] = (row[x] + best) & 0xFF
        rows.append(row)
        previous = row
    rgb = bytearray()
    for row in rows:
        for x in range(0, stride, channels):
            rgb += row[x : x + 3]
    return width, height, bytes(rgb)


def test_unwritable_output_is_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_cli(
        "preview", str(FIXTURES / "render" / "inline.md"), "-o", str(blocker / "p.html")
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{blocker / 'p.html'}: cannot write the preview: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_notes_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("preview", str(tmp_path / "nowhere"), "-o", str(tmp_path / "p.html"))
    assert result.exit_code == 2
    assert "no such notes folder or file" in result.stderr
    assert not (tmp_path / "p.html").exists()


def test_math_becomes_mathml_and_code_stays_as_written() -> None:
    shown = math_html(
        "<p>\\(e^{i\\pi} + 1 = 0\\) and</p>\n<p>\\[a &lt; b\\]</p>"
        "<code>\\(not math\\)</code><pre><code>\\[nor this\\]</code></pre>"
    )
    assert shown.startswith(
        '<p><math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow><msup>'
        "<mi>e</mi>"
    )
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in shown
    assert "<mo>&#x0003C;</mo>" in shown  # `<` read from the escaped field, written escaped
    assert "<code>\\(not math\\)</code><pre><code>\\[nor this\\]</code></pre>" in shown
    assert "\\(e" not in shown


def test_latex_that_cannot_be_read_shows_its_source() -> None:
    assert math_html("\\(\\frac{\\) x") == '<code class="math-source">\\frac{</code> x'


def test_page_has_players_math_and_both_colour_schemes(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.count('<audio controls preload="metadata" src="data:audio/mpeg;base64,') == 1
    assert text.count('<audio controls preload="metadata" src="data:audio/ogg;base64,') == 1
    assert text.count('<video controls preload="metadata" src="data:video/mp4;base64,') == 1
    assert "[sound:" not in text
    assert text.count("<math ") == 5 and "\\(" not in text
    assert "media-src data:" in text
    assert "@media (prefers-color-scheme: dark) {\nbody:has(#theme-auto:checked) .card" in text
    assert "\nbody:has(#theme-night:checked) .card, " in text
    assert '<input type="radio" name="theme" id="theme-auto" checked>' in text
