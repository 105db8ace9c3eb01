"""`notedeck init`: a starter notes folder, one short note per writing style and a commented
notedeck.yaml, copied from the package's `starter/` folder without overwriting anything."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import UsageProblem


def starter_files() -> list[Traversable]:
    """The files `init` writes, in name order: the example notes and notedeck.yaml."""
    folder = files("notedeck") / "starter"
    return sorted(
        (f for f in folder.iterdir() if f.is_file() and f.name.endswith((".md", ".yaml"))),
        key=lambda f: f.name,
    )


def init(folder: Path) -> list[Path]:
    """Write the starter notes into `folder` (made if missing); the paths written.

    Writes nothing and raises UsageProblem (exit 2) when any of the files is already there,
    so a user's own notes are never overwritten, not even in part.
    """
    sources = starter_files()
    targets = [folder / source.name for source in sources]
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UsageProblem(
            f"{existing[0]}: already exists{more}; notedeck init never overwrites files, "
            "so give it a new or empty folder"
        )
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"{folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for source, target in zip(sources, targets, strict=True):
            # "x" mode: a file that appeared since the check above is still not overwritten.
            with target.open("xb") as out:
                out.write(source.read_bytes())
    except OSError as exc:
        raise UsageProblem(
            f"{folder}: cannot write the starter notes: {exc.strerror or exc}"
        ) from None
    return targets


__all__ = ["init", "starter_files"]
