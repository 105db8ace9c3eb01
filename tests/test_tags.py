"""Tags as people write them (tags.py): inline `#tag` and `#a/b`, front matter `a/b`."""

from __future__ import annotations

from notedeck.extract import extract_paths
from notedeck.tags import anki_tag, read_inline
from tests.conftest import FIXTURES

NOTE = FIXTURES / "tags" / "inline.md"
# Every card: the front matter's tags (`python/basics` nested), the tag of the note's first
# line and the tag on a line of its own.
WHOLE_NOTE = ["python::basics", "lang", "opening", "python::idioms"]


def test_inline_tags_tag_their_section_or_the_whole_note_and_leave_the_text() -> None:
    extraction = extract_paths([NOTE])
    assert extraction.diagnostics == []
    cards = {card.term: card for card in extraction.cards}
    tags = {term: sorted(set(card.tags) - set(WHOLE_NOTE)) for term, card in cards.items()}
    assert tags == {
        "Interpreter": ["python::basics::Python", "runtime"],  # the heading's own tag
        "Decorator": ["functional", "python::basics::Python"],  # a tag inside its paragraph
        "Walrus": ["python::basics::Python"],
        "Lambda": ["python::basics::Python"],
        "Pip": ["python::basics::Tools", "tooling"],  # under `# Tools #tooling`
    }
    assert all(set(WHOLE_NOTE) <= set(card.tags) for card in cards.values())
    assert cards["Decorator"].definition == (
        "A function that wraps another function and returns the wrapper."
    )
    assert cards["Pip"].topic == ("Tools",)


def test_code_links_numbers_and_headings_are_never_tags() -> None:
    cards = {card.term: card for card in extract_paths([NOTE]).cards}
    assert cards["Walrus"].definition == (
        "An operator that assigns a value inside an expression, `x := #1`, as C# or issue "
        "#42 do not."
    )
    assert "[the docs #3](https://docs.python.org/#run)" in cards["Interpreter"].definition
    assert "[[Functions#Anonymous]]" in cards["Lambda"].definition
    assert '<a href="#lambda">' in cards["Lambda"].definition
    every = {tag for card in cards.values() for tag in card.tags}
    assert not every & {"notatag", "3", "42", "1", "run", "Anonymous", "lambda", "Python"}


def test_the_body_keeps_its_lines_where_tags_were_taken_out() -> None:
    text = NOTE.read_text(encoding="utf-8")
    inline = read_inline(text)
    assert inline.body.count("\n") == text.count("\n")
    lines = inline.body.split("\n")
    assert lines[13] == ""  # `#python/idioms` alone on line 14
    assert lines[7] == "## Interpreter"
    assert inline.note == ("opening", "python::idioms")


def test_a_tag_becomes_an_anki_tag() -> None:
    assert anki_tag("python/basics") == "python::basics"
    assert anki_tag("#a/b/c") == "a::b::c"
    assert anki_tag("data science/ml") == "data_science::ml"
    assert anki_tag("日本語/文法") == "日本語::文法"
    assert anki_tag('"quoted"') == "quoted"
