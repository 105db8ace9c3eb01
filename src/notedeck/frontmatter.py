"""Split a note into its YAML front matter and its Markdown body."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Diagnostic, error, warning
from .names import LONE_SURROGATE
from .sources import Source

_OPEN = re.compile(r"\A(?:\ufeff)?---[ \t]*\n")
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
# Said after front matter that cannot be read: a template's `title: {{title}}` is no note.
EXCLUDE_HINT = " (not a note? leave it out with `exclude:` in notedeck.yaml)"
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Note:
    """A note's settings and body. The body keeps the file's line numbers: the front
    matter lines are blanked, not removed, so line N of the body is line N of the file."""

    source: Source
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    # The file line of each key under `notedeck:`, so a warning about one names its line.
    setting_lines: dict[str, int] = field(default_factory=dict)


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
        node, meta = _load(yaml_text)
    except FrontMatterProblem as problem:
        # Line 1 of the YAML text is line 2 of the file (after the opening `---`).
        message = f"front matter {problem.message}{EXCLUDE_HINT}"
        return None, [error(shown, problem.line + 1, message)]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        kind = _KINDS.get(type(meta), "a single value")
        return None, [error(shown, 1, f"front matter is {kind}, not a mapping of keys")]
    lines, diagnostics = _setting_lines(node, meta, shown)
    if "\\u" in yaml_text or "\\U" in yaml_text:  # only an escape makes a lone surrogate
        diagnostics += _replace_surrogates(meta, yaml_text, shown)
    end = text.find("\n", closing.start())
    end = len(text) if end < 0 else end
    blanked = "\n" * text.count("\n", 0, end)
    body = blanked + text[end:]
    return Note(source, {str(k): v for k, v in meta.items()}, body, lines), diagnostics


_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}


class FrontMatterProblem(Exception):
    """What is wrong with a front matter block, at a line of its YAML text (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _load(yaml_text: str) -> tuple[yaml.Node | None, Any]:
    """The values safe_load gives, with libyaml's parser when PyYAML has it (ten times faster
    on a vault of thousands of notes), and the node tree when `notedeck:` settings need their
    lines. On an error PyYAML's own parser says what is wrong, so messages do not depend on
    how PyYAML was built."""
    if _FAST_LOADER is not None:
        try:
            meta = yaml.load(yaml_text, Loader=_FAST_LOADER)  # CSafeLoader: safe_load in C
        except Exception:  # the parser below finds the problem and names it
            pass
        else:
            if isinstance(meta, dict) and "notedeck" in meta:
                return yaml.compose(yaml_text, Loader=_FAST_LOADER), meta
            return None, meta
    node: yaml.Node | None = None
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(yaml_text)  # already reads: a form feed can fail here
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except yaml.constructor.ConstructorError as exc:
        tag = re.search(r"tag '([^']*)'", exc.problem or "")
        if tag:
            # safe_load builds plain values only: a tag asking for an object is refused.
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            message = f"uses the YAML tag '{name}'; only plain values are allowed"
            raise FrontMatterProblem(_mark_line(exc), message) from None
        raise FrontMatterProblem(_mark_line(exc), f"is not valid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. U+000C
        line = yaml_text.count("\n", 0, exc.position) + 1
        raise FrontMatterProblem(line, f"is not valid YAML: {str(exc).splitlines()[0]}") from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context
        raise FrontMatterProblem(_mark_line(exc), f"is not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterProblem(1, f"is not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise FrontMatterProblem(1, "is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML reads `2024-13-45` as a date and fails with a bare ValueError.
        line = _unreadable_value_line(node)
        raise FrontMatterProblem(line, f"has a value YAML cannot read: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


_SURROGATE_ESCAPE = re.compile(r"\\(?:u[dD][89a-fA-F]|U0000[dD][89a-fA-F])")


def _replace_surrogates(meta: dict[Any, Any], yaml_text: str, shown: str) -> list[Diagnostic]:
    """Replace each lone surrogate (`"\\udcff"` in double quotes), which is no character and
    which SQLite and Anki refuse, with U+FFFD in every string of `meta`, in place; a warning
    when there was one."""
    first: list[str] = []

    def fixed(text: str) -> str:
        found = LONE_SURROGATE.search(text)
        if found is None:
            return text
        first.append(found.group())
        return LONE_SURROGATE.sub("\ufffd", text)

    for current in _each_once(meta, _value_children):
        if isinstance(current, list):
            for index, item in enumerate(current):
                if isinstance(item, str):
                    current[index] = fixed(item)
        elif isinstance(current, dict):
            for key in list(current):
                if isinstance(current[key], str):
                    current[key] = fixed(current[key])
                if isinstance(key, str) and fixed(key) != key:
                    current[fixed(key)] = current.pop(key)
        elif isinstance(current, set):
            texts = {item for item in current if isinstance(item, str)}
            current.difference_update(texts)
            current.update(fixed(text) for text in texts)
    if not first:
        return []
    escape = _SURROGATE_ESCAPE.search(yaml_text)
    line = yaml_text.count("\n", 0, escape.start()) + 2 if escape is not None else 1
    code = f"U+{ord(first[0]):04X}"
    message = f"front matter holds a lone surrogate ({code}), not a character; replaced with U+FFFD"
    return [warning(shown, line, message)]


def _mark_line(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else 1


def _unreadable_value_line(node: yaml.Node | None) -> int:
    """The line of the first value that cannot be built on its own."""
    for current in _each_once(node, _node_children) if node is not None else ():
        if isinstance(current, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(current)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                return int(current.start_mark.line) + 1
    return 1


def _each_once(start: Any, children: Callable[[Any], Iterable[Any]]) -> Iterator[Any]:
    """`start` and everything below it, depth first, each once, walked without recursion:
    the tree may be deep, and aliases make it a graph. The children of each are asked for
    after the caller has seen it."""
    stack = [start]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(children(current))


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    """A node's children, last first (the walk pops the first next)."""
    if isinstance(node, yaml.SequenceNode):
        return list(reversed(node.value))
    if isinstance(node, yaml.MappingNode):
        return [part for key, value in reversed(node.value) for part in (value, key)]
    return []


def _value_children(value: Any) -> list[Any]:
    """The lists, mappings and sets in a list or a mapping's values."""
    items = value if isinstance(value, list) else value.values() if isinstance(value, dict) else ()
    return [item for item in items if isinstance(item, list | dict | set)]


def _setting_lines(
    node: yaml.Node | None, meta: dict[Any, Any], shown: str
) -> tuple[dict[str, int], list[Diagnostic]]:
    """Lines (in the file) of the keys under `notedeck:`, and a warning when `notedeck:` is
    neither a mapping nor true/false."""
    if not isinstance(node, yaml.MappingNode):
        return {}, []
    for key, value in node.value:
        if key.value != "notedeck":
            continue
        line = key.start_mark.line + 2
        own = meta.get("notedeck")
        if isinstance(value, yaml.MappingNode):
            return {str(k.value): k.start_mark.line + 2 for k, _ in value.value}, []
        if own is None or isinstance(own, bool):
            return {}, []
        message = "'notedeck' must be a mapping of settings, or false; ignored"
        return {}, [warning(shown, line, message)]
    return {}, []
