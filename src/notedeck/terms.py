"""What a term is: plain text from Markdown, the normalised form, and the limits of a term."""

from __future__ import annotations

import functools
import re
import unicodedata

# No pattern may scan past the next opening mark: a long line full of unclosed `[`, `*` or
# backticks would otherwise cost quadratic time (a 5 MB line must not hang the build).
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
# A link's destination may be `<…>` or hold one level of parentheses (Wikipedia's `Kernel_(os)`).
_LINK = re.compile(r"\[([^\[\]]*)\]\((?:<[^<>]*>|[^()]*(?:\([^()]*\)[^()]*)*)\)")
_WIKILINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_EMPHASIS = re.compile(r"(\*\*|__|~~|==)(.+?)\1")
_SINGLE = re.compile(r"(?<![\w*])([*_])(?!\s)((?:(?!\1).)+?)(?<!\s)\1(?![\w*])")
_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_HTML_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>\n]*)?/?>")
_OPTION = re.compile(r"^--?[A-Za-z][\w-]*(?:[ =][^\s]+)*")
# `Type I Error ($\alpha$)`: a symbol in parentheses names the term's letter; it is no part of it.
_MATH_ASIDE = re.compile(r"\s*[(（]\s*\$[^$]+\$\s*[)）](?=[\s:：]*$)")
_TRAILING_ASIDE = re.compile(r"\s*[(（][^()（）]*[)）]$")
_GLUED_ASIDE = re.compile(r"(?<=[A-Za-z])\((?=[^()]*[A-Za-z][^()]*\))")
_EDGE = " \t*_`~#>|-–—:：;；,，、.。!！?？\"'“”‘’「」『』【】・"
SENTENCE_END = re.compile(r"[。．！？!?]|\.(?:\s|$)")


# Characters any of the patterns above needs; most terms hold none (a fast path for big vaults).
_MARKUP = re.compile(r"[\[`<*_~=]")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)  # the rules ask again and again about the same lines
def plain(markdown: str) -> str:
    """The text a reader sees: links, emphasis, code marks and tags removed."""
    if not _MARKUP.search(markdown):
        return " ".join(markdown.split())
    text = _IMAGE.sub(r"\1", markdown)
    text = _WIKILINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(lambda m: m.group(2).strip(), text)
    text = _HTML_TAG.sub(" ", text)
    for _ in range(2):
        text = _EMPHASIS.sub(r"\2", text)
    text = _SINGLE.sub(r"\2", text)
    return _SPACES.sub(" ", text).strip()


@functools.lru_cache(maxsize=1 << 16)  # the rules ask again and again about the same lines
def clean_term(markdown: str, *, keep_pairs: bool = False) -> str:
    """A term as it goes on the card front: plain text without edge punctuation; with
    `keep_pairs`, a bracket whose other half stays in the text is kept (`『本』ノート` as a
    topic, where a term would be `本』ノート`, which is no term: see `is_term`)."""
    shown = plain(markdown)
    if "\u200b" in shown:  # a zero-width space pasted in with the text: nothing to see
        shown = shown.replace("\u200b", "")
    if "$" in shown:
        shown = _MATH_ASIDE.sub("", shown) or shown
    text = shown.strip(_EDGE)
    if keep_pairs:
        text = _keep_brackets(shown, text)
    option = _OPTION.match(shown) if shown.startswith("-") else None
    if option:  # `--detach` keeps its dashes
        text = option.group(0)
    if "(" in text:  # `SAAS(Software as a service)` reads as `SAAS (Software as a service)`.
        text = _GLUED_ASIDE.sub(" (", text)
    return text or shown


# Brackets in _EDGE that come in pairs: `『本』ノート` loses neither half of its `『』`.
_BRACKETS = (("「", "」"), ("『", "』"), ("【", "】"), ("“", "”"), ("‘", "’"))


def _keep_brackets(shown: str, text: str) -> str:
    """`text` (`shown` stripped of edge punctuation) with a bracket taken from its edge put
    back when the bracket's other half is inside it: `『本』ノート`, not `本』ノート`."""
    if not text:
        return text
    left = len(shown) - len(shown.lstrip(_EDGE))
    right = left + len(text)
    for opener, closer in _BRACKETS:
        opened, closed = text.count(opener), text.count(closer)
        if closed > opened and left and shown[left - 1] == opener:
            left -= 1
        elif opened > closed and shown[right : right + 1] == closer:
            right += 1
    return shown[left:right]


@functools.lru_cache(maxsize=1 << 16)  # asked many times per card by dedupe and identity
def normalise_term(term: str) -> str:
    """The form two terms are compared in: NFKC, casefolded, plain, single spaces."""
    text = unicodedata.normalize("NFKC", plain(term)).casefold()
    text = _SPACES.sub(" ", text).strip(_EDGE + " ")
    return text or unicodedata.normalize("NFKC", term).casefold().strip()


def without_aside(term: str) -> str:
    """A term without its trailing aside: `Amazon QLDB (Quantum Ledger Database)` ->
    `Amazon QLDB`."""
    text = term.strip()
    if not text.endswith((")", "）")):
        return text  # no aside: most terms
    return _TRAILING_ASIDE.sub("", text) or text


def word_count(text: str) -> int:
    """Words in Latin script; a run of CJK counts as one word."""
    return len(text.split())


@functools.lru_cache(maxsize=1 << 16)  # the rules ask again and again about the same lines
def is_term(text: str, max_chars: int, max_words: int) -> bool:
    """Whether text is short and plain enough to be the front of a card."""
    term = text.strip()
    # A trailing aside (`Amazon QLDB (Quantum Ledger Database)`) does not make a name longer.
    core = without_aside(term)
    if not term or len(core) > max_chars or word_count(core) > max_words:
        return False
    if SENTENCE_END.search(term):
        return False
    if "://" in term or term.startswith(("http", "www.")):
        return False
    if term[-1] in "、，,;；" or not _balanced(term) or is_statement(term):
        return False
    return any(ch.isalpha() for ch in term)


_STATEMENT = re.compile(
    r"\b(?:is|are|was|were|must|should|can|cannot|can't|will|won't|does|doesn't|don't|may)\b"
    r"|^(?:no|not|never|always|do|don't)\s",
    re.IGNORECASE,
)


def is_statement(text: str) -> bool:
    """English text that says something (`Caches are fast`, `No stale reads`) rather than
    naming a thing."""
    return bool(_STATEMENT.search(text))


_PAIRS = {"(": ")", "（": "）", "[": "]", "「": "」", "『": "』", "【": "】"}
_BRACKET = re.compile("[" + re.escape("".join((*_PAIRS, *_PAIRS.values()))) + "]")


def _balanced(text: str) -> bool:
    """Whether every bracket opened in text is closed in it (a cut-off phrase is no term)."""
    if not _BRACKET.search(text):
        return True  # most terms: no need to read them character by character
    stack: list[str] = []
    closing = set(_PAIRS.values())
    for ch in text:
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif ch in closing and (not stack or stack.pop() != ch):
            return False
    return not stack
