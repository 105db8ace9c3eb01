"""The state file's schema: every value of a note checked before a build uses it (issue #18).

The state file is committed, merged and sometimes edited by hand, so valid JSON may still hold
values that a build cannot write: a mod too large for SQLite, a lone surrogate that UTF-8
cannot encode, a tag with a space, a note type notedeck does not have. A note with such a value
is left out with a warning, never passed on to fail later with a traceback.
"""

from __future__ import annotations

import re
from typing import Any

from .package import MODELS, field_names

# Mods are seconds since 1970; anything from 0 to this fits SQLite's integers (and JSON
# readers that keep numbers as doubles) with room for the `+ 1` of `identity.newer_mod`.
MAX_MOD = 2**53
# A lone surrogate can only come from a `\ud800`-style escape: the file is UTF-8, which cannot
# hold one. Only a file with such an escape has its strings searched for one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACE = re.compile(r"\s")

_TEXTS = ("key", "hash", "term", "definition_hash", "deck", "model")
_OPTIONAL_TEXTS = ("location", "note_path")
_FIELD_COUNT = {name: len(field_names(name)) for name in MODELS}


def is_mod(value: Any) -> bool:
    """Whether `value` is a mod a build can write: a whole number from 0 to MAX_MOD."""
    return type(value) is int and 0 <= value <= MAX_MOD


def may_hold_surrogates(text: str) -> bool:
    """Whether the JSON text escapes a surrogate (a pair is fine; a lone one is not)."""
    return _SURROGATE_ESCAPE.search(text) is not None


def entry_problem(guid: Any, raw: Any, surrogates: bool) -> str:
    """What is wrong with the note `raw` kept under `guid`, or ''. `surrogates`: whether its
    strings may hold a lone surrogate (see `may_hold_surrogates`)."""
    if type(guid) is not str or not guid:
        return "a GUID that is empty"
    if type(raw) is not dict:
        return "not a JSON object"
    for name in _TEXTS:
        value = raw.get(name)
        if type(value) is not str:
            return f"'{name}' is {_kind(value)}, not a text"
    for name in _OPTIONAL_TEXTS:
        value = raw.get(name, "")
        if type(value) is not str:
            return f"'{name}' is {_kind(value)}, not a text"
    if not raw["deck"]:
        return "'deck' is empty"
    model = raw["model"]
    if model not in _FIELD_COUNT:
        return f"'model' is {_kind(model)}, not a note type of notedeck"
    if not is_mod(raw.get("mod")):
        return f"'mod' is {_kind(raw.get('mod'))}, not a whole number from 0 to 2**53"
    removed = raw.get("removed", False)
    if type(removed) is not bool:
        return f"'removed' is {_kind(removed)}, not true or false"
    for name in ("fields", "tags", "topic"):
        value = raw.get(name, [])
        if type(value) is not list or not all(type(v) is str for v in value):
            return f"'{name}' is {_kind(value)}, not a list of texts"
    if len(raw["fields"]) != _FIELD_COUNT[model]:
        count = len(raw["fields"])
        return f"'fields' has {count}, not the {_FIELD_COUNT[model]} fields of {model}"
    for tag in raw["tags"]:
        if not tag or _SPACE.search(tag):
            return f"the tag {_kind(tag)} is empty or holds a space, which Anki cannot keep"
    if surrogates and _holds_surrogate(guid, raw):
        return "a text holds a lone surrogate, which UTF-8 cannot encode"
    return ""


def _holds_surrogate(guid: str, raw: dict[str, Any]) -> bool:
    texts = [guid, *(raw.get(n, "") for n in (*_TEXTS, *_OPTIONAL_TEXTS))]
    texts += [*raw["fields"], *raw["tags"], *raw.get("topic", [])]
    return any(_SURROGATE.search(text) for text in texts)


def text_problem(value: Any) -> bool:
    """Whether a header value meant to be a text is not one a build can write."""
    return type(value) is not str or _SURROGATE.search(value) is not None


def _kind(value: Any) -> str:
    """A JSON value as a message names it: `"false"`, `1e+400`, `a list`."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value[:40])  # escaped: a lone surrogate cannot be printed
    if isinstance(value, int):
        return str(value) if len(str(value)) <= 24 else f"a number of {len(str(value))} digits"
    if isinstance(value, float):
        return repr(value)
    return "a list" if isinstance(value, list) else "an object"
