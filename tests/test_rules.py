"""One parametrised test over the rule fixtures: each `tests/fixtures/rules/NAME.md` is a small
note (sections written in the rule's style, and look-alikes that must give nothing) and
`NAME.yaml` lists exactly the cards expected from it."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from notedeck.config import Config
from notedeck.extract import Extraction, extract_file
from notedeck.sources import NoteFile
from notedeck.terms import normalise_term
from tests.conftest import FIXTURES

RULE_FIXTURES = sorted((FIXTURES / "rules").glob("*.md"))


def _extract(path: Path) -> Extraction:
    result = Extraction()
    extract_file(NoteFile(path, path.parent), Config(), result)
    return result


def _similar(want: str, got: str) -> bool:
    """A definition as the corpus scores one: contained, or close enough (ratio 0.5)."""
    want, got = " ".join(want.split()).casefold(), " ".join(got.split()).casefold()
    return want in got or difflib.SequenceMatcher(None, want, got, autojunk=False).ratio() >= 0.5


@pytest.mark.parametrize("note", RULE_FIXTURES, ids=lambda p: p.stem)
def test_rule_fixture(note: Path) -> None:
    """Exactly the expected cards come out: the same terms, each with its definition (matched
    as the corpus scores them), and nothing else."""
    expected = yaml.safe_load(note.with_suffix(".yaml").read_text(encoding="utf-8"))
    result = _extract(note)
    assert result.errors == []
    left = list(result.cards)
    missing = []
    for card in expected.get("cards") or []:
        term = normalise_term(str(card["term"]))
        match = next(
            (
                got
                for got in left
                if normalise_term(got.term) == term
                and _similar(str(card["definition"]), got.definition)
            ),
            None,
        )
        if match is None:
            missing.append((card["line"], card["term"]))
        else:
            left.remove(match)
    extra = [(c.location.line, c.term, c.definition[:40]) for c in left]
    assert (missing, extra) == ([], [])


def test_every_rule_has_a_fixture() -> None:
    from notedeck.config import RULE_NAMES

    assert sorted(p.stem for p in RULE_FIXTURES if p.stem in RULE_NAMES) == sorted(RULE_NAMES)


def test_switches_from_notedeck_yaml_and_front_matter() -> None:
    """`notedeck.yaml` narrows the rules and the term limit and adds a meta section; a note's
    front matter `notedeck:` overrides them for that note."""
    from notedeck.extract import extract_paths

    folder = FIXTURES / "rules" / "switches"
    result = extract_paths([folder])
    assert result.errors == []
    got = sorted((c.location.path.rsplit("/", 1)[-1], c.term, c.kind) for c in result.cards)
    assert got == [
        ("folder.md", "Cache", "heading"),
        ("folder.md", "Hit", "colon"),
        ("folder.md", "Miss", "colon"),
        ("own.md", "Miss", "bold"),
        ("own.md", "Write-through policy", "colon"),
    ]
    skips = {
        (d.location.path.rsplit("/", 1)[-1], d.location.line): d.message
        for d in result.decisions
        if d.verdict == "skip"
    }
    assert skips[("folder.md", 8)] == "text before the colon is too long or a sentence, not a term"
    assert skips[("folder.md", 11)] == "meta section 'Draft': about the note, not a term"
    assert skips[("own.md", 17)] == "meta section 'Terms': about the note, not a term"
    assert skips[("own.md", 8)] == (
        "'Queue': no enabled rule found a term here (switched off by the settings: "
        "explicit, question, heading, table, bullet, deflist, sentence)"
    )


def test_check_says_why_a_terse_item_is_no_card() -> None:
    """`- logs written to disk` only says where a thing is put: `check` says so, and how a
    definition reads; `- boot loader kept in flash memory and …` is a card."""
    result = _extract(FIXTURES / "rules" / "sentence.md")
    skips = {d.location.line: d.message for d in result.decisions if d.verdict == "skip"}
    assert skips[51] == (
        "'logs': says where it is put, not what it is (a definition says 'X is …')"
    )
    assert 50 not in skips
    assert [c.term for c in result.cards if c.location.line == 50] == ["boot loader"]
