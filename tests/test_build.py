"""End to end: the example notes in cards/ built into a package and imported into real Anki."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.anki_helpers import collection, import_package, notes
from tests.conftest import REPO, run_cli


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cards/ built the way `make run` builds it: `notedeck build cards -o build`."""
    work = tmp_path_factory.mktemp("run")
    shutil.copytree(REPO / "cards", work / "cards")
    done = subprocess.run(
        [sys.executable, "-m", "notedeck", "build", "cards", "-o", "build"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "build/cards.apkg: 18 cards from 3 notes (18 added)" in done.stdout
    return work / "build" / "cards.apkg"


def test_package_imports_into_anki_with_decks_tags_and_fields(
    package: Path, tmp_path: Path
) -> None:
    with collection(tmp_path) as col:
        log = import_package(col, package)
        assert (log.new, log.updated, log.duplicate) == (18, 0, 0)
        found = notes(col)
        decks = sorted({deck for note in found for deck in note["decks"]})
        assert decks == ["aws::CodePipeline", "aws::ELB", "linux::Processes"]
        by_term = {note["fields"]["Term"]: note for note in found}
        listener = by_term["リスナー"]
        assert listener["model"] == "notedeck Basic"
        assert listener["tags"] == ["AWS", "AWS::ELB"]
        assert listener["decks"] == ["aws::ELB"]
        assert listener["fields"]["Definition"] == (
            "<p>決めたプロトコルとポートで届いた接続を受け取り、"
            "ルールに従って振り分ける仕組み。</p>"
        )
        assert listener["fields"]["Topic"] == "ELB"
        assert listener["fields"]["Source"] == "aws/elb.md › ELB"
        source = by_term["source"]
        assert source["tags"] == ["AWS", "AWS::CodePipeline::ステージ"]
        assert source["fields"]["Definition"] == "<p>変更を検知して取り込む</p>"
        zombie = by_term["Zombie process"]
        assert zombie["tags"] == ["Linux", "Linux::Processes::Signals"]
        assert "目的" not in by_term and "参考リンク" not in by_term


def test_building_twice_gives_the_same_guids_and_no_duplicate(
    package: Path, tmp_path: Path
) -> None:
    # Again, with the state file the first build left in the notes folder: it keeps every
    # unchanged note's mod.
    same = tmp_path / "same"
    shutil.copytree(package.parent, same)
    shutil.copytree(package.parent.parent / "cards", tmp_path / "cards")
    assert (tmp_path / "cards" / ".notedeck" / "state.json").is_file()
    result = run_cli("build", str(tmp_path / "cards"), "-o", str(same), "-q")
    assert result.exit_code == 0, result.stderr
    # From notes with no state: every mod is the build time, but the GUIDs match.
    fresh = tmp_path / "fresh"
    shutil.copytree(REPO / "cards", fresh / "cards")
    result = run_cli("build", str(fresh / "cards"), "-o", str(fresh), "-q")
    assert result.exit_code == 0, result.stderr
    with collection(tmp_path) as col:
        first = import_package(col, package)
        second = import_package(col, same / "cards.apkg")
        third = import_package(col, fresh / "cards.apkg")
        assert first.new == 18
        assert (second.new, second.updated, second.conflicting) == (0, 0, 0)
        assert (third.new, third.conflicting) == (0, 0)
        terms = [note["fields"]["Term"] for note in notes(col)]
        assert len(terms) == len(set(terms)) == 18


def test_package_and_state_get_the_mode_of_a_new_file(package: Path) -> None:
    import os

    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    assert package.stat().st_mode & 0o777 == expected
    state = package.parent.parent / "cards" / ".notedeck" / "state.json"
    assert state.stat().st_mode & 0o777 == expected
