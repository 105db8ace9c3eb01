"""Detectors propose: every place in a section that could carry a term/definition pair.

They are permissive on purpose. Whether a proposal becomes a card is decided by the scorer
(`scorer.py`) from the generic facts `features.py` reads off it; a detector only says where a
term and its definition would be if the place were a pair. Each detector is a small function
`(section, units, ctx) -> Iterator[Proposal]`, gathered in `DETECTORS` in priority order.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..parse import Section
from ..terms import normalise_term, plain, without_aside
from .units import Unit, units

# The kinds of DESIGN §2 each form reports (what the `rules:` setting switches).
KIND_OF_FORM = {
    "heading": "heading",
    "question": "question",
    "qa": "question",
    "colon": "colon",
    "dash": "bullet",
    "gap": "bullet",
    "gloss": "bullet",
    "parent": "bullet",
    "bold": "bold",
    "sentence": "sentence",
    "termline": "deflist",
    "dt": "deflist",
    "row": "table",
    "label": "bullet",
    "aside": "bullet",
}


@dataclass(frozen=True)
class Proposal:
    """A place that could be a pair: where the term and its definition would be."""

    term: str  # Markdown, as written
    definition: str  # Markdown
    line: int
    form: str  # the detector's own name for the shape (`colon`, `termline`, …)
    unit: Unit | None = None  # None for a heading's proposal
    last_line: int = 0
    own_heading: bool = False
    separator: str = ""  # what split the term from the definition, as written
    pattern: str = ""  # a sentence's defining pattern (`toha`, `is_a`, …)

    @property
    def kind(self) -> str:
        """The DESIGN §2 kind this proposal reports."""
        return KIND_OF_FORM[self.form]


_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[（(]?[0-9０-９]+[)）]|第\S+[章節])\s+")
# `(参考)`, `【AWS】`, `[Lab]` before a heading's term; `[X](url)` is a link, no prefix
_PREFIX = re.compile(
    r"^(?:[（(][^()（）]{1,20}[)）]|【[^】]{1,20}】|\[[^\]]{1,20}\](?![(\[]))\s*(?=\S)"
)
_QUESTION_JA = re.compile(
    r"\s*(?:とは何か|とは何ですか|とはなに|って何ですか|って何|ってなに|とは)\s*[？?]*\s*$"
)
_QUESTION_EN = re.compile(
    r"^(?:what\s+(?:is|are|was|were|'s|does)|what's|define|who\s+(?:is|was))\s+"
    r"(?:(?:a|an|the)\s+)?(.+?)\s*(?:mean)?\s*[?？]*$",
    re.IGNORECASE,
)
_IS_QUESTION = re.compile(
    r"(?:とは(?:何|なに)?(?:か|ですか)?|って(?:何|なに)(?:ですか)?)\s*[？?]?\s*$"
    r"|^(?:what\s+(?:is|are|was|were|'s|does)|what's|define)\s",
    re.IGNORECASE,
)
# Where a definition announces what follows it: the blocks after it belong to it.
_LEADS_ON = re.compile(
    r"(?:[:：]|given by|as follows|the following"
    r"|次の(?:通り|とおり|よう)\S{0,6}|以下の(?:通り|とおり)\S{0,6})"
    r"\s*[。.]?$",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^。！？!?]+?(?:[。！？!?]+|\.(?=\s|$)|$)")
_JOINABLE_KINDS = frozenset({"code", "list", "paragraph", "html", "table"})
_SHOWN = re.compile(r"^(?:\$\$|\\\[|!\[|<img\b|<video\b|<audio\b)")


def is_question(title: str) -> bool:
    """`Xとは？`, `What is X?` and the like."""
    return bool(_IS_QUESTION.search(title.strip()))


def heading_term(title: str) -> str:
    """A heading's text as a term: numbering and note-specific prefixes dropped."""
    text = _NUMBERING.sub("", title.strip())
    return _PREFIX.sub("", text).strip()


def question_term(title: str) -> str:
    """The term a question heading asks about; the heading's term when it asks nothing."""
    text = heading_term(title)
    english = _QUESTION_EN.match(text)
    if english:
        return english.group(1).strip()
    return _QUESTION_JA.sub("", text).strip() or text


def sentences(text: str) -> list[str]:
    """The sentences of a line (`。`, `!`, `?` and `. ` end one)."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def defining_part(text: str, limit: int = 160) -> str:
    """A long paragraph's defining sentences: the first, and more while they stay short."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in sentences(text.replace("\n", " ")):
        if kept and len(kept) + len(sentence) > limit:
            break
        kept = f"{kept} {sentence}".strip() if kept else sentence
    return kept or text


def leads_on(definition: str) -> bool:
    """Whether a definition ends by announcing what follows (`:`, `given by`, `次の通り`)."""
    return bool(_LEADS_ON.search(plain(definition).rstrip()))


def _after(section: Section, block: int) -> str:
    """The code, formulas, images and lists standing right after a block, as Markdown."""
    parts: list[str] = []
    for following in section.blocks[block + 1 :]:
        text = "\n".join(
            _QUOTE.sub("", line) if following.quoted else line for line in following.lines
        )
        # Prose does not join: only a formula or an image stands in for a paragraph.
        if following.kind not in _JOINABLE_KINDS or (
            following.kind == "paragraph" and not _SHOWN.match(text.strip())
        ):
            break
        parts.append(text.strip("\n"))
    return "\n\n".join(parts)


def _with_following(section: Section, unit: Unit | None, block: int, definition: str) -> str:
    """A definition that announces what follows, with what follows joined to it."""
    if not leads_on(definition):
        return definition
    if unit is not None:
        later = [u for u in section_units(section) if u.block == block and u.line > unit.line]
        if later:
            return definition
    tail = _after(section, block)
    return f"{definition}\n\n{tail}" if tail else definition


_recent: tuple[Section | None, list[Unit]] = (None, [])


# A line longer than this holds no pair a learner would study; reading it with the line
# detectors' patterns would cost time that grows with its length (a 5 MB line must not hang).
MAX_UNIT_CHARS = 4000


def section_units(section: Section) -> list[Unit]:
    """The units of a section the detectors read, made once for the section last asked about
    (every detector and the features ask in turn)."""
    global _recent
    seen, found = _recent
    if seen is not section:
        found = [u for u in units(section) if len(u.text) <= MAX_UNIT_CHARS]
        _recent = (section, found)
    return found


_PARA_MARKER = re.compile(
    r"^\s*(?:[-+]\s+|\*\s+|[・●○■□◆◇▪▸►※]\s*|o\s+(?=\S)|:::+\s*(?:note|info|tip|warning|caution|danger|important)?\s*)"
)


def _text(unit: Unit) -> str:
    """A unit's text without a quote mark or a bullet written as text (`・`, `o `)."""
    text = _QUOTE.sub("", unit.text) if unit.quoted else unit.text
    return (
        _PARA_MARKER.sub("", text).strip()
        if unit.form in ("para", "item", "cont")
        else text.strip()
    )


Detector = Callable[[Section, Sequence[Unit]], Iterator[Proposal]]


def heading(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """A heading over its first paragraph or first list item."""
    if section.level == 0:
        return
    blocks = [(i, b) for i, b in enumerate(section.blocks) if b.kind != "hr"]
    if not blocks:
        return
    index, block = blocks[0]
    first = [u for u in found if u.block == index]
    if block.kind == "paragraph" and first:
        definition = "\n".join(_text(u) for u in first)
        last = first[-1].line
        definition = defining_part(definition)
        definition = _with_following(section, None, index, definition)
    elif block.kind == "list" and first:
        top = first[0]
        definition = _item_definition(top)
        last = top.line
        items = [u for u in first if u.form == "item" and u.depth == 0]
        if len(plain(definition)) < 15 and len(items) > 1 and not top.children:
            # `- 相対パス。` over `- カレントディレクトリから始まるパス。`: one says little
            definition = f"{definition} {_text(items[1])}"
            last = items[1].line
    elif block.kind == "code" and len(blocks) > 1 and blocks[1][1].kind == "paragraph":
        return
    else:
        return
    form = "question" if is_question(section.title) else "heading"
    term = question_term(section.title) if form == "question" else heading_term(section.title)
    definition = without_subject(definition, term)
    yield Proposal(term, definition, section.line, form, None, last, own_heading=True)


_COPULA_START = re.compile(r"^(?:is|are|refers to|means)\s+(?=\S)")
_SUBJECT = re.compile(
    r"^(?:(?:the|an?)\s+)?(?P<subject>[^.,;:。、]{1,60}?)\s+(?:is|are|refers to|means)\s+(?=\S)"
    r"|^(?P<ja>[^。、，,]{1,40}?)(?:とは|は)[、，,]\s*(?=\S)",
    re.IGNORECASE,
)


def without_subject(definition: str, term: str) -> str:
    """A heading's body without the heading again as its subject: `## GIL` over `The GIL is a
    mutex…` or `> is a mutex…` defines it as `a mutex…`."""
    text = definition.lstrip()
    copula = _COPULA_START.match(text)
    if copula:
        return text[copula.end() :]
    subject = _SUBJECT.match(text)
    if subject:
        said = normalise_term(subject.group("subject") or subject.group("ja"))
        if said and said in (normalise_term(term), normalise_term(without_aside(term))):
            return text[subject.end() :]
    return definition


def _item_definition(unit: Unit) -> str:
    """A list item as a heading's definition: a short item or one ending in a colon goes on
    into its sub-items."""
    text = _text(unit)
    if not unit.children:
        return text
    if text.rstrip().endswith((":", "：")):
        return f"{text}\n{_as_list(unit.children)}"
    if len(plain(text)) < 30:
        return _as_list([item for item in (text, *unit.children) if item])
    return text


def _as_list(items: Sequence[str]) -> str:
    """Items as a Markdown list."""
    return "\n".join(f"- {item}" for item in items)


def _described_below(unit: Unit) -> str:
    """What describes a line that ends at its separator: its sub-items, else its later lines."""
    if unit.children:
        return _as_list(unit.children)
    return "\n".join(unit.rest)


# Separators between a term and its definition, tried in order on one line.
_SEPARATORS = (
    ("colon", re.compile(r"\s*(?:：|:(?=\s|$|[\u3000-\u9fff\uff00-\uffef]))\s*")),
    ("dash", re.compile(r"\s+(?:-{1,2}|–|—|―|→|=>|->)\s+|\s*(?:―|—|–)\s*")),
    ("gap", re.compile(r"\t+|\s{2,}|\s+=\s+|\u3000+")),
    # `ephemeral はかない`: an English word glossed in Japanese
    ("gloss", re.compile(r"(?<=[A-Za-z])\s+(?=[\u3040-\u30ff\u4e00-\u9fff])")),
)
_BOLD_OPEN = re.compile(
    r"^(\*\*|__)(?P<term>[^*_]{1,80}?)\1(?P<aside>\s*[(（][^()（）]{1,80}[)）])?\s*(?P<rest>.*)$"
)
_BOLD_REST = re.compile(r"^(?:[:：]|\s*[-–—―]\s*|は[、,]?|とは[、,]?|って|\s*=\s*|,)\s*")
# Code spans, links and URLs: no separator inside them splits a line.
_UNSPLIT = (
    re.compile(r"`[^`]*`"),
    re.compile(r"\$\$[^$]*(?:\$\$|$)|\$[^$\s][^$\n]*\$"),  # a formula: `$$ t = \bar{D} - \mu $$`
    re.compile(r"\[[^\[\]]*\]\([^()]*\)"),
    re.compile(r"https?://\S+"),
)


def _masked(text: str) -> str:
    """Text with code spans and link targets blanked, so a `:` inside them splits nothing."""
    for pattern in _UNSPLIT:
        text = pattern.sub(lambda m: "x" * len(m.group(0)), text)
    return text


def separated(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """`term: definition`, `term - definition`, `term<TAB>definition` on one line."""
    for unit in found:
        if unit.form not in ("para", "item", "cont"):
            continue
        text = _text(unit)
        masked = _masked(text)
        for form, pattern in _SEPARATORS:
            match = pattern.search(masked)
            if not match or match.start() == 0:
                continue
            term, definition = text[: match.start()], text[match.end() :]
            if not definition.strip():
                definition = _described_below(unit)
            if not definition.strip():
                definition = _after(section, unit.block) if _last_of_block(found, unit) else ""
                if definition:
                    yield Proposal(
                        term, definition, unit.line, "label", unit, separator=match.group(0).strip()
                    )
                continue
            definition = _with_following(section, unit, unit.block, definition)
            yield Proposal(
                term, definition, unit.line, form, unit, separator=match.group(0).strip()
            )
            break
        else:
            # `` `docker-compose build` build or rebuild services ``: a command, then what it does
            code = _CODE_LEAD.match(text)
            if code:
                definition = _with_following(section, unit, unit.block, code.group("def"))
                yield Proposal(code.group("term"), definition, unit.line, "gap", unit)


_CODE_LEAD = re.compile(r"^(?P<term>`[^`]+`)\s+(?P<def>[A-Za-z\u3040-\u9fff].*)$")


def _last_of_block(found: Sequence[Unit], unit: Unit) -> bool:
    return not any(
        u.block == unit.block and u.line > unit.line and u.depth <= unit.depth for u in found
    )


def bold(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """A line opening with its bold term: `**X**: …`, `**X** is …`, `**X**は、…`, or a bold
    line over what describes it."""
    for unit in found:
        if unit.form not in ("para", "item", "cont"):
            continue
        match = _BOLD_OPEN.match(_text(unit))
        if not match:
            continue
        term, rest = match.group("term") + (match.group("aside") or ""), match.group("rest")
        separator = _BOLD_REST.match(rest)
        definition = rest[separator.end() :] if separator else rest
        if not definition.strip():
            definition = _described_below(unit)
            if not definition:
                continue
        definition = _with_following(section, unit, unit.block, definition)
        # `**X** is a …`: the whole sentence reads as the definition.
        shown = f"{term} {definition}" if not separator else definition
        yield Proposal(
            term,
            shown,
            unit.line,
            "bold",
            unit,
            separator=separator.group(0).strip() if separator else "",
        )


# Defining sentences. Each names the term and the definition groups; tried in order.
_TERM = r"[^、。，,「」\s][^、。，,「」]{0,38}?"
_DEFINING = (
    (
        "toha",
        re.compile(
            rf"^(?P<term>{_TERM})\s*(?:とは|というのは|(?<![\u3041-\u309f])って(?:いうのは)?)[、，,\s]*(?P<def>.+)$"
        ),
    ),
    (
        "yobu",
        re.compile(
            r"^(?P<def>.{4,}?)(?:のこと)?を[、\s]*[「『\"*]*(?P<term>[^「」『』\"、。を*]{1,40}?)[」』\"*]*"
            r"\s*(?:と(?:呼|よ)[ぶびばんぼ]|と(?:い|言)[うい]|と称)"
        ),
    ),
    # `Xとは、` / `Xでは、` / `Xには、` read the particle before は: not `Xと` is …; nor is
    # `Xというの` (`の` makes a phrase a noun: `というのは` is toha's)
    ("wa_comma", re.compile(rf"^(?P<term>{_TERM})(?<![とでにへの])\s*は[、，,]\s*(?P<def>.+)$")),
    (
        "wa",
        re.compile(
            r"^(?P<term>[^、。，,「」\sはがを][^、。，,「」はがを]{0,30}?[^\sとでにへの])は\s*"
            r"(?P<def>[^、。]{2,}.*)$"
        ),
    ),
    (
        "is_a",
        re.compile(
            r"^(?:an?\s+|the\s+)?(?P<term>[^,;:.()]{1,60}?(?:\s*\([^()]{1,60}\))?)\s+(?:is|are)\s+"
            r"(?P<def>(?:an?|the|one|any|used|when|how|where|what|called|defined|known|made|some)\b.+)$",
            re.IGNORECASE,
        ),
    ),
    (
        "means",
        re.compile(
            r"^(?:an?\s+|the\s+)?(?P<term>[^,;:.]{1,60}?)\s+"
            r"(?P<def>(?:refers?\s+to|means|describes|represents|denotes|stands\s+for|is\s+defined\s+as|are\s+defined\s+as|consists?\s+of|allows?|provides?|stores?|lets)\b.+)$",
            re.IGNORECASE,
        ),
    ),
    (
        "is",
        re.compile(
            r"^(?:an?\s+|the\s+)?(?P<term>[^,;:.()]{1,40}?(?:\s*\([^()]{1,60}\))?)\s+(?:is|are|was|were)\s+(?P<def>.+)$",
            re.IGNORECASE,
        ),
    ),
    # `Kubelet, a process responsible for…`: a term and its description in apposition
    (
        "apposition",
        re.compile(
            r"^(?:an?\s+|the\s+)?(?P<term>[^,;:.()]{1,40}?(?:\s*\([^()]{1,40}\))?),\s+"
            r"(?P<def>(?:an?|the)\s+\w+.+)$",
            re.IGNORECASE,
        ),
    ),
    (
        "which_is",
        re.compile(
            r"^(?:an?\s+|the\s+)?(?P<term>[^,;:.()]{1,40}?),\s+(?:which|that|who)\s+(?:is|are)\s+(?P<def>.+)$",
            re.IGNORECASE,
        ),
    ),
    (
        "terse",
        re.compile(
            r"^(?P<term>[a-z][\w()-]*(?:\s+[\w()-]+){0,3}?)\s+(?P<def>(?:responsible\s+for|used\s+(?:to|for)"
            r"|where|kept\s+in|stored\s+in|that|which|for)\b.+)$",
        ),
    ),
    ("dearu", re.compile(r"^(?P<def>.{4,}?)である(?P<term>[^、。はがをにで]{2,30})[。.]?$")),
    (
        "called",
        re.compile(
            r"^(?P<def>.{8,}?)\s+(?:is|are)\s+(?:called|known\s+as|termed)\s+(?:an?\s+|the\s+)?"
            r"(?P<term>[^,.;]{1,40}?)\s*[.,;]?$",
            re.IGNORECASE,
        ),
    ),
)


_ENUMERATED_CALLED = re.compile(
    r"(?:^|[①-⑳]|\d[.)）])\s*(?P<def>[^①-⑳「」]{2,60}?)を[「『](?P<term>[^」』]{1,40})[」』]"
)
_CALLED_CLOSE = re.compile(r"^\s*と(?:呼|よ)[ぶびばんぼ]|^\s*と(?:い|言)[うい]")
_ENUMERATOR = re.compile(r"^\s*(?:[①-⑳]|\d[.)）])")


# `左の部を純資産といい、右の部を負債という。`: one sentence naming two terms
_NAMING_JOINT = re.compile(r"(と(?:いい|言い|呼び|よび))[、，,]")


_NAMING_END = re.compile(r"(?:という|と呼ぶ|と呼ばれる)(?=[。.]?$)")
_NAMING_ELIDED = re.compile(
    r"(を[^、。を]{1,20})[、，](?=[^。]*を[^、。]+(?:という|と呼ぶ|と呼ばれる)[。.]?$)"
)


def _clauses(sentence: str) -> list[str]:
    """A sentence cut after each `…をXといい、`, each clause ending as a sentence would."""
    if "、" not in sentence and "，" not in sentence and "," not in sentence:
        return [sentence]
    parts = _NAMING_JOINT.split(sentence)
    clauses = []
    for index in range(0, len(parts) - 1, 2):
        joint = parts[index + 1]
        closing = "という" if joint.endswith(("いい", "言い")) else "と呼ぶ"
        clauses.append(parts[index] + closing + "。")
    clauses.append(parts[-1])
    # `右上の部を他人資本、右下の部を自己資本という`: the first naming's verb left out
    found = []
    for clause in clauses:
        verb = _NAMING_END.search(clause)
        if not verb:
            found.append(clause)
            continue
        pieces = _NAMING_ELIDED.split(clause)
        for index in range(0, len(pieces) - 1, 2):
            found.append(pieces[index] + pieces[index + 1] + verb.group(0) + "。")
        found.append(pieces[-1])
    return [clause for clause in found if clause.strip()]


_THIS_CALLED = re.compile(
    r"^(?:これ|それ|このこと|この\S{1,6})を[「『]?(?P<term>[^「」『』、。]{1,30}?)[」』]?と(?:いう|言う|呼ぶ|呼びます|いいます)"
)


def _called_lines(found: Sequence[Unit]) -> Iterator[Proposal]:
    """`①…を「X」` / `②…を「Y」` lines closed by a line `と呼びます`: each names a term."""
    for position, unit in enumerate(found):
        if unit.form != "para" or not _CALLED_CLOSE.match(_text(unit)):
            continue
        above = position - 1
        while (
            above >= 0
            and found[above].block == unit.block
            and _ENUMERATOR.match(_text(found[above]))
        ):
            match = _ENUMERATED_CALLED.search(_text(found[above]))
            if match:
                yield Proposal(
                    match.group("term"),
                    match.group("def"),
                    found[above].line,
                    "sentence",
                    found[above],
                    pattern="yobu_lines",
                )
            above -= 1


# `=> これがページイン` under the sentence that says what happens: that sentence defines it
_THIS_IS = re.compile(
    r"^(?:=>|→|->|⇒)?\s*(?:これ|それ)が[「『]?(?P<term>[^「」『』、。\s]{1,30}?)[」』]?"
    r"(?:です|だ|となる|になる)?[。.]?$"
)


def _this_is_lines(found: Sequence[Unit]) -> Iterator[Proposal]:
    """A line `これがX` naming what the line above it described."""
    for position, unit in enumerate(found):
        if position == 0 or unit.form not in ("para", "item"):
            continue
        named = _THIS_IS.match(_text(unit))
        if named:
            above = sentences(_text(found[position - 1]))
            if above:
                yield Proposal(
                    named.group("term"), above[-1], unit.line, "sentence", unit, pattern="kore"
                )


def sentence(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """A sentence that defines: `XとはYのこと`, `YをXと呼ぶ`, `Xは、Y`, `X is a Y`."""
    yield from _called_lines(found)
    yield from _this_is_lines(found)
    for unit in found:
        if unit.form not in ("para", "item", "cont"):
            continue
        text = _text(unit)
        said_all = [clause for said in sentences(text) for clause in _clauses(said)]
        for position, said in enumerate(said_all):
            if position and _THIS_CALLED.match(said):
                # `…確かめる。これを検査という。`: the sentence before says what it is.
                named = _THIS_CALLED.match(said)
                assert named is not None
                yield Proposal(
                    named.group("term"),
                    said_all[position - 1],
                    unit.line,
                    "sentence",
                    unit,
                    pattern="kore",
                )
            for pattern, regex in _DEFINING:
                match = regex.match(said)
                if not match:
                    continue
                term = match.group("term").strip()
                definition = (
                    match.group("def").strip()
                    if pattern not in ("is_a", "means", "is", "yobu")
                    else said
                )
                if leads_on(text) and _last_of_block(found, unit):
                    # `…仕組みです。次のように書きます：` over a code block: it all belongs.
                    definition = _with_following(
                        section, unit, unit.block, " ".join([definition, *said_all[position + 1 :]])
                    )
                yield Proposal(term, definition, unit.line, "sentence", unit, pattern=pattern)


def parent(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """A list item whose sub-items describe it."""
    for unit in found:
        if unit.form != "item" or not unit.children:
            continue
        yield Proposal(_text(unit), _as_list(unit.children), unit.line, "parent", unit)


def termline(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """A short term line over its definition line(s)."""
    for position, unit in enumerate(found):
        if unit.form == "item" and unit.rest:
            yield Proposal(_text(unit), "\n".join(unit.rest), unit.line, "termline", unit)
            continue
        if unit.form != "para" or _SHOWN.match(unit.text):
            continue  # an image's alt text (`![Imgur](…)`) is no term
        following = found[position + 1] if position + 1 < len(found) else None
        if following is None or following.form == "row":
            continue
        if following.block != unit.block and not _last_of_block(found, unit):
            continue
        if following.block - unit.block > 1:
            continue
        if following.form == "item" and following.block != unit.block:
            items = [u for u in found if u.block == following.block and u.depth == 0]
            definition = _as_list([_text(u) for u in items[:8]])
        else:
            definition = _text(following)
        yield Proposal(
            _text(unit), definition, unit.line, "termline", unit, last_line=following.line
        )


def row(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """A table row: the first cell names, the others describe."""
    for unit in found:
        if unit.form != "row" or len(unit.cells) < 2:
            continue
        cells = unit.cells
        if len(cells) == 2:
            definition = cells[1]
        else:
            header = unit.header
            definition = "\n".join(
                f"{header[i] if i < len(header) and header[i] else ''}: {cell}".lstrip(": ")
                for i, cell in enumerate(cells[1:], start=1)
                if cell.strip()
            )
        yield Proposal(cells[0], definition, unit.line, "row", unit)


def dt(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """markdown-it deflist: `Term` / `: Definition`."""
    for unit in found:
        if unit.form == "dt" and unit.children:
            yield Proposal(unit.text, unit.children[0], unit.line, "dt", unit)


_Q = re.compile(r"^(?:\*\*)?(?:Q|問)\s*\d*\s*[.:：．)）](?:\*\*)?\s*(?P<text>.+)$")
_A = re.compile(r"^(?:\*\*)?(?:A|答え?)\s*\d*\s*[.:：．)）](?:\*\*)?\s*(?P<text>.+)$")


def qa(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """`Q: …` / `A: …` (also `Q.`, `**Q:**`, `問`/`答`)."""
    for position, unit in enumerate(found[:-1]):
        if unit.form not in ("para", "item"):
            continue
        question = _Q.match(_text(unit))
        if not question:
            continue
        answer = _A.match(_text(found[position + 1]))
        if answer:
            asked = question.group("text").strip()
            term = question_term(asked) if is_question(asked) else asked
            yield Proposal(
                term,
                answer.group("text"),
                unit.line,
                "qa",
                unit,
                last_line=found[position + 1].line,
            )


_NAMED_IN_ASIDE = re.compile(
    r"^(?P<def>[^()（）]{4,80}?)\s*[(（](?P<term>[^()（）]{1,30})[)）]\s*[。.]?$"
)


def aside(section: Section, found: Sequence[Unit]) -> Iterator[Proposal]:
    """`記憶媒体の故障(媒体故障)`: a description naming its term in brackets after it."""
    for unit in found:
        if unit.form not in ("para", "item", "cont"):
            continue
        match = _NAMED_IN_ASIDE.match(_text(unit))
        if match:
            yield Proposal(match.group("term"), match.group("def"), unit.line, "aside", unit)


DETECTORS: tuple[tuple[str, Detector], ...] = (
    ("qa", qa),
    ("heading", heading),
    ("bold", bold),
    ("separated", separated),
    ("row", row),
    ("parent", parent),
    ("dt", dt),
    ("termline", termline),
    ("sentence", sentence),
    ("aside", aside),
)


def propose(section: Section) -> list[Proposal]:
    """Every proposal of every detector for one section's own body."""
    found = section_units(section)
    return [_shortened(p) for _, detect in DETECTORS for p in detect(section, found)]


def _shortened(proposal: Proposal) -> Proposal:
    """A proposal whose one-paragraph definition runs long keeps its defining sentences."""
    definition = proposal.definition.strip()
    if "\n" in definition or len(definition) <= 160:
        return proposal
    return dataclasses.replace(proposal, definition=defining_part(definition))
