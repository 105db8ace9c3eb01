"""A heading that names a term, and the prose paragraph (or first bullet) under it."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ..parse import Block, Section
from ..terms import clean_term, normalise_term, plain
from . import Candidate, Context, Finding, Skip
from .bold import bold_pair
from .bullet import dash_pair, names_means
from .colon import is_pair
from .deflist import opens_with_term_line
from .explicit import explicit_pair
from .lines import (
    REMARK_OPENERS,
    is_cjk,
    is_label,
    is_link_only,
    is_name,
    starts_with_number,
    unwrap,
    walk_items,
)
from .sentence import defining_sentences, named_kinds

KIND = "heading"

_TOPIC_HEADING = re.compile(
    r"(?:について|に関して|まわり|周り|関連|の概要|まとめ|メモ|の違い|比較)$"
    r"|^(?:about|notes? on|on|types? of|kinds? of|list of|overview of)\s"
    r"|\s(?:vs\.?|versus)\s|\S\s*(?:[:：]|[-–—]\s)\s*\S",
    re.IGNORECASE,
)
# A heading over a list of properties of its topic rather than of terms: `Benefits of X`,
# `Structural rules`, `Xのメリット`. Nothing in its own body is a definition.
_PROPERTY_HEADING = re.compile(
    r"^(?:benefits?|advantages?|disadvantages?|pros|cons|features?|characteristics|tips"
    r"|limitations?|drawbacks?|requirements?|best practices|use cases?|how to)\b"
    r"|\b(?:benefits|advantages|disadvantages|pros and cons|features|characteristics|tips"
    r"|rules|limitations|drawbacks|requirements|best practices|use cases|steps"
    r"|good to know|gotchas|caveats|pitfalls)$"
    # `ポイント` after katakana is part of a loanword that names a thing (`エンドポイント`).
    r"|(?:メリット|デメリット|利点|欠点|特徴|注意点|(?<![ァ-ヺー])ポイント|コツ|手順|使い方|方法"
    r"|理由|勉強法)$",
    re.IGNORECASE,
)
# The writer's own story: `最短で合格したいなら`, `実務に活かせるか`, `筆者の前提`.
_NARRATIVE_HEADING = re.compile(
    r"(?:なら|たら|れば|たい|ました|です|ます|ない|よう|か)[（(].*[)）]$"
    r"|(?:なら|たら|れば|たい|ました|です|ます|よう|か|かも)$|筆者|自分|私|僕|\bmy\b"
    r"|^(?:why|how|when|which|where|should)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"(?:とは何か|とは何ですか|とはなに|って何|ってなに|って何ですか|とは)[？?]?$"
    r"|^(?:what\s+(?:is|are|was|were|'s)|what's|define)\s",
    re.IGNORECASE,
)
# `Can be used …`, `Up to 75% …`: a property of the thing, not what it is.
_PROPERTY_OPENING = re.compile(
    r"^[-*+]?\s*(?:can|could|may|might|should|must|will|up to|no|not|also|and|but|so)\b",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_BULLET_MARK = re.compile(r"^[・●○■□◆◇▪]\s*")
_COLON = re.compile(r"[:：]")
_PLACEHOLDER = re.compile(r"^[-*+]?\s*:?(?:todo|tbd|wip|準備中|作成中)\b:?", re.IGNORECASE)
_FIRST_PERSON = re.compile(
    r"^(?:here\s+)?(?:i|we)\s|^(?:私|僕|自分)は|^(?:ここ|本章|本節|この章|この節|本記事)では"
    r"|^in this (?:section|chapter|note|article)\b",
    re.IGNORECASE,
)
# `次のような障害がある。`, `The following …`: an introduction to what comes next.
_INTRO = re.compile(r"次のような|次の\S*を示す|以下の|the following", re.IGNORECASE)
# `Users -> Load Balancer -> EC2`: a flow drawn with arrows, not a sentence about the heading.
_FLOW = re.compile(r"(?:->|→|=>|⇒).*(?:->|→|=>|⇒)")
_LINK_PAIR = re.compile(r"^[^:：]{1,60}[:：]\s*<?(?:https?://|\[[^\]]*\]\()")
_BOLD_ONLY = re.compile(r"^(\*\*|__)[^*_]+\1\s*:?$")
_SHORT = 12  # characters: a list item shorter than this is no definition on its own
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[（(]?[0-9０-９]+[)）]|第\S+[章節])\s+")
# A bracketed aside before the name (`(参考) サブネット`, `【補足】NAT`) belongs to the note.
_PREFIX = re.compile(r"^(?:[（(][^()（）]{1,20}[)）]|【[^】]{1,20}】|\[[^\]]{1,20}\])\s*(?=\S)")


# `①イメージを取得する`, `Step 2: …`, `手順3`, and headings that end in a verb (`…を作成する`,
# `…してみよう`): what to do, not what a thing is.
_STEP = re.compile(r"^\s*(?:[①-⑳]|step\s*\d|手順\s*\d)", re.IGNORECASE)
_ACTION = re.compile(
    r"(?:する|します|しよう|しましょう|てみる|てみよう|みよう|[\u4e00-\u9fff][うくぐすつぬぶむる])$"
)


@functools.lru_cache(maxsize=1 << 14)  # extract and several rules ask about each heading
def is_step_heading(title: str) -> bool:
    """A numbered step of a procedure, or a heading that names an action."""
    return bool(_STEP.match(title) or _ACTION.search(title.strip().rstrip("。.!！")))


@functools.lru_cache(maxsize=1 << 14)  # extract and several rules ask about each heading
def heading_term(title: str) -> str:
    """A heading's text as a term: numbering and note-specific prefixes dropped."""
    text = _NUMBERING.sub("", title.strip())
    return _PREFIX.sub("", text).strip()


@functools.lru_cache(maxsize=1 << 14)  # extract and several rules ask about each heading
def is_topic_heading(title: str) -> bool:
    """`ALBについて`, `About X`, `Notes on X`: a heading about a subject, not a term."""
    return bool(_TOPIC_HEADING.search(title.strip()))


@functools.lru_cache(maxsize=1 << 14)  # extract and several rules ask about each heading
def is_property_heading(title: str) -> bool:
    """`Benefits of X`, `Structural rules`, `Xのメリット`: a list of properties, not terms."""
    return bool(_PROPERTY_HEADING.search(heading_term(title).strip()))


_WHY_OR_HOW = re.compile(r"^(?:why|how)\b(?!.*\b(?:i|my|we|our)\b)", re.IGNORECASE)


def is_why_or_how(title: str) -> bool:
    """`Why use X?`, `How to handle Y`: advice on a subject, not the writer's own story."""
    return bool(_WHY_OR_HOW.match(heading_term(title).strip()))


@functools.lru_cache(maxsize=1 << 14)  # extract and several rules ask about each heading
def is_narrative_heading(title: str) -> bool:
    """`最短で合格したいなら`, `My setup`: the writer's story or advice, not a term."""
    return bool(_NARRATIVE_HEADING.search(heading_term(title).strip()))


@functools.lru_cache(maxsize=1 << 14)  # extract and several rules ask about each heading
def is_question(title: str) -> bool:
    """`Xとは？`, `What is X?` and the like."""
    return bool(_QUESTION.search(title.strip()))


def first_definition(section: Section, ctx: Context) -> tuple[str, int] | Skip | None:
    """The section's first prose block as a definition, with its last line.

    A paragraph ending with `:` takes the code block, list or image after it; a list whose
    first item is prose gives that item. A body that opens with pairs gives nothing.
    """
    blocks = [b for b in section.blocks if b.kind not in ("hr",)]
    for index, block in enumerate(blocks):
        if block.kind == "paragraph":
            text = "\n".join(line.strip() for line in block.lines if line.strip())
            first = text.split("\n", 1)[0]
            if all(is_link_only(line) for line in text.split("\n")):
                continue
            reason = _not_a_definition(first)
            if reason:
                return Skip(block.line, reason)
            if opens_with_term_line(block, ctx):
                return Skip(block.line, "the body opens with a term line over its definition")
            if (
                _is_pair_line(first, ctx)
                or is_label(first.rstrip(":："))
                or is_label(_COLON.split(first, maxsplit=1)[0])
            ):
                return Skip(
                    block.line, "the body opens with pairs or a label line, not a definition"
                )
            if first.startswith(REMARK_OPENERS):
                return Skip(block.line, "a remark or example, not a definition")
            if "\t" in first:
                return None
            if "\t" in text:  # a TAB table after its intro line makes its own cards
                intro = text.split("\n")
                cut = next(i for i, line in enumerate(intro) if "\t" in line)
                text = "\n".join(intro[:cut]).strip()
                if text.endswith((":", "：")):
                    return None
                return _BULLET_MARK.sub("", text), block.line + cut - 1
            text = _BULLET_MARK.sub("", text)
            last = block.line + len(block.lines) - 1
            if text.rstrip().endswith((":", "：")) and index + 1 < len(blocks):
                following = blocks[index + 1]
                if following.kind == "table" or (
                    following.kind == "paragraph" and any("\t" in ln for ln in following.lines)
                ):
                    return None  # the intro of a table, which makes its own cards
                if following.kind == "list" and _holds_pairs(following, ctx):
                    return Skip(block.line, "the body introduces pairs that make their own cards")
                if following.kind in ("code", "list", "paragraph", "table"):
                    text += "\n\n" + "\n".join(following.lines)
                    last = following.line + len(following.lines) - 1
            return text, last
        if block.kind == "list":
            if _tasks_with_code(blocks[index:]):
                return Skip(block.line, "the body is tasks, each with its command: steps")
            return _from_list(block, ctx)
        if block.kind == "table":
            continue  # a table makes its own cards; a definition may follow it
        if block.kind in ("code", "deflist"):
            return None
    return None


def _tasks_with_code(blocks: list[Block]) -> bool:
    """`- Get a container's logs` over a code block, then another item over another code
    block: a cheat sheet of tasks and their commands, not a definition of the heading."""
    pairs = 0
    for item, below in zip(blocks[::2], blocks[1::2], strict=False):
        if item.kind != "list" or below.kind != "code" or len(item.items) != 1:
            break
        pairs += 1
    return pairs >= 2


def _from_list(block: Block, ctx: Context) -> tuple[str, int] | Skip | None:
    first = block.items[0] if block.items else None
    if first is None or not first.text.strip() or block.ordered:
        return None
    head = first.text.split("\n", 1)[0]
    if _is_pair_line(head, ctx) or is_link_only(head):
        return None
    if any(_is_pair_line(line, ctx) for line in first.text.split("\n")[1:]):
        return Skip(first.line, "the first item holds pairs that make their own cards")
    reason = _not_a_definition(head)
    if reason:
        return Skip(first.line, reason)
    if sum(1 for item in block.items if "`" in item.text) * 2 > len(block.items):
        return Skip(block.line, "the body is a list of commands (steps), not a definition")
    if len(block.items) > 1 and all(_is_outline_entry(item.text) for item in block.items):
        return Skip(block.line, "the body is an outline of names, not a definition")
    if first.children and is_name(head):
        return None  # a named item with its own sub-items: the bullet rule's to read
    # A first item too short to say much (`絶対パス。`) is read with the items after it.
    parts: list[str] = []
    last = first.line
    for item in block.items:
        if parts and (len(plain(" ".join(parts))) >= _SHORT or _is_pair_line(item.text, ctx)):
            break
        parts.append(item.text.strip() if not parts else "- " + item.text.strip())
        last = item.line
        for child, depth in walk_items(item.children):
            parts.append("  " * (depth + 1) + "- " + child.text.strip())
            last = child.line
    if len(parts) > 1:
        parts[0] = "- " + parts[0]
    return "\n".join(parts), last


_JA_SUBJECT = re.compile(
    r"^[-*+・]?\s*(?P<subject>[^、。はをがにでと\n]{1,40}?)\s*(?:[(（][^)）]*[)）])?\s*は[、,\s]?"
)
_EN_SUBJECT = re.compile(
    r"^[-*+]?\s*(?:an?|the)\s+(?P<subject>[^,.;:\n]{1,40}?)\s+(?:is|are)\s", re.IGNORECASE
)

_PURPOSE = re.compile(r"['’]s\s+(?:purpose|role|job|function|goal|aim)$", re.IGNORECASE)


def sentence_subject(text: str) -> str:
    """The topic a definition opens with (`Xは…`, `An X is …`), as plain text, or ''."""
    first = plain(text.split("\n", 1)[0]).strip()
    match = _JA_SUBJECT.match(first) or _EN_SUBJECT.match(first)
    if not match:
        return ""
    # `A ReplicaSet's purpose is to …` is about the ReplicaSet: what it is there for.
    return clean_term(_PURPOSE.sub("", match.group("subject")))


def _names_heading(subject: str, term: str) -> bool:
    """Whether a sentence subject is the heading's term (or a longer name holding it);
    `Replica Sets` and `ReplicaSet` are one name, spaced or run together."""
    a, b = _singular(normalise_term(subject)), _singular(normalise_term(clean_term(term)))
    return b in a or b.replace(" ", "") in a.replace(" ", "")


def _singular(text: str) -> str:
    return re.sub(r"(?<=[a-z])s\b", "", text)


def _is_pair_line(text: str, ctx: Context) -> bool:
    return (
        is_pair(text, ctx)
        or bold_pair(text, ctx) is not None
        or explicit_pair(text) is not None
        or dash_pair(_LIST_MARKER.sub("", text), ctx) is not None
    )


def _holds_pairs(block: Block, ctx: Context) -> bool:
    """Whether a list's items are pairs or defining sentences of their own."""
    heads = [item.text.split("\n", 1)[0] for item in block.items]
    return any(
        _is_pair_line(head, ctx) or any(defining_sentences(head, True, True)) for head in heads
    )


def _is_outline_entry(text: str) -> bool:
    """A list item that only names a topic: a name, or a few words without a sentence end."""
    first = text.split("\n", 1)[0].strip()
    if not first or is_name(first):
        return True
    if is_cjk(first) or first.endswith((".", "。", ":", "：")):
        return False
    return len(first.split()) <= 5


def _not_a_definition(text: str) -> str:
    """Why the opening line of a body says something other than what the heading is."""
    if _PLACEHOLDER.match(text):
        return "the section is a placeholder (TODO), not a definition yet"
    if _FIRST_PERSON.match(text):
        return "the text under the heading is the writer speaking, not a definition"
    if _INTRO.search(text) and len(text) < 80:
        return "the text under the heading introduces what follows, not a definition"
    if _LINK_PAIR.match(text):
        return "the body opens with a link, not a definition"
    if _BOLD_ONLY.match(text):
        return "the body opens with a bold label, not a definition"
    if starts_with_number(text):
        return "the text under the heading opens with a figure, not a definition"
    if _PROPERTY_OPENING.match(text):
        return "the text under the heading states a property, not a definition"
    if _FLOW.search(text):
        return "the text under the heading is a flow diagram, not a definition"
    if names_means(text):
        return "the text under the heading is a task and its means, not a definition"
    return ""


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """The heading as the term, when it names one and prose follows it."""
    if section.level == 0:
        return
    title = section.title
    if (
        is_question(title)
        or is_topic_heading(title)
        or is_property_heading(title)
        or ctx.config.is_meta_section(title)
    ):
        return
    term = heading_term(title)
    if is_label(term):
        yield Skip(section.line, f"'{term}' is a label heading, not a term")
        return
    if not any(ch.isalnum() for ch in term):
        yield Skip(section.line, "the heading has no words, only punctuation or symbols")
        return
    if not ctx.is_term(term):
        yield Skip(section.line, "the heading is too long or a sentence, not a term")
        return
    if is_narrative_heading(title):
        yield Skip(section.line, "the heading tells the writer's story or advice, not a term")
        return
    if title.rstrip().endswith(("?", "？")):
        yield Skip(section.line, "the heading asks a question other than 'what is X?'")
        return
    if is_step_heading(title):
        yield Skip(section.line, "a step or action of a procedure, not a term")
        return
    found = first_definition(section, ctx)
    if found is None:
        return
    if isinstance(found, Skip):
        yield found
        return
    definition, last = found
    subject = sentence_subject(definition)
    if subject and not _names_heading(subject, term):
        yield Skip(
            section.line,
            f"the text under the heading is about '{subject}', not '{clean_term(term)}'",
        )
        return
    if _names_kinds(definition, term):
        yield Skip(
            section.line,
            f"the text under the heading says what '{clean_term(term)}' has (kinds, traits), "
            "not what it is",
        )
        return
    wanted = normalise_term(term)
    # Terse list items (`- route table responsible for …`) define things as paragraphs do not.
    in_list = (
        next((b.kind for b in section.blocks if b.kind in ("paragraph", "list")), "") == "list"
    )
    # The first line with the lines soft-wrapped onto it: one sentence may span them.
    first_line = unwrap(definition)[0]
    names = [other for other, _, _ in defining_sentences(first_line, True, in_list)]
    for other in names:
        if normalise_term(other) != wanted and not _names_heading(other, term):
            yield Skip(section.line, f"the paragraph defines '{other}', not the heading")
            return
    for name, _, sentence in defining_sentences(first_line, True):
        if _names_heading(name, term) and first_line.startswith(sentence):
            # The paragraph opens by defining the heading's term; the sentences after it go
            # on about other things (what it can do, how it is billed).
            definition = sentence
            break
    term = _with_other_name(clean_term(term), names)
    yield Candidate(term, definition, section.line, KIND, last, own_heading=True)


# `ロック方式には2相ロック方式と木制約がある。`: a paragraph that opens by naming the kinds of
# the heading's subject says what there is, not what the subject is (`named_kinds`).
_FIRST_JA_SENTENCE = re.compile(r"^.*?(?:。|\.(?=\s|$)|$)")


def _names_kinds(definition: str, term: str) -> bool:
    """Whether the text under a heading opens with `<the heading's subject>にはAとBがある`."""
    first = _FIRST_JA_SENTENCE.match(plain(unwrap(definition)[0]).strip())
    kinds = named_kinds(first.group(0)) if first else None
    if not kinds:
        return False
    # `## ロック方式` over `ロック方式には…`, `## 置き換え` over `置き換えの方式には…`
    subject, heading = kinds[0], clean_term(term)
    return heading.startswith(subject) or subject.startswith(heading)


_OTHER_NAME = re.compile(r"^(?P<name>[^()（）]+?)\s*[(（](?P<other>[^()（）]+)[)）]$")


def _with_other_name(term: str, names: list[str]) -> str:
    """`IPC` over `Inter process communication (IPC) is …` stands as
    `IPC (Inter process communication)`: the heading's words, then the other name the
    defining sentence gives them."""
    wanted = normalise_term(term)
    for name in names:
        both = _OTHER_NAME.match(clean_term(name))
        if both and normalise_term(both.group("other")) == wanted:
            return f"{term} ({both.group('name')})"
        if both and normalise_term(both.group("name")) == wanted:
            return f"{term} ({both.group('other')})"
    return term
