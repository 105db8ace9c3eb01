"""Writing output files: a spliced file is the old file's kept ranges and the new bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from notedeck.output import write_spliced


def test_a_spliced_file_keeps_the_old_ranges_around_the_new_bytes(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    old = b"".join(f"line {n:05d}\n".encode() for n in range(20_000))  # 220 KB
    path.write_bytes(old)
    write_spliced(path, [(0, 11), b"changed\n", (22, len(old) - 11), b"last\n"])
    assert path.read_bytes() == old[:11] + b"changed\n" + old[22:-11] + b"last\n"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left


def test_a_range_past_the_end_of_the_old_file_fails_and_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"short\n")
    with pytest.raises(OSError):
        write_spliced(path, [b"new\n", (0, 100)])
    assert path.read_bytes() == b"short\n"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
