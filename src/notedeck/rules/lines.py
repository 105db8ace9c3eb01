"""The lines of a section that the line-based rules read, and what they share about lines."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..parse import Block, ListItem, Section
from ..terms import clean_term, is_statement

# Words that label what follows rather than name a thing: `注意点` above colon lines,
# `Note: …`, `例: …`. A line led by one of them is never a term.
LABELS = frozenset(
    {
        "注意",
        "注意点",
        "注",
        "備考",
        "補足",
        "メモ",
        "ポイント",
        "例",
        "例えば",
        "具体例",
        "参考",
        "結論",
        "答え",
        "正解",
        "解答",
        "回答",
        "解説",
        "問題",
        "理由",
        "メリット",
        "デメリット",
        "特徴",
        "手順",
        "前提",
        "使い方",
        "書式",
        "構文",
        "出力",
        "結果",
        "実行結果",
        "コマンド",
        "ref",
        "note",
        "notes",
        "nb",
        "tip",
        "tips",
        "hint",
        "warning",
        "caution",
        "important",
        "example",
        "examples",
        "e.g",
        "eg",
        "i.e",
        "ie",
        "see",
        "source",
        "sources",
        "output",
        "result",
        "results",
        "usage",
        "syntax",
        "answer",
        "question",
        "q",
        "a",
        "todo",
        "pros",
        "cons",
        "advantages",
        "disadvantages",
        "benefits",
        "steps",
        "step",
        "why",
        "how",
        "other",
        "others",
        "misc",
        "その他",
        "雑記",
        # Outline labels, usually numbered: `分野 1`, `Step 2`, `Case 3`.
        "分野",
        "章",
        "節",
        "問",
        "設問",
        "ステップ",
        "パート",
        "ケース",
        "part",
        "case",
        "chapter",
        "section",
        "phase",
        "lesson",
        "module",
        "unit",
        "day",
        "week",
        "domain",
    }
)

REMARK_OPENERS = ("例えば", "たとえば", "例:", "例：", "e.g.", "For example", "for example", "※")

_NUMBERED = re.compile(r"(?:\s*[0-9０-９]+|\s+(?:[ivx]+|[a-z]))$")
# Runs of backticks match whole (no backtracking into a run): cubic time on a line of `````.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK_ONLY = re.compile(
    r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:<?https?://\S+>?|\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\([^)]*\)"
    r"|\[\[[^\]]*\]\]|!\[\[[^\]]*\]\]"
    # Obsidian tags alone on a line (`#flashcards/aws`): metadata, like a link
    r"|#[^\s#]*[^\W\d][^\s#]*(?:\s+#[^\s#]*[^\W\d][^\s#]*)*)\s*$"
)


@dataclass(frozen=True)
class Line:
    """One line of prose: a paragraph line or a list item's first line."""

    number: int
    text: str
    block: Block
    item: ListItem | None = None
    index: int = 0  # position within its paragraph


def mask_code(text: str) -> str:
    """Text with the inside of inline code spans blanked, so separators in code are not seen."""
    if "`" not in text:
        return text  # most lines hold no code
    return _CODE_SPAN.sub(lambda m: m.group(1) + "\x01" * len(m.group(2)) + m.group(1), text)


def is_link_only(text: str) -> bool:
    """A line that is nothing but a link, URL, image or Obsidian tags."""
    if "[" not in text and "#" not in text and "://" not in text:
        return False  # what every link, image or tag needs; most lines have none
    return bool(_LINK_ONLY.match(text))


@functools.lru_cache(maxsize=1 << 14)  # every rule asks about its would-be terms
def is_label(term: str) -> bool:
    """Whether a would-be term is a label word (`Note`, `注意点`, `例`, `Step 2`)."""
    word = term.strip().strip("*_").rstrip(".").casefold()
    return word in LABELS or _NUMBERED.sub("", word) in LABELS


def why_not_term(term: str) -> str:
    """Why a would-be term (before a separator) is none: a label, a statement, or too long."""
    text = clean_term(term)
    if is_label(text):
        return f"'{text}' is a label, not a term"
    if is_statement(text):
        return f"'{text}' is a statement, not a term"
    return f"'{text}' is too long or a sentence, not a term"


def paragraph_lines(block: Block) -> Iterator[Line]:
    """The non-blank lines of a paragraph block."""
    for index, text in enumerate(block.lines):
        if text.strip():
            yield Line(block.line + index, text.strip(), block, None, index)


def walk_items(items: tuple[ListItem, ...]) -> Iterator[tuple[ListItem, int]]:
    """Every list item, depth first, with its depth (0 for top level)."""
    stack = [(item, 0) for item in reversed(items)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        stack.extend((child, depth + 1) for child in reversed(item.children))


# The rules read a section one after another, most of them its prose lines: the lines of the
# last section asked about are kept. It is known by identity (hashing a section would walk
# its whole tree), and held, so that no other section can take its id.
_recent: tuple[Section | None, tuple[Line, ...]] = (None, ())


def prose_lines(section: Section) -> tuple[Line, ...]:
    """Paragraph lines and the first line of every list item, in order."""
    global _recent
    seen, lines = _recent
    if seen is not section:
        lines = tuple(_prose_lines(section))
        _recent = (section, lines)
    return lines


def _prose_lines(section: Section) -> Iterator[Line]:
    for block in section.blocks:
        if block.kind == "paragraph":
            yield from paragraph_lines(block)
        elif block.kind == "list":
            for item, _ in walk_items(block.items):
                first = item.text.split("\n", 1)[0].strip()
                if first:
                    yield Line(item.line, first, block, item)


def item_rest(item: ListItem) -> str:
    """The lines of a list item's text after its first line."""
    parts = item.text.split("\n", 1)
    return parts[1].strip() if len(parts) > 1 else ""


_HARD_BREAK = ("  ", "\\")
_ROW_END = re.compile(r"[。．！？!?.:：]\s*$")


def wraps(above: str, below: str) -> bool:
    """Whether the raw line `below` goes on with the sentence of the line `above` (a soft
    line break): `above` ends with no sentence end, colon or hard break, and `below` goes on
    in lower case or with an aside. Japanese has no case to tell: its lines stand alone
    (`各ステージからみて、` above a list of `…を「X」` lines)."""
    if above.endswith(_HARD_BREAK) or _ROW_END.search(above):
        return False
    first = below.lstrip()[:1]
    return "a" <= first <= "z" or first == "("


def unwrap(text: str) -> list[str]:
    """The lines of text with each soft-wrapped line joined onto the line above it."""
    joined: list[list[str]] = []
    above = ""
    for row in text.split("\n"):
        if joined and wraps(above, row):
            joined[-1].append(row.strip())
        else:
            joined.append([row.strip()])
        above = row
    return [" ".join(parts) for parts in joined]


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_NAME_JOINERS = frozenset({"and", "of", "for", "the", "a", "an", "in", "on", "to", "with", "&"})
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_STARTS_WITH_NUMBER = re.compile(r"^[\s(（]*[0-9０-９]+(?:[.,][0-9]+)*(?:\s|%|[.)]\s)")


def is_name(text: str) -> bool:
    """Whether a list item reads as a bare name (`Amazon SQS`, `ブロックストレージ`) rather
    than a description of something (`バックアップ用のストレージ`, `a lock that spins`).

    Japanese descriptions carry particles or verb endings (hiragana); English ones run
    longer than a name does.
    """
    plain_text = re.sub(r"[`*_]", "", text).strip()
    if not plain_text:
        return True
    if is_cjk(plain_text):
        return not _HIRAGANA.search(plain_text)
    words = plain_text.split()
    return len(words) <= 3 or all(w[0].isupper() or w in _NAME_JOINERS for w in words)


def is_cjk(text: str) -> bool:
    """Whether text holds Japanese or Chinese characters."""
    return bool(_CJK.search(text))


def starts_with_number(text: str) -> bool:
    """`1.1 設計する`, `99.9%の耐久性`: an outline number or a figure, not a description."""
    return bool(_STARTS_WITH_NUMBER.match(text))
