"""Settings: defaults < notedeck.yaml at the notes root < front matter `notedeck:` < flags.

All merging and validation happens here, so every other module receives a finished Config.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, UsageProblem, error, warning

CONFIG_NAME = "notedeck.yaml"

# Rule names in priority order: when two rules find the same term in the same place,
# the earlier one wins (DESIGN §2).
RULE_NAMES = (
    "explicit",
    "question",
    "heading",
    "bold",
    "colon",
    "table",
    "bullet",
    "deflist",
    "sentence",
)

META_SECTIONS = (
    "目的",
    "概要",
    "まとめ",
    "参考",
    "参考文献",
    "参考リンク",
    "参考資料",
    "参考サイト",
    "参考記事",
    "感想",
    "所感",
    "受験のきっかけ",
    "きっかけ",
    "はじめに",
    "おわりに",
    "最後に",
    "背景",
    "動機",
    "モチベーション",
    "todo",
    "purpose",
    "goal",
    "goals",
    "motivation",
    "summary",
    "overview",
    "introduction",
    "conclusion",
    "references",
    "reference",
    "links",
    "resources",
    "see also",
    "further reading",
    "table of contents",
    "contents",
    "目次",
    "toc",
)

DECK_MODES = ("title", "folder", "single")


@dataclass(frozen=True)
class Config:
    """Every setting notedeck reads, with its default."""

    namespace: str = "notedeck"
    package: str | None = None  # package file name; default: the notes folder's name
    deck: str | None = None  # one deck name for everything (with deck_mode "single")
    deck_mode: str = "title"  # title | folder | single
    tag_prefix: str | None = None  # a tag put before every topic tag
    rules: tuple[str, ...] = RULE_NAMES
    meta_sections: tuple[str, ...] = META_SECTIONS
    extra_meta_sections: tuple[str, ...] = ()
    term_max_chars: int = 40
    term_max_words: int = 8
    highlight_cloze: bool = False
    reversed: bool = False

    def rule_enabled(self, name: str) -> bool:
        """Whether the named extraction rule runs."""
        return name in self.rules

    def is_meta_section(self, title: str) -> bool:
        """Whether a heading names a section about the note itself (purpose, links…)."""
        key = title.strip().strip("#:：").strip().casefold()
        names = {n.casefold() for n in (*self.meta_sections, *self.extra_meta_sections)}
        return key in names


_FIELD_TYPES: dict[str, type] = {
    "namespace": str,
    "package": str,
    "deck": str,
    "deck_mode": str,
    "tag_prefix": str,
    "rules": list,
    "meta_sections": list,
    "extra_meta_sections": list,
    "term_max_chars": int,
    "term_max_words": int,
    "highlight_cloze": bool,
    "reversed": bool,
}
# Settings that only make sense for the whole build, not for one note.
_BUILD_ONLY = frozenset({"namespace", "package"})


def load_config_file(root: Path) -> tuple[dict[str, Any], Path | None]:
    """The settings in `notedeck.yaml` at the notes root, validated; {} when there is none."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return {}, None
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        loaded = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"{shown}:1: cannot read the config file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UsageProblem(f"{shown}:{line}: invalid YAML: {problem}") from None
    if loaded is None:
        return {}, path
    if not isinstance(loaded, dict):
        raise UsageProblem(f"{shown}:1: the config must be a mapping of settings")
    lines = _key_lines(node)
    problems = validate(loaded, shown, lines, for_note=False)
    if problems:
        raise UsageProblem(str(problems[0]).replace("warning: ", ""))
    return loaded, path


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def validate(
    settings: Mapping[str, Any], shown: str, lines: Mapping[str, int], *, for_note: bool
) -> list[Diagnostic]:
    """Problems with a settings mapping: unknown keys, wrong types, unknown values."""
    problems: list[Diagnostic] = []
    make = warning if for_note else error
    allowed = sorted(k for k in _FIELD_TYPES if not (for_note and k in _BUILD_ONLY))
    for key, raw in settings.items():
        value: Any = raw
        line = lines.get(str(key), 1)
        if key not in allowed:
            problems.append(
                make(shown, line, f"unknown setting '{key}' (allowed: {', '.join(allowed)})")
            )
            continue
        expected = _FIELD_TYPES[key]
        if not _type_ok(value, expected):
            word = _type_word(expected.__name__)
            problems.append(make(shown, line, f"'{key}' must be a {word}"))
            continue
        if key == "deck_mode" and value not in DECK_MODES:
            problems.append(
                make(shown, line, f"'deck_mode' must be one of: {', '.join(DECK_MODES)}")
            )
        if key == "rules":
            unknown = [r for r in value if r not in RULE_NAMES]
            if unknown:
                problems.append(
                    make(
                        shown,
                        line,
                        f"unknown rule '{unknown[0]}' (rules: {', '.join(RULE_NAMES)})",
                    )
                )
        if key in ("term_max_chars", "term_max_words") and value < 1:
            problems.append(make(shown, line, f"'{key}' must be at least 1"))
    return problems


def _type_ok(value: Any, expected: type) -> bool:
    """isinstance, but a bool is no whole number and a list holds only plain values."""
    if isinstance(value, bool) and expected is not bool:
        return False
    if expected is list:
        return isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)
    return isinstance(value, expected)


def _type_word(name: str) -> str:
    return {"str": "string", "int": "whole number", "bool": "true or false", "list": "list"}.get(
        name, name
    )


def merge(base: Config, settings: Mapping[str, Any]) -> Config:
    """A new Config with the valid settings applied over `base`."""
    changes: dict[str, Any] = {}
    for key, raw in settings.items():
        value: Any = raw
        if key not in _FIELD_TYPES:
            continue
        if not _type_ok(value, _FIELD_TYPES[key]):
            continue
        if key in ("rules", "meta_sections", "extra_meta_sections"):
            value = tuple(str(v) for v in value)
        if key == "rules":
            value = tuple(r for r in RULE_NAMES if r in value)
        if key == "deck_mode" and value not in DECK_MODES:
            continue
        changes[key] = value
    return dataclasses.replace(base, **changes)


def note_settings(meta: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """From front matter: (whether the note is included, its `notedeck:` settings)."""
    own = meta.get("notedeck")
    if own is False:
        return False, {}
    if isinstance(own, dict):
        return True, own
    return True, {}


def with_flags(base: Config, **flags: Any) -> Config:
    """Command-line flags over everything else; None means the flag was not given."""
    return merge(base, {k: v for k, v in flags.items() if v is not None})


__all__ = [
    "CONFIG_NAME",
    "RULE_NAMES",
    "Config",
    "load_config_file",
    "merge",
    "note_settings",
    "validate",
    "with_flags",
]
