"""Real vaults (issue 15): one notes root, identity kept beside the notes, excludes, tags as
written, absolute decks. Built through the CLI on real folders, imported into real Anki."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from notedeck.build import BuildOptions, build
from notedeck.identity import LEGACY_STATE_NAME, STATE_DIR, STATE_NAME
from tests.anki_helpers import card_history, collection, import_package, notes, review
from tests.conftest import FIXTURES, run_cli
from tests.hostile_helpers import package_notes

VAULT = FIXTURES / "vault"
NOW = 1_700_000_000
GENETICS = Path("English", "biology", "genetics.md")
# The tags of each card of the vault, as written in its notes (front matter and inline).
TAGS = {
    "Mitochondria": ["Cytology", "Cytology::Cell_parts"],
    "Ribosome": ["Cytology", "Cytology::Cell_parts"],
    "Chromosome": [
        "biology",
        "genetics::classical",
        "science::biology",
        "science::biology::Genetics",
    ],
    "Allele": [
        "biology",
        "exam",
        "genetics::classical",
        "science::biology",
        "science::biology::Genetics",
    ],
    "Locus": [
        "biology",
        "genetics::classical",
        "science::biology",
        "science::biology::Genetics",
    ],
    "Kernel": ["Operating_systems", "os", "os::linux"],
    "Scheduler": ["Operating_systems", "os", "os::linux"],
    "Interrupt": ["Hardware"],
}
DECKS = {
    "Mitochondria": "English::biology::Cells",  # deck: ::Cells, under the folder deck
    "Ribosome": "English::biology::Cells",
    "Chromosome": "English::biology::Genetics",  # title: Genetics
    "Allele": "English::biology::Genetics",
    "Locus": "English::biology::Genetics",
    "Kernel": "Computing::OS",  # deck: Computing::OS, absolute
    "Scheduler": "Computing::OS",
    "Interrupt": "Computing::OS",
}


def copy_vault(where: Path) -> Path:
    """A copy of the fixture vault at `where`/vault."""
    notes_dir = where / "vault"
    shutil.copytree(VAULT, notes_dir)
    return notes_dir


def build_cli(notes_dir: Path | str, out: Path | str, *args: str, cwd: Path | None = None) -> str:
    result = run_cli("build", str(notes_dir), "-o", str(out), *args, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def by_term(apkg: Path) -> dict[str, dict[str, object]]:
    return {str(n["fields"][0]): n for n in package_notes(apkg)}  # type: ignore[index]


def _git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


# Must show 3 (and items 3, 4 and 5 of what went wrong) ----------------------------------


def test_an_obsidian_vault_builds_with_its_templates_and_excluded_files_left_out(
    tmp_path: Path,
) -> None:
    # templates/ and Templater's folder hold front matter no YAML parser reads; Archive/ is
    # in Obsidian's "Excluded files". The build succeeds without a setting of notedeck's.
    vault = copy_vault(tmp_path)
    stdout = build_cli("vault", "build", cwd=tmp_path)
    assert stdout.startswith("build/vault.apkg: 8 cards from 3 notes (8 added)")
    with collection(tmp_path) as col:
        assert import_package(col, tmp_path / "build" / "vault.apkg").new == 8
        found = {n["fields"]["Term"]: n for n in notes(col)}
    assert {term: n["tags"] for term, n in found.items()} == TAGS
    assert {term: n["decks"] for term, n in found.items()} == {
        term: [deck] for term, deck in DECKS.items()
    }
    # The tags left the text: `Kernel #os:` is the term Kernel; code and links keep theirs.
    assert "#" not in found["Allele"]["fields"]["Term"]
    locus = found["Locus"]["fields"]["Definition"]
    assert "<code>#pragma</code>" in locus and "https://example.com/#top" in locus
    assert (vault / "templates" / "daily.md").read_text(encoding="utf-8").startswith("---\n")


def test_a_broken_template_outside_obsidian_names_the_exclude_setting(tmp_path: Path) -> None:
    notes_dir = tmp_path / "notes"
    shutil.copytree(VAULT / "templates", notes_dir / "templates")
    shutil.copytree(VAULT / "computing", notes_dir / "computing")
    result = run_cli("build", "notes", "-o", "build", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (
        "notes/templates/daily.md:2: front matter is not valid YAML: found unhashable key "
        "(not a note? leave it out with `exclude:` in notedeck.yaml)\n"
    )
    (notes_dir / "notedeck.yaml").write_text("exclude: [templates/]\n", encoding="utf-8")
    stdout = build_cli("notes", "build", cwd=tmp_path)
    assert stdout.startswith("build/notes.apkg: 3 cards from 1 note (3 added)")


def test_exclude_globs_leave_out_notes_and_folders(tmp_path: Path) -> None:
    notes_dir = copy_vault(tmp_path)
    (notes_dir / "notedeck.yaml").write_text(
        'exclude: ["computing/**", "*cells.md"]\n', encoding="utf-8"
    )
    stdout = build_cli(notes_dir, tmp_path / "build")
    assert "3 cards from 1 note (3 added)" in stdout
    bad = run_cli("build", str(notes_dir), "-o", str(tmp_path / "b"), cwd=tmp_path)
    assert bad.exit_code == 0
    (notes_dir / "notedeck.yaml").write_text("exclude: templates\n", encoding="utf-8")
    bad = run_cli("build", str(notes_dir), "-o", str(tmp_path / "b"))
    assert bad.exit_code == 2
    assert bad.stderr == (
        f"{notes_dir}/notedeck.yaml:1: 'exclude' must be a list of globs, like [templates/**], "
        "not 'templates'\n"
    )


def test_an_explicit_deck_is_absolute_and_a_leading_double_colon_nests_it(
    tmp_path: Path,
) -> None:
    build_cli(copy_vault(tmp_path), tmp_path / "build")
    decks = {term: n["deck"] for term, n in by_term(tmp_path / "build" / "vault.apkg").items()}
    assert decks == DECKS


# Must show 2 (and item 2) ------------------------------------------------------------------


def test_one_note_a_subfolder_and_the_vault_give_the_same_guids_decks_and_tags(
    tmp_path: Path,
) -> None:
    # Each build in its own copy of the vault: no state file shared, the GUIDs come from
    # the same decks and terms alone.
    one, sub, whole = (copy_vault(tmp_path / name) for name in ("one", "sub", "whole"))
    build_cli(one / GENETICS, tmp_path / "one-build")
    build_cli(sub / "English", tmp_path / "sub-build")
    build_cli(whole, tmp_path / "whole-build")
    note = by_term(tmp_path / "one-build" / "genetics.apkg")
    folder = by_term(tmp_path / "sub-build" / "English.apkg")
    vault = by_term(tmp_path / "whole-build" / "vault.apkg")
    assert sorted(note) == ["Allele", "Chromosome", "Locus"]
    assert sorted(folder) == ["Allele", "Chromosome", "Locus", "Mitochondria", "Ribosome"]
    for cards in (note, folder):
        for term, found in cards.items():
            assert (found["guid"], found["deck"], found["fields"]) == (
                vault[term]["guid"],
                vault[term]["deck"],
                vault[term]["fields"],
            ), term
            assert sorted(found["tags"]) == sorted(vault[term]["tags"]) == TAGS[term]  # type: ignore[arg-type]
    # In Anki: the note's cards, then the folder's, then the vault's, all one set of notes.
    with collection(tmp_path) as col:
        assert import_package(col, tmp_path / "one-build" / "genetics.apkg").new == 3
        assert import_package(col, tmp_path / "sub-build" / "English.apkg").new == 2
        log = import_package(col, tmp_path / "whole-build" / "vault.apkg")
        assert (log.new, log.conflicting) == (3, 0)
        assert sorted(n["fields"]["Term"] for n in notes(col)) == sorted(TAGS)


def test_building_one_note_keeps_the_state_of_the_others(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path)
    build_cli(vault, tmp_path / "build")
    # One note alone, edited: only its cards are planned; the others are not removed.
    _edit(vault / GENETICS, "carries many genes", "carries many genes in a cell")
    result = run_cli("build", str(vault / GENETICS), "-o", str(tmp_path / "one"), "--json")
    report = json.loads(result.stdout)
    assert (report["counts"]["changed"], report["counts"]["unchanged"]) == (1, 2)
    assert report["counts"]["removed"] == 0 and report["counts"]["tombstones"] == 0
    again = json.loads(run_cli("build", str(vault), "-o", str(tmp_path / "build"), "--json").stdout)
    assert again["counts"]["unchanged"] == 8 and again["counts"]["removed"] == 0


# Must show 1 (and item 1) ------------------------------------------------------------------


def test_renames_moves_a_lost_build_folder_and_a_clone_give_no_duplicate(tmp_path: Path) -> None:
    work = tmp_path / "work"
    vault = copy_vault(work)
    build_cli("vault", "build", cwd=work)
    col_dir = tmp_path / "anki"
    col_dir.mkdir()
    with collection(col_dir) as col:
        assert import_package(col, work / "build" / "vault.apkg").new == 8
        reviewed = review(col, 8)
        history = {card_id: card_history(col, card_id) for card_id in reviewed}
        # Rename a term (same definition) and move a note to another folder (its deck
        # changes), then rebuild: the same notes in Anki.
        _edit(vault / "English" / "biology" / "cells.md", "Ribosome:", "Ribosomes:")
        (vault / "computing" / "hardware").mkdir()
        (vault / "computing" / "os.md").rename(vault / "computing" / "hardware" / "os.md")
        stdout = build_cli("vault", "build", cwd=work)
        assert "renamed (1): Ribosome -> Ribosomes" in stdout
        log = import_package(col, work / "build" / "vault.apkg")
        assert (log.new, log.conflicting) == (0, 0)
        # A lost build folder: the state is in the notes, every GUID stays.
        shutil.rmtree(work / "build")
        stdout = build_cli("vault", "build", cwd=work)
        assert "(8 unchanged)" in stdout
        log = import_package(col, work / "build" / "vault.apkg")
        assert (log.new, log.updated, log.conflicting) == (0, 0, 0)
        # The notes cloned on another machine, built there.
        _git("init", "-q", cwd=vault)
        _git("add", "-A", cwd=vault)
        _git("commit", "-qm", "notes", cwd=vault)
        assert STATE_DIR + "/" + STATE_NAME in _git("ls-files", cwd=vault).split()
        elsewhere = tmp_path / "laptop"
        elsewhere.mkdir()
        _git("clone", "-q", str(vault), "notes", cwd=elsewhere)
        build_cli("notes", "build", cwd=elsewhere)
        log = import_package(col, elsewhere / "build" / "notes.apkg")
        assert (log.new, log.conflicting) == (0, 0)
        terms = [n["fields"]["Term"] for n in notes(col)]
        assert len(terms) == len(set(terms)) == 8
        assert "Ribosomes" in terms and "Ribosome" not in terms
        assert {card_id: card_history(col, card_id) for card_id in reviewed} == history


def test_the_state_file_is_sorted_one_note_a_line_and_the_same_on_every_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = copy_vault(tmp_path / "a"), copy_vault(tmp_path / "b")
    build([first], BuildOptions(out=tmp_path / "a-build", now=NOW))
    monkeypatch.chdir(tmp_path / "b")  # named another way, built elsewhere
    build([Path("vault")], BuildOptions(out=Path("build"), now=NOW))
    state = (first / STATE_DIR / STATE_NAME).read_bytes()
    assert (second / STATE_DIR / STATE_NAME).read_bytes() == state
    lines = state.decode().split("\n")
    assert lines[0].startswith('{"version": 1, "namespace": "notedeck"')
    assert lines[-2:] == ["}}", ""]
    entries = [json.loads("{" + line.rstrip(",") + "}") for line in lines[1:-2]]
    guids = [next(iter(entry)) for entry in entries]
    assert len(guids) == 8 and guids == sorted(guids)
    locations = sorted(next(iter(entry.values()))["location"] for entry in entries)
    assert locations[0] == "English/biology/cells.md:7"  # below the root, not as typed


def test_an_old_state_file_in_the_build_folder_is_moved_once_with_a_message(
    tmp_path: Path,
) -> None:
    vault = copy_vault(tmp_path)
    build_cli(vault, tmp_path / "build")
    state = vault / STATE_DIR / STATE_NAME
    legacy = tmp_path / "build" / LEGACY_STATE_NAME
    state.rename(legacy)  # where notedeck kept it before
    shutil.rmtree(vault / STATE_DIR)
    _edit(vault / "English" / "biology" / "cells.md", "Ribosome:", "Ribosomes:")
    result = run_cli("build", str(vault), "-o", str(tmp_path / "build"))
    assert result.exit_code == 0, result.stderr
    assert "renamed (1): Ribosome -> Ribosomes" in result.stdout  # the old state was read
    assert result.stderr == (
        f"{legacy}: the card identities moved to {state}, beside your notes (commit it with them)\n"
    )
    assert state.is_file() and not legacy.exists()
    again = run_cli("build", str(vault), "-o", str(tmp_path / "build"))
    assert again.stderr == "" and "(8 unchanged)" in again.stdout


@pytest.mark.parametrize("marker", ["notedeck.yaml", ".obsidian"])
def test_the_root_is_the_nearest_folder_with_a_config_or_obsidian(
    tmp_path: Path, marker: str
) -> None:
    notes_dir = tmp_path / "notes"
    (notes_dir / "a" / "b").mkdir(parents=True)
    if marker == ".obsidian":
        (notes_dir / marker).mkdir()
    else:
        (notes_dir / marker).write_text("", encoding="utf-8")
    (notes_dir / "a" / "b" / "n.md").write_text("Port: a numbered door.\n", encoding="utf-8")
    result = run_cli("extract", "n.md", "--format", "json", cwd=notes_dir / "a" / "b")
    assert [c["deck"] for c in json.loads(result.stdout)] == ["a::b::n"]
    build_cli("n.md", tmp_path / "build", cwd=notes_dir / "a" / "b")
    assert (notes_dir / STATE_DIR / STATE_NAME).is_file()
    assert not (notes_dir / "a" / "b" / STATE_DIR).exists()


# Must show 4 ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["package", "collection"])
def test_adopt_restores_identity_after_a_lost_state(tmp_path: Path, source: str) -> None:
    work = tmp_path / "work"
    vault = copy_vault(work)
    build_cli("vault", "build", cwd=work)
    old_package = tmp_path / "old.apkg"
    shutil.copy(work / "build" / "vault.apkg", old_package)
    col_dir = tmp_path / "anki"
    col_dir.mkdir()
    with collection(col_dir) as col:
        assert import_package(col, old_package).new == 8
        reviewed = review(col, 3)
        history = {card_id: card_history(col, card_id) for card_id in reviewed}
    # The state is lost, and meanwhile a term was renamed and a note moved: without the
    # state their cards would get new GUIDs (new notes in Anki beside the old ones).
    shutil.rmtree(vault / STATE_DIR)
    shutil.rmtree(work / "build")
    _edit(vault / "English" / "biology" / "cells.md", "Ribosome:", "Ribosomes:")
    (vault / "English" / "biology" / "cells.md").rename(vault / "English" / "cells.md")
    adopted = old_package if source == "package" else col_dir / "collection.anki2"
    result = run_cli("build", "vault", "-o", "build", "--adopt", str(adopted), cwd=work)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{adopted}: 8 of 8 notes matched a card and keep their identity\n"
    assert result.stdout.splitlines()[1:] == [
        "  renamed (1): Ribosome -> Ribosomes",
        "  moved (1): Mitochondria (to English::Cells)",
    ]
    with collection(col_dir) as col:
        log = import_package(col, work / "build" / "vault.apkg")
        assert (log.new, log.conflicting) == (0, 0)
        terms = [n["fields"]["Term"] for n in notes(col)]
        assert len(terms) == len(set(terms)) == 8 and "Ribosomes" in terms
        assert {card_id: card_history(col, card_id) for card_id in reviewed} == history
    assert (vault / STATE_DIR / STATE_NAME).is_file()


def test_adopt_refuses_a_file_that_is_no_package_or_collection(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a collection", encoding="utf-8")
    result = run_cli("build", str(vault), "-o", str(tmp_path / "b"), "--adopt", str(bogus))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{bogus}: not an Anki package or collection (")
    assert not (vault / STATE_DIR).exists() and not (tmp_path / "b" / "vault.apkg").exists()


# The link back to the note ----------------------------------------------------------------


def _sources(notes_dir: Path, out: Path) -> dict[str, str]:
    build_cli(notes_dir, out)
    return {term: n["fields"][3] for term, n in by_term(out / "vault.apkg").items()}  # type: ignore[index]


def test_in_an_obsidian_vault_the_source_line_opens_the_note_in_obsidian(tmp_path: Path) -> None:
    sources = _sources(copy_vault(tmp_path), tmp_path / "build")
    assert sources["Allele"] == (
        '<a href="obsidian://open?vault=vault&amp;file=English%2Fbiology%2Fgenetics.md">'
        "English/biology/genetics.md › Genetics</a>"
    )


def test_a_link_template_or_none(tmp_path: Path) -> None:
    vault = copy_vault(tmp_path)
    config = vault / "notedeck.yaml"
    config.write_text("link: none\n", encoding="utf-8")
    assert _sources(vault, tmp_path / "none")["Kernel"] == "computing/os.md › Operating systems"
    config.write_text("link: https://git.example/{vault}/blob/main/{path}\n", encoding="utf-8")
    without_line = _sources(vault, tmp_path / "file")
    assert without_line["Kernel"] == (
        '<a href="https://git.example/vault/blob/main/computing/os.md">'
        "computing/os.md › Operating systems</a>"
    )
    # No {line}: a line added above the card changes no field.
    _edit(vault / "computing" / "os.md", "# Operating systems\n", "# Operating systems\n\n\n")
    assert _sources(vault, tmp_path / "file") == without_line
    config.write_text("link: https://git.example/{path}#L{line}\n", encoding="utf-8")
    with_line = _sources(vault, tmp_path / "line")
    assert with_line["Kernel"].startswith('<a href="https://git.example/computing/os.md#L8">')
    config.write_text("link: github\n", encoding="utf-8")
    bad = run_cli("build", str(vault), "-o", str(tmp_path / "bad"))
    assert bad.exit_code == 2
    assert "'link' must be none, obsidian or a URL with {path}" in bad.stderr
