"""How cards look: every construct of `tests/fixtures/render`, as the real Anki renders it and as
the preview page shows it, in day and in night mode, measured in Debian's Chromium.

Anki's side: the package is imported into a real collection (the `anki` package) and each
card's `card.answer()` (the answer with the note type's CSS, as Anki's reviewer receives it)
is put in a page the way the reviewer does: the body classes Anki gives a card
(`card card1`, plus `nightMode night_mode` at night), the reviewer's own stylesheet rules for
rules and play buttons, its play buttons for `[sound:…]`, and
MathJax 3.2.2 (the version Anki bundles, from npm; `make test` installs it) with Anki's config.
The pages are driven through the DevTools protocol over a pipe (tests/cdp.py), which reads the
computed styles: every piece of visible text must stand out from the colour behind it, a rule
(`<hr>`) must be a quiet line in either mode, and no raw `\\(`, `[^`, `<br>` or `[sound:` may
be left on the screen.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cdp import Browser, needs_chromium
from tests.conftest import FIXTURES, run_cli

pytestmark = needs_chromium
MATHJAX = Path(sys.prefix) / "npm" / "node_modules" / "mathjax" / "es5" / "tex-chtml-full.js"
# Anki's MathJax settings (aqt's web/js/mathjax.js), without its loader paths: the full build
# holds the packages already.
ANKI_MATHJAX_CONFIG = {
    "tex": {
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "processEnvironments": False,
        "processRefs": False,
        "packages": {"[+]": ["noerrors", "mathtools"], "[-]": ["textmacros"]},
    },
    "startup": {"typeset": False},
}
# aqt.sound.av_refs_to_play_icons: what the reviewer puts where `card.answer()` says
# `[anki:play:a:0]` (Anki's own replacement of a `[sound:…]` tag).
_AV_REF = re.compile(r"\[anki:(play:[qa]:\d+)\]")
_PLAY_ICON = """
<a class="replay-button soundLink" href=# onclick="pycmd('{0}'); return false;" draggable="false">
    <svg class="playImage" viewBox="0 0 64 64" version="1.1">
        <circle cx="32" cy="32" r="29" />
        <path d="M56.502,32.301l-37.502,20.101l0.329,-40.804l37.173,20.703Z" />
    </svg>
</a>"""
# What Anki's reviewer page adds around a card (aqt's web/css/reviewer.css): its rule, margins
# and play buttons. The card's CSS must win over it.
REVIEWER_CSS = """\
hr{background-color:#737373;margin:1em 0;border:none;height:1px}
body{margin:20px;overflow-wrap:break-word}
img{max-width:100%;max-height:95vh}
.replay-button{text-decoration:none;display:inline-flex;vertical-align:middle;margin:3px}
.replay-button svg{width:40px;height:40px}
.replay-button svg circle{fill:#fff;stroke:#414141}
.replay-button svg path{fill:#414141}
"""
RAW = ("\\(", "\\[", "[^", "<br>", "[sound:", "[anki:")
# Text must reach this contrast with what is behind it (WCAG's ratio; 1 is the same colour,
# 21 black on white; 3 is WCAG's floor for large text).
MIN_TEXT_CONTRAST = 3.0

# Run in the page: the colours of every element with text of its own (MathML and MathJax's
# output included), of every <hr>, and what the page shows as text.
PROBE = r"""
(() => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]*)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => {
    const a = top[3] + below[3] * (1 - top[3]);
    if (!a) return [0, 0, 0, 0];
    const mix = [0, 1, 2].map((i) => (top[i] * top[3] + below[i] * below[3] * (1 - top[3])) / a);
    return [...mix, a];
  };
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      layers.push(parse(getComputedStyle(e).backgroundColor));
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const shown = (el) => {
    const s = getComputedStyle(el);
    return el.getClientRects().length > 0 && s.visibility !== "hidden" && s.display !== "none"
      && Number(s.opacity) > 0;
  };
  const texts = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["STYLE", "SCRIPT", "TITLE"].includes(el.tagName) || !shown(el)) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.data)
      .join("").trim();
    if (!own && !["MJX-CONTAINER", "math"].includes(el.tagName)) continue;
    const bg = behind(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    texts.push({tag: el.tagName.toLowerCase(), cls: el.className && String(el.className),
                text: own.slice(0, 40), ratio: contrast(fg, bg)});
  }
  const rules = [...document.querySelectorAll("hr")].filter(shown).map((el) => {
    // A rule is its own background (as Anki draws it) or its top border (a browser's default).
    const under = behind(el.parentElement);
    const style = getComputedStyle(el);
    const fill = parse(style.backgroundColor);
    const line = over(fill[3] ? fill : parse(style.borderTopColor), under);
    return {cls: el.className || el.id, ratio: contrast(line, under)};
  });
  const count = (s) => document.querySelectorAll(s).length;
  return {
    texts, rules, shown: document.body.innerText,
    background: luminance(behind(document.body)),
    counts: {math: count("math"), mathjax: count("mjx-container"), audio: count("audio"),
             video: count("video"), play: count(".replay-button"), rows: count(".row-table tr"),
             footnotes: count(".footnotes li"), ruby: count("ruby rt"), hr: rules.length},
  };
})()
"""


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("visual")
    shutil.copytree(FIXTURES / "render", work / "notes")
    return work


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # File pages load MathJax's fonts from files beside its script.
    with Browser("--allow-file-access-from-files") as started:
        yield started


def look(browser: Browser, url: str, scheme: str, switch: str = "") -> dict[str, Any]:
    """What `PROBE` measures on the page at `url` with the system in `scheme`."""
    browser.colour_scheme(scheme)
    browser.open(url)
    if switch:  # the preview's day/night switch, as a click on its radio button would set it
        browser.evaluate(f"document.getElementById('theme-{switch}').click()")
    if browser.evaluate("typeof MathJax") == "object":
        browser.evaluate("MathJax.startup.promise.then(() => MathJax.typesetPromise())")
    found: dict[str, Any] = browser.evaluate(PROBE)
    return found


def assert_reads_well(found: dict[str, Any], night: bool, where: str) -> None:
    """Nothing the same colour as its background; quiet rules; no raw syntax on screen."""
    low = [t for t in found["texts"] if t["ratio"] < MIN_TEXT_CONTRAST]
    assert low == [], f"{where}: text too close to its background: {low}"
    loud = [r for r in found["rules"] if not 1.15 <= r["ratio"] <= 3.5]
    assert loud == [], f"{where}: a rule is invisible or glaring: {loud}"
    raw = [s for s in RAW if s in found["shown"]]
    assert raw == [], f"{where}: raw syntax on screen: {raw}"
    if night:
        assert found["background"] < 0.03, where  # a dark page, not a white one
    else:
        assert found["background"] > 0.8, where


def worst(found: list[dict[str, Any]]) -> float:
    """The lowest text contrast measured over some pages (printed with -s)."""
    return min(t["ratio"] for page in found for t in page["texts"])


@pytest.mark.parametrize(
    ("scheme", "switch", "night"),
    [
        ("light", "", False),
        ("dark", "", True),
        ("light", "night", True),
        ("dark", "day", False),
    ],
    ids=["system-day", "system-night", "switched-night", "switched-day"],
)
def test_preview_reads_well(
    notes: Path, browser: Browser, scheme: str, switch: str, night: bool
) -> None:
    page = notes / "preview.html"
    if not page.exists():
        result = run_cli("preview", str(notes / "notes"), "-o", str(page))
        assert result.exit_code == 0, result.stderr
    found = look(browser, page.as_uri(), scheme, switch)
    assert_reads_well(found, night, f"preview ({scheme}, switch {switch or 'auto'})")
    counts = found["counts"]
    assert counts["math"] == 5  # math.md's five formulas, drawn by Chromium from MathML
    assert (counts["audio"], counts["video"]) == (2, 1)  # media.md
    assert counts["rows"] == 5  # table-row.md: GET has three columns filled, POST two
    assert counts["footnotes"] == 4  # footnote.md's one, footnote-note.md's 2 + 1
    assert counts["ruby"] == 2  # furigana.md
    print(f"preview {scheme}/{switch or 'auto'}: lowest contrast {worst([found]):.2f}")


@pytest.fixture(scope="module")
def anki_pages(notes: Path) -> dict[str, list[tuple[str, Path]]]:
    """One page per card per mode, from `card.answer()` of the imported package."""
    helpers = pytest.importorskip("tests.anki_helpers")
    if not MATHJAX.is_file():
        pytest.skip(f"MathJax is not installed at {MATHJAX} (make test installs it from npm)")
    result = run_cli("build", str(notes / "notes"), "-o", str(notes / "build"))
    assert result.exit_code == 0, result.stderr
    pages: dict[str, list[tuple[str, Path]]] = {"day": [], "night": []}
    config = json.dumps(ANKI_MATHJAX_CONFIG)
    with helpers.collection(notes) as col:
        helpers.import_package(col, notes / "build" / "notes.apkg")
        media = Path(col.media.dir())
        for card_id in sorted(col.find_cards("")):
            card = col.get_card(card_id)
            answer = _AV_REF.sub(lambda m: _PLAY_ICON.format(m.group(1)), card.answer())
            for tag in card.answer_av_tags():  # Anki plays these files of its media folder
                assert (media / tag.filename).is_file(), tag.filename
            name = card.note()["Topic"] or card.note().fields[0][:20]
            for mode, classes in (("day", ""), ("night", " nightMode night_mode")):
                page = notes / f"anki-{card_id}-{mode}.html"
                page.write_text(
                    '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
                    f"<style>{REVIEWER_CSS}</style>\n"
                    f"<script>window.MathJax = {config};</script>\n"
                    f'<script src="{MATHJAX.as_uri()}"></script>\n</head>\n'
                    f'<body class="card card{card.ord + 1}{classes}">\n'
                    f'<div id="qa">{answer}</div>\n</body>\n</html>\n',
                    encoding="utf-8",
                )
                pages[mode].append((name, page))
    return pages


@pytest.mark.parametrize("mode", ["day", "night"])
def test_anki_cards_read_well(
    anki_pages: dict[str, list[tuple[str, Path]]], browser: Browser, mode: str
) -> None:
    seen = []
    for name, page in anki_pages[mode]:
        found = look(browser, page.as_uri(), "light")
        assert_reads_well(found, mode == "night", f"Anki card {name!r} ({mode})")
        seen.append(found)
    assert len(seen) == 21  # every card of every construct (18 notes)
    totals = {key: sum(page["counts"][key] for page in seen) for key in seen[0]["counts"]}
    assert totals["mathjax"] == 5  # MathJax typeset every formula, as in Anki's reviewer
    assert totals["play"] == 3  # two sounds and a video, each a play button
    assert totals["rows"] == 5
    assert totals["footnotes"] == 4
    assert totals["ruby"] == 2
    assert totals["hr"] >= 21  # every answer's rule, and the footnotes' rules, measured
    print(f"Anki {mode}: lowest contrast {worst(seen):.2f}")
