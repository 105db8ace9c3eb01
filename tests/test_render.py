"""Golden tests of rendering: each `tests/fixtures/render/NAME.md` holds one construct and
`NAME.html` the fields its cards must render to, byte for byte.

After a deliberate change to rendering, rewrite the golden files with
`NOTEDECK_REGOLD=1 pytest tests/test_render.py` and read the diff before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notedeck.extract import extract_paths
from notedeck.package import BASIC_FIELDS, CLOZE_FIELDS, CSS, light_css, night_css
from notedeck.render import (
    RenderedCard,
    _Env,
    _markdown,
    drop_comments,
    inline_html,
    markdown_html,
    plain_lines,
    render_cards,
    row_table,
    sanitise,
    with_note_footnotes,
)
from tests.conftest import FIXTURES

RENDER = FIXTURES / "render"
NOTES = sorted(RENDER.glob("*.md"))


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[RenderedCard]]:
    extraction = extract_paths([RENDER])
    assert extraction.errors == []
    by_note: dict[str, list[RenderedCard]] = {}
    for item in render_cards(extraction.cards):
        by_note.setdefault(item.card.note_path, []).append(item)
    return by_note


def golden_text(items: list[RenderedCard]) -> str:
    """The fields of a note's cards, each under a comment naming the card and the field."""
    parts = []
    for item in items:
        names = CLOZE_FIELDS if item.card.note_type == "cloze" else BASIC_FIELDS
        parts.append(f"<!-- {item.card.note_path}:{item.card.location.line} {item.model} -->")
        for name, value in zip(names, item.fields, strict=True):
            parts.append(f"<!-- {name} -->\n{value}")
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize("note", NOTES, ids=lambda p: p.stem)
def test_golden(note: Path, rendered: dict[str, list[RenderedCard]]) -> None:
    got = golden_text(rendered[note.name])
    expected = note.with_suffix(".html")
    if os.environ.get("NOTEDECK_REGOLD"):
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


def test_every_construct_has_a_golden_file() -> None:
    assert sorted(p.stem for p in RENDER.glob("*.html")) == sorted(p.stem for p in NOTES)


def test_local_images_become_hash_named_media(rendered: dict[str, list[RenderedCard]]) -> None:
    (item,) = rendered["images.md"]
    names = {m.name: m.path.name for m in item.media}
    assert names == {
        "95ccad25ef2c-diagram.png": "diagram.png",
        "e3fd491e9fdd-構成図.png": "構成図.png",
    }
    assert 'src="https://example.com/remote.png"' in item.fields[1]


def test_missing_and_escaping_images_warn_with_their_line(
    rendered: dict[str, list[RenderedCard]],
) -> None:
    (item,) = rendered["images.md"]
    shown = [str(d) for d in item.diagnostics]
    where = str(RENDER / "images.md")
    assert shown == [
        f"{where}:8: warning: image 'img/missing.png' not found",
        f"{where}:9: warning: image '../../conftest.py' is outside the notes folder; not included",
    ]


def test_raw_html_image_becomes_media(rendered: dict[str, list[RenderedCard]]) -> None:
    (item,) = rendered["sanitise.md"]
    assert [m.name for m in item.media] == ["95ccad25ef2c-diagram.png"]


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://example.com"></iframe>',
        "<svg onload=alert(1)>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<style>body{display:none}</style>",
        '<object data="x.swf"></object>',
    ],
)
def test_nothing_that_runs_survives(markup: str) -> None:
    cleaned = markdown_html(f"before {markup} after")
    lowered = cleaned.lower()
    assert "script" not in lowered
    assert "onerror" not in lowered and "onload" not in lowered
    assert "javascript:" not in lowered
    assert "<iframe" not in lowered and "<object" not in lowered and "<style" not in lowered
    assert "before" in cleaned and "after" in cleaned


def test_cloze_deletions_survive_rendering() -> None:
    text = "{{c1::*emphasis*}} and {{c2::$x^2$::a hint}} and {{c3::[link](https://a.example)}}"
    assert markdown_html(text) == (
        "<p>{{c1::<em>emphasis</em>}} and {{c2::\\(x^2\\)::a hint}} and "
        '{{c3::<a href="https://a.example" rel="noopener noreferrer">link</a>}}</p>'
    )


def test_comments_are_dropped_but_not_in_code() -> None:
    text = "keep %% drop %% this\n```\n%% stays %%\n```\n`%% also stays %%`"
    assert drop_comments(text) == "keep  this\n```\n%% stays %%\n```\n`%% also stays %%`"


def test_terms_render_inline() -> None:
    assert inline_html("**Target** `group`") == "<strong>Target</strong> <code>group</code>"


def test_sanitise_keeps_table_alignment_only() -> None:
    cleaned = sanitise('<table><tr><td style="text-align:right;color:red">1</td></tr></table>')
    assert '<td style="text-align:right">1</td>' in cleaned
    assert "color" not in cleaned


def test_note_type_css_styles_code_and_night_mode() -> None:
    assert ".highlight .k {" in CSS
    assert ".nightMode .highlight .k {" in CSS
    assert ".nightMode .card" in CSS
    assert "Noto Sans CJK JP" in CSS


def _image_problems(notes: Path, markdown: str) -> tuple[str, list[str]]:
    env = _Env(notes, notes)
    return markdown_html(markdown, env), [message for _, message in env.problems]


def test_image_paths_that_cannot_be_used_warn(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "img").mkdir(parents=True)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"outside")
    (notes / "img" / "link.png").symlink_to(secret)
    cases = {
        "![](img/link.png)": "image 'img/link.png' is outside the notes folder; not included",
        "![](img)": "image 'img' not found",
        "![](a%00b.png)": "image 'a%00b.png' cannot be read (embedded null byte)",
        "![]("
        + "x" * 300
        + ".png)": f"image '{'x' * 300}.png' cannot be read (File name too long)",
    }
    for markdown, message in cases.items():
        shown, problems = _image_problems(notes, markdown)
        assert problems == [message]
        assert "<img" not in shown


def test_image_paths_from_the_root_and_obsidian_names_resolve(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "deep" / "er").mkdir(parents=True)
    (notes / "deep" / "er" / "pic.png").write_bytes(b"bytes")
    env = _Env(notes / "deep", notes)
    shown = markdown_html("![a](/deep/er/pic.png) ![[pic.png]] ![b](er/pic.png)", env)
    assert shown.count('src="daf529a73101-pic.png"') == 3, shown
    assert env.problems == []


_PIECES = st.sampled_from(
    [
        *"ab Z1.。、（）:：-+*_`[]!<>&#$~|={}%\\\"'/?\t\n\u3000\u00a0",
        "http:",
        "ー",
        "漢字",
        "\u2028",
        "\u200b",
        "\ufeff",
        "\r",
        "\u2003",
        "é",
        "😀",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_plain_text_fast_path_renders_exactly_like_markdown_it(text: str) -> None:
    # markdown_html and inline_html take the fast path when they can; the slow path is this.
    slow_block = sanitise(_markdown().render(drop_comments(text), {})).strip()
    slow_inline = sanitise(_markdown().renderInline(drop_comments(text), {})).strip()
    assert markdown_html(text) == slow_block
    assert inline_html(text) == slow_inline


def test_fast_path_takes_plain_prose_only() -> None:
    assert plain_lines("接続を受け取る仕組み。\nポートごとに設定する") is not None
    for text in ("a *b*", "- item", "1. step", "x <b>", "see https://a.example", "　全角"):
        assert plain_lines(text) is None, text


def test_sounds_and_videos_become_hash_named_media_played_by_anki(
    rendered: dict[str, list[RenderedCard]],
) -> None:
    (item,) = rendered["media.md"]
    assert {m.name: m.path.name for m in item.media} == {
        "121b7cf9c443-lecture.mp3": "lecture.mp3",
        "a7a7b92d3ce6-pronunciation.ogg": "pronunciation.ogg",
        "789a5ee0b67f-demo.mp4": "demo.mp4",
    }
    assert item.fields[1].count("[sound:") == 3
    where = str(RENDER / "media.md")
    assert [str(d) for d in item.diagnostics] == [
        f"{where}:7: warning: sound 'media/missing.mp3' not found",
        f"{where}:8: warning: sound '../../conftest.mp3' is outside the notes folder; not included",
    ]


def test_a_vault_finds_sounds_by_name_and_a_missing_video_warns(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    (notes / "audio").mkdir(parents=True)
    (notes / "audio" / "word.mp3").write_bytes(b"ID3 bytes")
    env = _Env(notes, notes)
    shown = markdown_html("![[word.mp3]] ![[gone.webm]] ![](https://a.example/x.ogg)", env)
    assert shown == (
        '<p>[sound:472b063f905f-word.mp3] <span class="missing-video">gone.webm</span> '
        '<a href="https://a.example/x.ogg" rel="noopener noreferrer">https://a.example/x.ogg</a></p>'
    )
    assert [message for _, message in env.problems] == ["video 'gone.webm' not found"]


def test_a_table_row_is_a_two_column_table_only_in_that_form() -> None:
    assert row_table("意味: 取得\n冪等: ○") == (
        '<table class="row-table">\n<tbody>\n<tr><th>意味</th><td>取得</td></tr>\n'
        "<tr><th>冪等</th><td>○</td></tr>\n</tbody>\n</table>"
    )
    # A column without a header keeps its value across both columns.
    assert '<tr><td colspan="2">補足</td></tr>' in str(row_table("意味: 取得\n補足"))
    # A two-column table's row is its one value, even with a colon in it.
    assert row_table("Note: see RFC 9110") is None
    assert row_table("一行目\n二行目") is None


def test_footnotes_come_from_the_note_only_when_cited_and_not_held(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text("A[^a] B\n\n[^a]: first\n    more\n[^b]: second\n", encoding="utf-8")
    assert with_note_footnotes("uses [^b]", str(note)) == "uses [^b]\n\n[^b]: second"
    assert with_note_footnotes("A[^a]", str(note)) == "A[^a]\n\n[^a]: first\n    more"
    held = "x[^b]\n\n[^b]: its own"
    assert with_note_footnotes(held, str(note)) == held
    assert with_note_footnotes("`[^b]` is code", str(note)) == "`[^b]` is code"
    assert with_note_footnotes("[^zz] nowhere", str(note)) == "[^zz] nowhere"
    assert with_note_footnotes("[^b]", str(tmp_path / "gone.md")) == "[^b]"


def _rules(css: str) -> list[tuple[list[str], str]]:
    """(selectors, declarations) of each rule of a stylesheet without nesting."""
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", css)):
        found.append(([s.strip() for s in selectors.split(",")], body))
    return found


def test_every_coloured_construct_has_night_colours() -> None:
    night = {s for selectors, _ in _rules(night_css()) for s in selectors}
    coloured = re.compile(
        r"(?:^|;)\s*(?:color|background(?:-color)?|border(?:-(?:top|right|bottom|left))?"
        r"(?:-color)?)\s*:\s*(?!inherit|none)"
    )
    missing = [
        selector
        for selectors, body in _rules(light_css())
        if coloured.search(body)
        for selector in selectors
        if not selector.startswith(".highlight") and f".nightMode {selector}" not in night
    ]
    assert missing == []
    assert ".nightMode hr" in night and ".nightMode .highlight .k" in night
    assert night_css("body.dark").startswith("body.dark .card, body.dark.card {")
