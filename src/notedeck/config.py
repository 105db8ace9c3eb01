"""Settings: defaults < notedeck.yaml at the notes root < front matter `notedeck:` < flags.

All merging and validation happens here, so every other module receives a finished Config.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, UsageProblem, error, warning
from .names import name_text

if TYPE_CHECKING:
    import yaml

CONFIG_NAME = "notedeck.yaml"

# The kinds of card, which `rules:` switches: cards marked by hand (`explicit`) first; for
# the others the scorer decides, and when two cards name the same term in one place the
# likelier wins, this order breaking a tie (DESIGN §2).
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
    "前提",
    "前提条件",
    "事前準備",
    "準備",
    "環境",
    "実行環境",
    "動作環境",
    "開発環境",
    "prerequisites",
    "requirements",
    "environment",
    "setup",
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

# `notedeck push`: the AnkiConnect add-on's own default address, the environment variables
# that override notedeck.yaml (flags override both), and how long to wait for an answer.
ANKICONNECT_URL = "http://127.0.0.1:8765"
ANKICONNECT_URL_VARIABLE = "NOTEDECK_ANKICONNECT_URL"
ANKICONNECT_KEY_VARIABLE = "NOTEDECK_ANKICONNECT_KEY"
ANKICONNECT_TIMEOUT = 10.0  # seconds; a busy or blocked Anki gives no answer at all
SYNC_BACKUPS = 3  # `notedeck sync` keeps this many backups of the collection


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
    # The scorer's probability from which a proposal is a card; None: the trained model's own.
    threshold: float | None = None
    highlight_cloze: bool = False
    reversed: bool = False
    # Obsidian Spaced Repetition's decks: a `#flashcards/Sub/Deck` tag puts the cards after it
    # (or the card it opens) in the deck `Sub::Deck`.
    tag_decks: bool = False
    # Globs of notes to leave out, below the notes root (`templates/**`, `*.excalidraw.md`).
    exclude: tuple[str, ...] = ()
    # The source line's link back to the note: None (an Obsidian vault's obsidian:// link,
    # else none), "none", "obsidian", or a URL template with {path}, {line} and {vault}.
    link: str | None = None
    # Where `notedeck push` finds AnkiConnect, and its apiKey (flags and the environment win).
    ankiconnect_url: str | None = None
    ankiconnect_key: str | None = None
    # How many of its backups of the collection `notedeck sync` keeps (the flag wins).
    sync_backups: int = SYNC_BACKUPS

    def rule_enabled(self, name: str) -> bool:
        """Whether the named extraction rule runs."""
        return name in self.rules

    def is_meta_section(self, title: str) -> bool:
        """Whether a heading names a section about the note itself (purpose, links…)."""
        return meta_key(title) in self.meta_keys

    @functools.cached_property  # asked for every section of every note
    def meta_keys(self) -> frozenset[str]:
        """The meta section names, casefolded, as `is_meta_section` compares them."""
        return frozenset(n.casefold() for n in (*self.meta_sections, *self.extra_meta_sections))


@functools.lru_cache(maxsize=1 << 14)  # asked about every heading by extract and the rules
def meta_key(title: str) -> str:
    """A heading as it is compared with the meta section names."""
    return title.strip().strip("#:：").strip().casefold()


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
    "threshold": float,
    "highlight_cloze": bool,
    "reversed": bool,
    "tag_decks": bool,
    "exclude": list,
    "link": str,
    "ankiconnect_url": str,
    "ankiconnect_key": str,
    "sync_backups": int,
}
# Settings that only make sense for the whole build, not for one note.
_BUILD_ONLY = frozenset(
    {"namespace", "package", "exclude", "ankiconnect_url", "ankiconnect_key", "sync_backups"}
)
# What each setting holds, in the words the error messages use: the type of most settings
# says it; `deck_mode` and `rules` have their own checks.
_KINDS: dict[str, str] = {
    name: {str: "text", int: "count", bool: "switch", list: "names", float: "probability"}[kind]
    for name, kind in _FIELD_TYPES.items()
} | {"deck_mode": "choice", "rules": "rules", "exclude": "globs", "link": "link"}
# Settings whose default is "not set", so an empty value (`deck:`) is allowed.
_OPTIONAL = frozenset(
    {"package", "deck", "tag_prefix", "link", "ankiconnect_url", "ankiconnect_key", "threshold"}
)
_LIST_KEYS = frozenset({"rules", "meta_sections", "extra_meta_sections", "exclude"})


def load_config_file(root: Path) -> tuple[dict[str, Any], Path | None]:
    """The settings in `notedeck.yaml` at the notes root, validated; {} when there is none.

    Any problem raises UsageProblem (exit 2) with one `path:line: message` line per problem.
    """
    path = root / CONFIG_NAME
    if not path.is_file():
        return {}, None
    import yaml  # here: `notedeck --help` reads no settings

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
        line = node.start_mark.line + 1 if node is not None else 1
        raise UsageProblem(
            f"{shown}:{line}: the config must be `setting: value` lines, not {_describe(loaded)}"
        )
    lines, problems = _key_lines(node, shown)
    problems += validate(loaded, shown, lines, for_note=False)
    if problems:
        raise UsageProblem.from_lines(str(d) for d in sorted(problems))
    return loaded, path


def _key_lines(node: yaml.Node | None, shown: str) -> tuple[dict[str, int], list[Diagnostic]]:
    """The line of each top-level key (and of each entry of a list or mapping under it, as
    `key[index]` and `key.name`), and an error for a key written twice."""
    import yaml

    lines: dict[str, int] = {}
    problems: list[Diagnostic] = []
    if not isinstance(node, yaml.MappingNode):
        return lines, problems
    for key_node, value_node in node.value:
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in lines:
            problems.append(
                error(shown, line, f"'{key}' is set twice (first on line {lines[key]})")
            )
            continue
        lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                lines[f"{key}[{index}]"] = item.start_mark.line + 1
        elif isinstance(value_node, yaml.MappingNode):
            for item_key, _ in value_node.value:
                lines[f"{key}.{item_key.value}"] = item_key.start_mark.line + 1
    return lines, problems


def validate(
    settings: Mapping[str, Any], shown: str, lines: Mapping[str, int], *, for_note: bool
) -> list[Diagnostic]:
    """Problems with a settings mapping: unknown keys, wrong types, unknown values.

    Each message names what is allowed. In a note's front matter they are warnings (the note
    is still read, with the setting ignored); in notedeck.yaml they are errors.
    """
    problems: list[Diagnostic] = []
    make = warning if for_note else error
    allowed = sorted(k for k in _KINDS if not (for_note and k in _BUILD_ONLY))
    for key, value in settings.items():
        name = str(key)
        line = lines.get(name, 1)
        if for_note and name in _BUILD_ONLY:
            message = f"'{name}' applies to the whole build: set it in {CONFIG_NAME}"
        elif name not in _KINDS:
            message = f"unknown setting '{name}'{_did_you_mean(name, allowed)}; allowed: " + (
                ", ".join(allowed)
            )
        else:
            message = _value_problem(name, value)
            if message and name == "rules":
                line = _rules_line(value, lines, line)
        if message:
            problems.append(make(shown, line, message))
    return problems


def _value_problem(key: str, value: Any) -> str:
    """What is wrong with one known setting's value, or ''."""
    kind = _KINDS[key]
    if value is None and key in _OPTIONAL:
        return ""
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return f"'{key}' must be a text, not {_describe(value)}"
    elif kind == "choice":
        if value not in DECK_MODES:
            return f"'{key}' must be one of {', '.join(DECK_MODES)}, not {_describe(value)}"
    elif kind == "count":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return f"'{key}' must be a whole number of 1 or more, not {_describe(value)}"
    elif kind == "probability":
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 1:
            return f"'{key}' must be a number between 0 and 1, like 0.5, not {_describe(value)}"
    elif kind == "switch":
        if not isinstance(value, bool):
            return f"'{key}' must be true or false, not {_describe(value)}"
    elif kind == "names":
        if not isinstance(value, list) or not all(_is_name(v) for v in value):
            return f"'{key}' must be a list of headings, like [Notes, メモ], not {_describe(value)}"
    elif kind == "link":
        if not isinstance(value, str) or (
            value not in ("none", "obsidian") and "{path}" not in value
        ):
            return (
                f"'{key}' must be none, obsidian or a URL with {{path}} (and {{line}}, "
                f"{{vault}}), like https://github.com/me/notes/blob/main/{{path}}#L{{line}}, "
                f"not {_describe(value)}"
            )
    elif kind == "globs":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"'{key}' must be a list of globs, like [templates/**], not {_describe(value)}"
    elif kind == "rules":
        return _rules_problem(value)
    return ""


def _rules_problem(value: Any) -> str:
    """`rules:` is a list of the rules to run, or a mapping switching some on or off."""
    names = ", ".join(RULE_NAMES)
    if not isinstance(value, list | dict):
        return (
            "'rules' must be a list of rules to use, like [heading, colon], or a mapping like "
            f"{{sentence: false}}, not {_describe(value)}; rules: {names}"
        )
    for entry in value:
        if entry not in RULE_NAMES:
            suggestion = _did_you_mean(entry, RULE_NAMES)
            return f"unknown rule {_describe(entry)}{suggestion}; rules: {names}"
        if isinstance(value, dict) and not isinstance(value[entry], bool):
            return f"'rules: {entry}' must be true or false, not {_describe(value[entry])}"
    return ""


def _rules_line(value: Any, lines: Mapping[str, int], default: int) -> int:
    """The line of the first bad entry of `rules:`, when the file says where it is."""
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if entry not in RULE_NAMES:
                return lines.get(f"rules[{index}]", default)
    if isinstance(value, dict):
        for entry, switch in value.items():
            if entry not in RULE_NAMES or not isinstance(switch, bool):
                return lines.get(f"rules.{entry}", default)
    return default


def _is_name(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _did_you_mean(word: Any, choices: Iterable[str]) -> str:
    if not isinstance(word, str):  # str() of a YAML alias bomb would never end
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(value: Any) -> str:
    """A value as an error message quotes it: `'chapter'`, `3`, `a list`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def merge(base: Config, settings: Mapping[str, Any]) -> Config:
    """A new Config with the valid settings applied over `base` (invalid ones are ignored:
    `validate` reports them)."""
    changes: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in _KINDS or _value_problem(key, value):
            continue
        if key == "rules":
            changes[key] = _enabled_rules(base.rules, value)
        elif key in _LIST_KEYS:
            changes[key] = tuple(name_text(str(v)) for v in value)
        else:
            # A flag's bytes that are not UTF-8, or a lone surrogate a YAML escape made, as
            # `\\xNN` (names.py): a deck, a namespace or a tag is text SQLite and Anki accept.
            changes[key] = name_text(value) if isinstance(value, str) else value
    # Most notes change nothing: keeping `base` spares a copy per note and keeps what
    # is cached per Config.
    return dataclasses.replace(base, **changes) if changes else base


def _enabled_rules(current: tuple[str, ...], value: list[str] | dict[str, bool]) -> tuple[str, ...]:
    """A list names every rule to run; a mapping switches rules on or off from `current`."""
    if isinstance(value, list):
        wanted = set(value)
    else:
        wanted = {r for r in current if value.get(r, True)} | {r for r, on in value.items() if on}
    return tuple(r for r in RULE_NAMES if r in wanted)


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
