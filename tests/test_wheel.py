"""`python -m build` makes a wheel and an sdist; the wheel installs into a clean virtualenv
(dependencies from the package index, nothing from this checkout or this environment) and its
`notedeck` runs `init` and `build` on the example notes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from notedeck import __version__
from notedeck.init import starter_files
from tests.conftest import REPO

# What the sdist needs besides src/: the files pyproject.toml and MANIFEST.in name.
_SOURCE = ("pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md", "Makefile", "src", "tests")
_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist"
)


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result


def test_wheel_and_sdist_install_into_a_clean_virtualenv(tmp_path: Path) -> None:
    # Build from a copy, so the build's egg-info never lands in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in _SOURCE:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=_IGNORE)
        else:
            shutil.copy(path, source / name)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--outdir", dist, source, cwd=tmp_path)

    wheel = dist / f"notedeck-{__version__}-py3-none-any.whl"
    sdist = dist / f"notedeck-{__version__}.tar.gz"
    starters = sorted(f.name for f in starter_files())
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert sorted(n.rsplit("/", 1)[1] for n in names if "/starter/" in n) == starters
    assert "notedeck/py.typed" in names
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"README.md", "CHANGELOG.md", "tests/conftest.py"} <= members
    assert {f"src/notedeck/starter/{name}" for name in starters} <= members

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    notedeck = venv / "bin" / "notedeck"
    version = _run(notedeck, "--version", cwd=tmp_path)
    assert version.stdout == f"notedeck, version {__version__}\n"
    # The installed package, not this checkout, answers the import.
    where = _run(python, "-c", "import notedeck; print(notedeck.__file__)", cwd=tmp_path)
    assert where.stdout.startswith(str(venv))

    _run(notedeck, "init", "notes", cwd=tmp_path)
    built = _run(notedeck, "build", "notes", "-o", "out", cwd=tmp_path)
    assert built.stdout.startswith(f"{Path('out') / 'notes.apkg'}: 19 cards from 9 notes")
    assert (tmp_path / "out" / "notes.apkg").stat().st_size > 0
