"""Shared test helpers: where the shared corpus is, and running the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from notedeck.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("NOTEDECK_SHARED", REPO.parent / "shared"))

needs_shared = pytest.mark.skipif(
    not (SHARED / "seed" / "aws-memo.md").is_file(),
    reason=f"{SHARED} (the shared seed note and corpus) is not present in this checkout",
)


def run_cli(*args: str, cwd: Path | None = None) -> Result:
    """Run `notedeck ARGS` in-process, with stdout and stderr kept apart."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
