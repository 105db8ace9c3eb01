"""Hostile and broken notes (issue 5, DESIGN §7): each case is a notes folder built through
the CLI. Every case checks the exact message lines, the exit code, that no traceback was
printed, that every note file is byte-identical afterwards, and that `build/` holds either
the complete new package or, byte for byte, the previous one (see hostile_helpers)."""

from __future__ import annotations

import codecs
import json
import re
import struct
import zlib
from pathlib import Path

import pytest

from notedeck.frontmatter import EXCLUDE_HINT
from tests.conftest import run_cli
from tests.hostile_helpers import (
    GOOD_TERM,
    HOSTILE,
    build_case,
    made_up_word,
    terms,
    unsafe_parts,
)


def fixture(name: str) -> dict[str, bytes]:
    """A committed fixture note, as the case's only extra file."""
    return {name: (HOSTILE / name).read_bytes()}


# (case, exit code, stderr lines, terms of the package written; None: no new package)
ALLOWED = (
    "deck, deck_mode, extra_meta_sections, highlight_cloze, link, meta_sections, reversed, rules, "
    "tag_decks, tag_prefix, term_max_chars, term_max_words, threshold"
)
FRONT_MATTER = [
    (
        "yaml-malformed.md",
        1,
        [
            "notes/yaml-malformed.md:4: front matter is not valid YAML: expected ',' or ']', "
            "but got ':'"
            f"{EXCLUDE_HINT}"
        ],
        None,
    ),
    (
        "yaml-list.md",
        1,
        ["notes/yaml-list.md:1: front matter is a list, not a mapping of keys"],
        None,
    ),
    (
        "yaml-scalar.md",
        1,
        ["notes/yaml-scalar.md:1: front matter is a string, not a mapping of keys"],
        None,
    ),
    (
        "yaml-object-tag.md",
        1,
        [
            "notes/yaml-object-tag.md:3: front matter uses the YAML tag "
            "'!!python/object/apply:os.system'; only plain values are allowed"
            f"{EXCLUDE_HINT}"
        ],
        None,
    ),
    (
        "yaml-bad-date.md",
        1,
        [
            "notes/yaml-bad-date.md:3: front matter has a value YAML cannot read: "
            "month must be in 1..12"
            f"{EXCLUDE_HINT}"
        ],
        None,
    ),
    (
        "yaml-unknown-options.md",
        0,
        [
            "notes/yaml-unknown-options.md:5: warning: unknown setting 'colour'; "
            f"allowed: {ALLOWED}",
            "notes/yaml-unknown-options.md:6: warning: unknown setting 'shuffle'; "
            f"allowed: {ALLOWED}",
        ],
        ["Health check", GOOD_TERM],
    ),
    (
        "yaml-alias-bomb.md",
        0,
        [
            "notes/yaml-alias-bomb.md:15: warning: unknown rule a list; rules: explicit, question, "
            "heading, bold, colon, table, bullet, deflist, sentence"
        ],
        ["Health check", GOOD_TERM],
    ),
    (
        "notedeck-not-mapping.md",
        0,
        [
            "notes/notedeck-not-mapping.md:2: warning: 'notedeck' must be a mapping of settings, "
            "or false; ignored"
        ],
        ["Health check", GOOD_TERM],
    ),
]


@pytest.mark.parametrize(
    ("name", "exit_code", "stderr", "expected"), FRONT_MATTER, ids=[c[0] for c in FRONT_MATTER]
)
def test_front_matter(
    tmp_path: Path, name: str, exit_code: int, stderr: list[str], expected: list[str] | None
) -> None:
    outcome = build_case(tmp_path, fixture(name))
    assert outcome.result.exit_code == exit_code
    assert outcome.stderr == stderr
    if expected is None:
        assert outcome.after == outcome.before  # nothing written
    else:
        assert terms(outcome.notes) == expected
    # The object tag would have run `touch pwned` in the working folder.
    assert not (tmp_path / "pwned").exists()


def test_front_matter_deeper_than_python_recursion(tmp_path: Path) -> None:
    deep = b"---\nvalue: " + b"[" * 5000 + b"]" * 5000 + b"\n---\n\n## Deep\n\nNested.\n"
    outcome = build_case(tmp_path, {"deep.md": deep})
    assert outcome.result.exit_code == 1
    assert outcome.stderr == ["notes/deep.md:2: front matter is nested too deeply" + EXCLUDE_HINT]
    assert outcome.after == outcome.before


def test_front_matter_with_a_character_yaml_refuses(tmp_path: Path) -> None:
    note = b"---\ntitle: Page\nbreak: a\x0cb\n---\n\n## Deep\n\nNested.\n"
    outcome = build_case(tmp_path, {"feed.md": note})
    assert outcome.result.exit_code == 1
    assert outcome.stderr == [
        "notes/feed.md:3: front matter is not valid YAML: unacceptable character #x000c: "
        "special characters are not allowed"
        f"{EXCLUDE_HINT}"
    ]


# Encodings: the bytes are made here, not committed (an editor would "fix" them).
NOTE = "## Target group\n\nWhere a load balancer sends requests.\n"
JA_NOTE = "## ターゲットグループ\n\nロードバランサーがリクエストを送る先です。\n"


def png() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


ENCODINGS = [
    ("utf8-bom", codecs.BOM_UTF8 + NOTE.encode(), 0, [], ["Target group"]),
    ("utf16-le-bom", codecs.BOM_UTF16_LE + NOTE.encode("utf-16-le"), 0, [], ["Target group"]),
    ("utf16-be-bom", codecs.BOM_UTF16_BE + NOTE.encode("utf-16-be"), 0, [], ["Target group"]),
    (
        "shift-jis",
        JA_NOTE.encode("cp932"),
        0,
        ["notes/shift-jis.md:1: warning: read as Shift_JIS (cp932); save it as UTF-8"],
        ["ターゲットグループ"],
    ),
    (
        "undecodable",
        b"## Caf\xc3\xa9\n\nA line in UTF-8.\n\nA line in Latin-1: caf\xe9\n",
        1,
        ["notes/undecodable.md:5: cannot decode as UTF-8 (byte 0xe9); save it as UTF-8"],
        None,
    ),
    ("png", png(), 1, ["notes/png.md:1: binary file, not a Markdown note"], None),
    ("zeros", b"\x00" * 4096, 1, ["notes/zeros.md:1: binary file, not a Markdown note"], None),
    ("crlf", NOTE.replace("\n", "\r\n").encode(), 0, [], ["Target group"]),
    ("lone-cr", NOTE.replace("\n", "\r").encode(), 0, [], ["Target group"]),
    (
        "nul",
        b"## Target group\n\nWhere a load\x00 balancer sends requests.\n",
        0,
        ["notes/nul.md:3: warning: control characters replaced with U+FFFD (first: U+0000)"],
        ["Target group"],
    ),
    (
        "field-separator",
        b"## Target group\n\nWhere a load\x1f balancer\x1b[31m sends requests.\n",
        0,
        [
            "notes/field-separator.md:3: warning: control characters replaced with U+FFFD "
            "(first: U+001F)"
        ],
        ["Target group"],
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "exit_code", "stderr", "expected"),
    ENCODINGS,
    ids=[c[0] for c in ENCODINGS],
)
def test_encodings(
    tmp_path: Path,
    name: str,
    content: bytes,
    exit_code: int,
    stderr: list[str],
    expected: list[str] | None,
) -> None:
    outcome = build_case(tmp_path, {f"{name}.md": content})
    assert outcome.result.exit_code == exit_code
    assert outcome.stderr == stderr
    if expected is None:
        assert outcome.after == outcome.before
        return
    notes = outcome.notes
    assert terms(notes) == sorted([*expected, GOOD_TERM])
    for note in notes:
        for field in note["fields"]:  # type: ignore[attr-defined]
            assert "\x00" not in field and "\x1b" not in field
    definition = next(n["fields"][1] for n in notes if n["fields"][0] == expected[0])  # type: ignore[index]
    assert definition.startswith("<p>Where a load") or definition.startswith("<p>ロード")


def test_control_characters_in_a_file_name_stay_out_of_fields(tmp_path: Path) -> None:
    outcome = build_case(tmp_path, {"a\x1fb\nc.md": NOTE.encode()})
    assert outcome.result.exit_code == 0
    note = next(n for n in outcome.notes if n["fields"][0] == "Target group")  # type: ignore[index]
    assert note["fields"] == [  # four fields, not five
        "Target group",
        "<p>Where a load balancer sends requests.</p>",
        "Target group",
        "a\ufffdb\nc.md › Target group",  # a line end is harmless in a field
    ]
    assert note["deck"] == "ab c"


@pytest.mark.parametrize("name", ["crlf", "lone-cr"])
def test_line_ends_keep_line_numbers(tmp_path: Path, name: str) -> None:
    text = "# Network\n\n## Target group\n\nWhere a load balancer sends requests.\n"
    ends = "\r\n" if name == "crlf" else "\r"
    (tmp_path / "n.md").write_bytes(text.replace("\n", ends).encode())
    result = run_cli("extract", "n.md", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0
    card = json.loads(result.stdout)[0]
    assert (card["term"], card["source"]) == ("Target group", "n.md:3")
    assert card["definition"] == "Where a load balancer sends requests."


# Shape: sizes and structures at the edge.
SHAPES = [
    ("empty.md", [], [GOOD_TERM]),
    ("front-matter-only.md", [], [GOOD_TERM]),
    ("unclosed-fence.md", [], ["Before", "Fenced", GOOD_TERM]),
    ("ragged-table.md", [], ["HTTP", "HTTPS", GOOD_TERM]),
    # Four headings that normalise to one term, each over a definition: one card, the one
    # the scorer rates highest (the other three are its duplicates).
    ("same-normalised-terms.md", [], [GOOD_TERM, "TARGET"]),
]


@pytest.mark.parametrize(("name", "stderr", "expected"), SHAPES, ids=[c[0] for c in SHAPES])
def test_shapes(tmp_path: Path, name: str, stderr: list[str], expected: list[str]) -> None:
    outcome = build_case(tmp_path, fixture(name))
    assert outcome.result.exit_code == 0
    assert outcome.stderr == stderr
    notes = outcome.notes
    assert terms(notes) == expected
    assert all(str(n["fields"][0]).strip() for n in notes)  # type: ignore[index]


# The headings of punctuation-headings.md by line: four without a word, then a plain one.
ODD_HEADINGS = {1: "!!!", 5: "🎉🎉", 9: "...", 13: "・", 17: "After"}


def test_headings_without_words(tmp_path: Path) -> None:
    """Headings of punctuation or symbols only. No rule turns them away any more: the scorer
    weighs them as any heading over a sentence (and keeps some; no feature sees a term without
    a letter). What must hold whatever it decides: build and check finish, each heading gets
    one verdict, a card's term is its heading as written (never emptied or mangled), a skip
    says why, check and the package agree, and the card after the odd headings is whole."""
    outcome = build_case(tmp_path, fixture("punctuation-headings.md"))
    assert outcome.result.exit_code == 0
    assert outcome.stderr == []
    by_term = {n["fields"][0]: n["fields"][1] for n in outcome.notes}  # type: ignore[index]
    assert by_term["After"] == "<p>The card after the odd headings.</p>"
    assert set(by_term) - {GOOD_TERM} <= set(ODD_HEADINGS.values())

    result = run_cli("check", str(HOSTILE / "punctuation-headings.md"), "--format", "json")
    assert result.exit_code == 0
    entries = json.loads(result.stdout)["notes"][0]["entries"]
    assert [e["line"] for e in entries] == sorted(ODD_HEADINGS)
    for entry in entries:
        if entry["verdict"] == "card":
            assert entry["term"] == ODD_HEADINGS[entry["line"]]
        else:
            assert entry["verdict"] == "skip"
            assert re.search(r"\) is no card: p=0\.\d\d < 0\.25 \(", entry["message"])
    cards = {e["term"] for e in entries if e["verdict"] == "card"}
    assert cards == set(by_term) - {GOOD_TERM}


def test_ragged_table_rows_keep_their_cells(tmp_path: Path) -> None:
    notes = build_case(tmp_path, fixture("ragged-table.md")).notes
    by_term = {n["fields"][0]: n["fields"][1] for n in notes}  # type: ignore[index]
    assert by_term["HTTP"] == "<p>Port: 80</p>"
    assert "443" in str(by_term["HTTPS"]) and "TLS" in str(by_term["HTTPS"])


def test_five_megabyte_line(tmp_path: Path) -> None:
    # Unclosed marks of every kind: a pattern that rescans the line per mark would never end.
    unit = "*a [[b ![c `d <div> _e <b> (f 「g "
    line = (unit * (5_000_000 // len(unit) + 1))[:5_000_000]
    content = f"## Big\n\n{line}\n\n## Small\n\nA short definition.\n".encode()
    outcome = build_case(tmp_path, {"big.md": content})
    assert outcome.result.exit_code == 0
    # A line over 4,000 characters is no unit the detectors read (no pair a learner would
    # study stands on it), so 'Big' has no body to propose and nothing is left to warn about.
    assert outcome.stderr == []
    by_term = {n["fields"][0]: n["fields"][1] for n in outcome.notes}  # type: ignore[index]
    assert sorted(by_term) == [GOOD_TERM, "Small"]
    assert by_term["Small"] == "<p>A short definition.</p>"
    fields = [str(f) for n in outcome.notes for f in n["fields"]]  # type: ignore[attr-defined]
    assert max(map(len, fields)) < 100  # the 5 MB line reached no field


def test_a_card_over_65536_characters_is_left_out_with_a_warning(tmp_path: Path) -> None:
    """One sentence over 31 lines of at most 3,197 characters: each line is short enough for
    the detectors to read, and the heading's definition, the whole sentence, is 95,913
    characters long."""
    words = ["the", "server", "client", "port", "request", "socket", "queue", "thread"]
    lines = "\n".join(
        f"Part {j} " + " ".join(words[(j + i) % len(words)] for i in range(500)) for j in range(30)
    )
    note = f"## Big\n\nA process that checks for connection requests on a port\n{lines}.\n\n"
    note += "## Small\n\nA short definition.\n"
    outcome = build_case(tmp_path, {"long.md": note.encode()})
    assert outcome.result.exit_code == 0
    assert outcome.stderr == [
        "notes/long.md:1: warning: card 'Big' is 95,913 characters long "
        "(a card holds at most 65,536); left out"
    ]
    assert terms(outcome.notes) == [GOOD_TERM, "Small"]


def test_a_hundred_thousand_headings(tmp_path: Path) -> None:
    # Every tenth heading has a body, a definition, so 10,000 of them become cards.
    parts = []
    for index in range(100_000):
        parts.append(f"{'#' * (index % 6 + 1)} {made_up_word(index)}\n")
        if index % 10 == 0:
            parts.append(f"\nA queue that holds the requests of stage {index}.\n\n")
    outcome = build_case(tmp_path, {"headings.md": "".join(parts).encode()})
    assert outcome.result.exit_code == 0
    assert outcome.stderr == []
    found = terms(outcome.notes)
    assert len(found) == 10_001
    assert {"Ka", "Rika", "Zuzuzuzuka"} <= set(found)  # headings 0, 10 and 99,990


def test_an_outline_twelve_lists_deep_loses_nothing(tmp_path: Path) -> None:
    """CommonMark's nesting limit in markdown-it (20 levels: ten lists) dropped every line
    after a deeper outline, and with it every later card."""
    outline = "".join("  " * i + f"- level {i}\n" for i in range(12))
    note = f"## Outline\n\nThe outline:\n\n{outline}\n## After\n\nThe last card.\n"
    outcome = build_case(tmp_path, {"outline.md": note.encode()})
    assert outcome.result.exit_code == 0
    by_term = {n["fields"][0]: n["fields"][1] for n in outcome.notes}  # type: ignore[index]
    assert sorted(by_term) == ["After", GOOD_TERM, "Outline"]
    assert all(f"level {i}" in str(by_term["Outline"]) for i in range(12))


@pytest.mark.parametrize("depth", [200, 5000])
def test_deep_nesting(tmp_path: Path, depth: int) -> None:
    """Lists, quotes, raw HTML and brackets nested 200 and 5000 deep (past Python's recursion
    limit) give no RecursionError anywhere: markdown-it stops nesting at 20 levels, and
    notedeck walks its trees with loops."""
    indented = "".join("  " * i + "- item\n" for i in range(min(depth, 200)))
    one_line = {
        "lists": "- " * depth + "x",
        "quotes": "> " * depth + "x",
        "mixed": "> - " * (depth // 2) + "x",
        "markup": "<div>" * depth + "x" + "</div>" * depth,
        "brackets": "[" * depth + "x" + "]" * depth + "*" * depth + "(" * depth,
    }
    note = "".join(
        f"## Deep {name}\n\nA definition:\n\n{text}\n\n" for name, text in one_line.items()
    )
    note += (
        "## Tree\n\nA tree is a structure of items nested inside each other, like this:\n\n"
        f"{indented}\n## After\n\nThe last card.\n"
    )
    outcome = build_case(tmp_path, {"deep.md": note.encode()})
    assert outcome.result.exit_code == 0
    assert outcome.stderr == []
    found = terms(outcome.notes)
    assert {"Deep lists", "Deep quotes", "Tree", "After", GOOD_TERM} <= set(found)


# Safety: nothing that runs code reaches a field.
def test_unsafe_markup_never_reaches_a_field(tmp_path: Path) -> None:
    outcome = build_case(tmp_path, fixture("unsafe.md"))
    assert outcome.result.exit_code == 0
    notes = outcome.notes
    assert terms(notes) == sorted(
        ["Script", "Handler", "Link", "Frame", "Style", "Data", GOOD_TERM]
    )
    for note in notes:
        for field in note["fields"]:  # type: ignore[attr-defined]
            assert unsafe_parts(field) == [], field
    by_term = {n["fields"][0]: n["fields"][1] for n in notes}  # type: ignore[index]
    # The harmless text stays: sanitising removes the danger, not the note.
    assert "with a script" in str(by_term["Script"])
    assert "<b>bold</b>" in str(by_term["Handler"])
    assert ">raw link</a>" in str(by_term["Link"])


def test_the_unsafe_check_sees_what_it_must(tmp_path: Path) -> None:
    """The checker itself catches each danger, so a pass above means something."""
    assert unsafe_parts('<p><img src="x" onerror="alert(1)"></p>') == ["onerror"]
    assert unsafe_parts('<a href=" JavaScript:alert(1)">x</a>') == ["href= JavaScript:alert(1)"]
    assert unsafe_parts("<iframe></iframe><script>x</script>") == [
        "<iframe>",
        "<script>",
        "<script",
    ]


def test_names_with_colons_quotes_and_300_characters(tmp_path: Path) -> None:
    """Deck names: `::` separates decks, `"` becomes `'`, control characters and empty parts
    go, each part is cut to 100 characters. Tags: spaces become `_`, `"` goes. Terms stay
    as written, whatever their length (a card holds at most 65,536 characters)."""
    long_name = "D" * 300
    case = {
        **fixture("names.md"),
        f"{long_name[:200]}.md": b"Short::A note whose file name is 200 characters long.\n",
        "control.md": b'---\ndeck: "bell\\x07 deck"\n---\n\nBell::A control character.\n',
    }
    outcome = build_case(tmp_path, case)
    assert outcome.result.exit_code == 0
    assert outcome.stderr == []
    decks = {str(n["fields"][0])[:10]: n["deck"] for n in outcome.notes}  # type: ignore[index]
    assert decks == {
        "L" * 10: "Net::'Quoted' deck::Leaf",
        '"Quoted" t': "Net::'Quoted' deck::Leaf",
        "Short": "D" * 100,
        "Bell": "bell deck",
        GOOD_TERM: "good",
    }
    long_card = next(n for n in outcome.notes if n["fields"][0] == "L" * 300)  # type: ignore[index]
    assert sorted(long_card["tags"]) == ["a::b", "spaced_tag", "with_quotes"]  # type: ignore[arg-type]


def test_a_package_from_the_hostile_folder_imports_into_anki(tmp_path: Path) -> None:
    """Every hostile case at once, built with --keep-going, imports into a real Anki
    collection; no field Anki stores holds a script, an event handler or a script URL."""
    anki_helpers = pytest.importorskip("tests.anki_helpers")
    case = {path.name: path.read_bytes() for path in HOSTILE.glob("*.md")}
    case.update({f"{name}.md": content for name, content, *_ in ENCODINGS})
    case["deep.md"] = ("- " * 300 + "x\n\n## After deep\n\nThe card after.\n").encode()
    outcome = build_case(tmp_path, case, "--keep-going")
    assert outcome.result.exit_code == 1
    errors = [line for line in outcome.stderr if ": warning: " not in line]
    assert [line.split(":")[0] for line in errors] == [
        "notes/png.md",
        "notes/undecodable.md",
        "notes/yaml-bad-date.md",
        "notes/yaml-list.md",
        "notes/yaml-malformed.md",
        "notes/yaml-object-tag.md",
        "notes/yaml-scalar.md",
        "notes/zeros.md",
    ]
    written = outcome.notes
    with anki_helpers.collection(tmp_path) as col:
        log = anki_helpers.import_package(col, outcome.package)
        assert (log.new, log.updated, log.duplicate, log.conflicting) == (len(written), 0, 0, 0)
        stored = anki_helpers.notes(col)
    assert len(stored) == len(written) > 25
    assert {n["guid"] for n in stored} == {n["guid"] for n in written}
    for note in stored:
        for field in note["fields"].values():
            assert unsafe_parts(field) == [], field
    assert {"Script", "Handler", "Link", "Frame", "Style", "Data", "After deep"} <= {
        n["fields"]["Term"] for n in stored
    }
    # The decks Anki shows are the decks the package names (none renamed on the way in).
    assert {d for n in stored for d in n["decks"]} == {str(n["deck"]) for n in written}
