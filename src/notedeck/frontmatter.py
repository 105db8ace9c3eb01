"""Split a note into its YAML front matter and its Markdown body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Diagnostic, error
from .sources import Source

_OPEN = re.compile(r"\A(?:\ufeff)?---[ \t]*\n")
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Note:
    """A note's settings and body. The body keeps the file's line numbers: the front
    matter lines are blanked, not removed, so line N of the body is line N of the file."""

    source: Source
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""


def _load_yaml(text: str) -> Any:
    """yaml.safe_load, with libyaml's parser when PyYAML has it (ten times faster on a vault of
    thousands of notes). On an error, PyYAML's own parser says what is wrong, so messages do
    not depend on how PyYAML was built."""
    if _FAST_LOADER is not None:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)  # CSafeLoader: safe_load in C
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def split(source: Source) -> tuple[Note | None, list[Diagnostic]]:
    """The note with its front matter parsed, or None and the error in it."""
    text = source.text
    opening = _OPEN.match(text)
    if not opening:
        return Note(source, {}, text), []
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        # A `---` rule at the top with no closing line is a thematic break, not front matter.
        return Note(source, {}, text), []
    yaml_text = text[opening.end() : closing.start()]
    shown = source.file.display
    try:
        meta = _load_yaml(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [error(shown, line, f"front matter is not valid YAML: {problem}")]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        kind = "a list" if isinstance(meta, list) else f"a {type(meta).__name__}"
        return None, [error(shown, 1, f"front matter is {kind}, not a mapping of keys")]
    end = text.find("\n", closing.start())
    end = len(text) if end < 0 else end
    blanked = "\n" * text.count("\n", 0, end)
    return Note(source, {str(k): v for k, v in meta.items()}, blanked + text[end:]), []
