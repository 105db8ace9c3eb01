"""Any text as a note (issue 5): notedeck either returns cards or raises its own error, never
anything else, and every card it returns is whole: a term and a definition, a `path:line`
source inside the note, a GUID, and fields that hold nothing that runs code."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import notedeck
from notedeck.identity import assign_guids
from notedeck.render import card_fields
from tests.hostile_helpers import unsafe_parts

# The pieces Markdown, front matter and the card syntaxes are made of, and the characters
# that break naive code: controls, separators, BOMs, lone surrogates (invalid UTF-8 on disk).
MARKS = [
    "# ",
    "## ",
    "###### ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "  ",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "> ",
    "```",
    "~~~",
    "    ",
    "|",
    "| --- |",
    "---",
    "---\n",
    "===",
    ":",
    "：",
    "::",
    ":::",
    "?",
    "??",
    "？",
    "**",
    "__",
    "*",
    "_",
    "`",
    "==",
    "~~",
    "{{c1::",
    "}}",
    "[",
    "]",
    "(",
    ")",
    "![",
    "[[",
    "]]",
    "<",
    ">",
    "<!--",
    "-->",
    "<script>",
    "</script>",
    "<img onerror=x>",
    "javascript:",
    "&amp;",
    "&#0;",
    "$",
    "$$",
    "\\",
    "とは",
    "のことです。",
    "と呼びます",
    "「",
    "」",
    "・",
    "**用語**は",
    "Term::Definition",
    "notedeck:",
    "deck: ",
    "tags: [",
    "<!-- notedeck: skip -->",
    "\ufeff",
    "\x00",
    "\x1f",
    "\x1b",
    "\u2028",
    "\u200b",
    "\ud800",
    "🎉",
    "Ａ",
    "ｱ",
    "e\u0301",
]
pieces = st.one_of(
    st.sampled_from(MARKS),
    st.text(st.characters(codec=None), max_size=6),  # any code point, surrogates too
    st.text("abcdefgh AWSリスナー", min_size=1, max_size=12),
)
fragment = st.lists(pieces, max_size=6).map("".join)
# Lines shaped like the writing styles the rules read, with hostile text inside, so that
# many examples reach the code that makes cards, not only the code that rejects input.
STYLES = [
    "## {a}\n\n{b}\n",
    "{a}: {b}\n",
    "{a}：{b}\n",
    "- {a} - {b}\n",
    "- **{a}**: {b}\n",
    "**{a}** is {b}\n",
    "{a}::{b}\n",
    "{a}:::{b}\n",
    "{a}\n?\n{b}\n",
    "{a}とは{b}のことです。\n",
    "| {a} | {b} |\n| --- | --- |\n| {b} | {a} |\n",
    "{a}\n: {b}\n",
    "## What is {a}?\n\n{b}\n",
    "{a} {{{{c1::{b}}}}}\n",
    "---\ntitle: {a}\ntags: [{b}]\n---\n",
    "- {a}\n  - {b}\n",
    "> {a}: {b}\n",
    "```\n{a}\n",
    "{a}\n",
]
styled_line = st.builds(
    lambda style, a, b: style.format(a=a, b=b),
    st.sampled_from(STYLES),
    fragment.filter(lambda t: "{" not in t and "}" not in t)
    | st.sampled_from(["Listener", "用語"]),
    fragment | st.sampled_from(["A process that checks requests.", "データの入れ物です。"]),
)
note_text = st.one_of(
    st.lists(pieces, max_size=40).map("".join),
    st.lists(styled_line, min_size=1, max_size=8).map("\n".join),
)
SOURCE = re.compile(r"(?P<path>.+):(?P<line>\d+)")


@settings(
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=note_text)
def test_any_text_gives_whole_cards_or_notedecks_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        notes = Path(folder, "notes")
        notes.mkdir()
        note = notes / "note.md"
        note.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            cards = notedeck.extract([notes])
        except notedeck.NotedeckError as problem:
            for line in problem.format_message().splitlines():
                assert line.startswith(f"{note}:"), line
            event("error")
            return
        lines = max(1, text.count("\n") + text.count("\r") + 1)
        event(f"cards: {min(len(cards), 3)}")
        with_guids, _ = assign_guids(cards, "notedeck")
        for card in with_guids:
            assert card.term.strip(), card
            assert card.definition.strip(), card
            source = SOURCE.fullmatch(str(card.location))
            assert source is not None, card.location
            assert source["path"] == str(note)
            assert 1 <= int(source["line"]) <= lines
            assert len(card.guid) >= 8, card
            for field in card_fields(card):
                assert unsafe_parts(field) == [], field
                assert "\x00" not in field and "\x1f" not in field
