"""Definitions inside running text: `XとはYのことです`, `Xというのは、Y`, `YをXと呼びます`,
`①…を「X」 ②…を「Y」 と呼びます`, `X is a Y`."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ..parse import Section
from ..terms import clean_term
from . import Candidate, Context, Finding, Skip
from .lines import Line, is_cjk, is_label, is_name, prose_lines, wraps

KIND = "sentence"

_SENTENCES = re.compile(r"(?:[^。！？!?.]|\.(?!\s))+(?:[。！？!?]|\.(?=\s|$))?")
# `直接関係づける方式で…`, `チェックポイントの発生は…`: a clause caught as a term.
_CLAUSE_TERM = re.compile(r"[はがをで、,]|[るう](?:$|[(（])")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)

# Japanese, in the order `_japanese` tries them.
_TOWA = re.compile(
    r"^(?P<term>[^、。，,]{1,40}?)(?P<particle>とは(?!限ら|いえ|言え|違|異な|別|無関係)|というのは"
    r"|っていうのは|というものは)[、，,\s]*(?P<def>.+)$"
)
_TOWA_DEFINES = re.compile(
    r"(?:のこと|を指|をい[うい]|を言|である|です|だ|のもの|もの|の総称|の略)"
)
_CALLED = re.compile(
    r"^(?P<def>.+?)を[「『\"]?(?P<term>[^「」『』\"、。を]{1,40}?)[」』\"]?"
    r"(?:と(?:呼|よ)[ぶびばんぼ]|と(?:い|言)[うい]|と称)"
)
_DEMONSTRATIVE = re.compile(r"^(?:これ|それ|この|その|こう|そう)")
# `…手順は次の通りである。この処理を X という。`: what `この` points to is below, not before.
_POINTS_AHEAD = re.compile(r"(?:次|以下)(?:の|に)(?:通り|とおり|よう|示す)")
# `データを格納するストレージ部分であるクラスターボリューム`: the name closes the item.
_JA_DEARU = re.compile(r"^(?P<def>.{4,}?)である(?P<term>[^、。はがをにで]{2,30})$")
# `DynamoDB ストリームは、…` in a list item; `ディレクトリはファイルが保管されている場所。`
_JA_WA = re.compile(
    r"^(?P<term>[^、。はがをにでと「」\s][^、。はがをにでと「」]{0,39}?)\s*は(?P<comma>[、,]?)\s*(?P<def>.+)$"
)
# `DynamoDB の料金`, `定義したルール`: a property or a clause, not a term.
_JA_CLAUSE_TERM = re.compile(r"の|[しれ]た|する|される|ている|ない")
# A definition ending in a noun: `…されている場所`, `…のフォルダ`; not a verbal noun after a
# particle (`…に保存`).
_JA_PASSIVE_END = re.compile(r"(?:される|されます|られる|られます|できる|できます)[。.]?$")
_JA_NOUN_END = re.compile(
    r"(?:[るたいなの][\u4e00-\u9fff]{1,6}|[\u30a0-\u30ffA-Za-z0-9）)]|のこと|もの)[。.]?$"
)
_JA_DEFINING_VERB = re.compile(
    r"(?:を|の)(?:表す|表します|意味する|意味します|指す|指します|示す|示します)[。.]?$"
)
# `①…を「X」 ②…を「Y」 と呼びます` over several lines (`_called_group`).
_CALLED_LINE = re.compile(r"^[①-⑳\d.)、\s]*(?P<def>.+?)を[「『](?P<term>[^」』]{1,40})[」』]\s*$")
_CALLED_TAIL = re.compile(r"^(?:と|を)?(?:(?:呼|よ)[ぶびばんぼ]|(?:い|言)[うい]|称)")

# `ロックには占有ロックと共有ロックがある。占有ロックは…。一方で共有ロックは…。`: a sentence
# that names the kinds of a thing, then a later sentence opening with each kind's name.
_KINDS = re.compile(
    r"^(?P<subject>[^、。,.\s]{1,30}?)には(?P<kinds>[^。がは]{2,80}?)"
    r"が(?:ある|あります|存在する|存在します)(?:[。.]|$)"
)
_KIND_SEPARATOR = re.compile(r"と|、|や|,")
_KIND_OPENING = re.compile(
    r"^(?:一方で?|また|さらに|そして)?[、,]?\s*(?P<term>[^、。はがを\s]{1,30})は[、,]?\s*\S"
)

# English, in the order `_english` tries them. All but `An X does …` and the terse forms turn
# on `is`/`are` (`_BE`).
_BE = re.compile(r"\s(?:is|are)\s", re.IGNORECASE)
# `X is one program running at all times called kernel`: the name comes after what it names.
_NAMED_AFTER = re.compile(
    r"(?P<subject>\w+)\s+(?:is|are)\s+(?P<def>.+?)\s+(?:called|known\s+as)\s+(?:(?:an?|the)\s+)?"
    r"(?P<term>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3})\s*(?:[,.;]|$)",
    re.IGNORECASE,
)
# `A table without rows is called an empty table.`
_ENGLISH_CALLED = re.compile(
    r"^(?!(?:it|this|that|these|those|they|which)\s)(?P<def>\S.+?)\s+(?:is|are)\s+"
    r"(?:called|known\s+as|named)\s+"
    r"(?:an?\s+|the\s+)?(?P<term>[\w()/+#-]+(?:\s+[\w()/+#-]+){0,4}?)\s*[.]?$",
    re.IGNORECASE,
)
# `A firewall is a system …`, `UMA is defined as …`, `Pessimistic locking is when you …`
_ENGLISH_IS = re.compile(
    r"^(?:an?\s+|the\s+)?(?P<term>[A-Za-z][\w()./+#-]*(?:\s+[\w()./+#-]+){0,4}?)\s+"
    r"(?:is|are)\s+(?P<def>defined\s+as\s.+|(?:an?|the|one|any|used|when)\s.+)$",
    re.IGNORECASE,
)
# `The user space, which is a set of …`
_ENGLISH_WHICH = re.compile(
    r"^(?:an?\s+|the\s+)?(?P<term>[A-Za-z][\w()./+#-]*(?:\s+[\w()./+#-]+){0,4}?),\s*"
    r"which\s+(?:is|are)\s+(?P<def>.+)$",
    re.IGNORECASE,
)
# `An aggregate function operates on …`: a generic subject and what it does.
_ENGLISH_DOES = re.compile(
    r"^An?\s+(?P<term>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})\s+"
    r"(?!is\s|was\s|has\s|does\s)(?P<def>[a-z]+s\s+\w.+)$"
)
# Terse notes drop the verb: `- device controller responsible for moving data …`,
# `- blade servers where everything sits in one chassis`, `…, but DMA used to move blocks`,
# `- boot loader kept in flash memory and …` (a reduced relative clause). A participle before
# a one-word place (`Object saved in heap`, `_PLACED`) says where a thing is, not what it is.
_TERSE_TERM = (
    r"^(?:.*?,\s*but\s+)?(?:an?\s+|the\s+)?(?P<term>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}?)\s+"
)
_PLACE_WORDS = r"(?:in|on|into|to|by|with|from|at|as|under|within|through|over)"
# Not `run`, `set`, `put`: as often the verb of a whole statement (`processes run in …`).
_PARTICIPLE = (
    r"(?:[a-z]+ed|known|kept|held|built|made|given|written|sent|found|shown|bound|hidden"
    r"|chosen|laid|taken|seen|done)"
)
_ENGLISH_REDUCED = re.compile(
    _TERSE_TERM + r"(?P<def>(?:responsible\s+for|used\s+(?:to|for)"
    r"|where(?!\s+(?:it|this|that|they|we|you|i|he|she)\b)"
    rf"|{_PARTICIPLE}\s+{_PLACE_WORDS}(?=\s+\S+\s+\S))\s.+)$",
    re.IGNORECASE,
)
_PLACED = re.compile(_TERSE_TERM + rf"{_PARTICIPLE}\s+{_PLACE_WORDS}\s+[\w-]+\.?$", re.IGNORECASE)
_ARTICLE = re.compile(r"(?:an?|the)\s", re.IGNORECASE)
# `Capital expenditures (CapEx) are major purchases …`: an open `X is Y` at the start of a
# line, where Y is a noun phrase rather than a property (`are normalized`, `is fast`).
_ENGLISH_OPEN = re.compile(
    r"^(?:[Aa]n?\s+|[Tt]he\s+)?(?P<term>[A-Za-z][\w./+#-]*(?:\s+[\w./+#-]+){0,3}?"
    r"(?:\s*\([^()]{1,40}\))?)\s+(?:is|are)\s+(?P<def>[a-z][\w-]*\s+[a-z][\w-]*\s+\w.*)$"
)
_OPEN_NOT_NOUN = re.compile(
    r"^(?:not|also|very|only|usually|often|always|never|just|still|more|less|too|so|now|then|"
    r"here|there|in|on|at|by|for|to|from|with|of|as|if|when|good|bad|better|best|"
    r"done|made|set|run|kept|given|shown|known|seen|found|built|written|held|\w+\s+and|"
    r"\w+ed|\w+ing|\w+ly)\s",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(?:that|which|who|where|when)\b", re.IGNORECASE)
# Words that glue a clause together rather than name a thing; a quantifier only in front
# (`A few routers …`, but `mode bit`).
_GLUE_WORDS = re.compile(
    r"\b(?:that|which|who|whose|of|to|in|on|for|with|at|by|from|and|or|not|also"
    r"|new|good|great|single|only|ever|never|always|often|usually|just|still|even|then|now"
    r"|\w+ly)\b|^(?:few|lot|lots|number|couple|bit|little|variety)\b"
)
# Words no English term starts with: pronouns, pointers, conjunctions; and the fillers it
# never holds.
_ENGLISH_STOP = frozenset(
    {"it", "this", "that", "there", "here", "which", "what", "he", "she", "they", "these"}
    | {"those", "each", "all", "one", "some", "following", "above", "below", "example"}
    | {"because", "if", "when", "while", "although", "since", "so", "and", "but", "or"}
)
_FILLERS = frozenset({"it", "this", "there", "here", "these", "those", "they", "which", "what"})
# `uma` after `… uniform memory access …`: an acronym the line has spelled out before.
_ACRONYM = re.compile(r"[A-Za-z]{3,6}")
_SPELLED_OUT_REACH = 300  # characters back: the sentence or two before, not the whole line
_WORD = re.compile(r"[A-Za-z][\w-]*")


def defining_sentences(
    text: str, opening: bool = False, in_item: bool = False
) -> Iterator[tuple[str, str, str]]:
    """(term, definition, the whole sentence) for each defining sentence in a line.

    `opening`: the line opens a list item or paragraph, where looser forms (`X are Y`,
    `XはY。`) still define; inside running text they mostly state properties. `in_item`: the
    line is a list item's, where terse forms (`- route table responsible for …`) define too.
    """
    return iter(_defining_sentences(text, opening, in_item))


@functools.lru_cache(maxsize=1 << 15)  # the heading, question and sentence rules ask alike
def _defining_sentences(
    text: str, opening: bool, in_item: bool
) -> tuple[tuple[str, str, str], ...]:
    return tuple(_find_defining_sentences(text, opening, in_item))


def _find_defining_sentences(
    text: str, opening: bool, in_item: bool
) -> Iterator[tuple[str, str, str]]:
    previous = ""
    kinds: frozenset[str] = frozenset()
    text = text.strip()
    for index, match in enumerate(_SENTENCES.finditer(text)):
        sentence = match.group(0).strip()
        if sentence and "は" in sentence and is_cjk(sentence):
            named = named_kinds(sentence)
            if named:
                kinds = named[1]
            opened = _KIND_OPENING.match(sentence) if kinds and not named else None
            if opened and opened.group("term") in kinds:
                yield opened.group("term"), sentence, sentence
                previous = sentence
                continue
        if sentence:
            for term, definition, whole in _one_sentence(
                sentence, previous, opening and index == 0, in_item
            ):
                if not _CLAUSE_TERM.search(clean_term(term)):
                    before = text[max(0, match.start() - _SPELLED_OUT_REACH) : match.start()]
                    yield _spelled_out(term, before), definition, whole
            previous = sentence


def named_kinds(sentence: str) -> tuple[str, frozenset[str]] | None:
    """The subject and the kinds a sentence names: `ロックには占有ロックと共有ロックがある。`
    -> (`ロック`, {`占有ロック`, `共有ロック`}); None for any other sentence."""
    named = _KINDS.match(sentence)
    if named is None:
        return None
    parts = _KIND_SEPARATOR.split(named.group("kinds"))
    return named.group("subject"), frozenset(part.strip() for part in parts if part.strip())


def _spelled_out(term: str, before: str) -> str:
    """An acronym as `words (ACRONYM)` when the text before it spells it out
    (`… from uniform memory access to … uma is defined as …`), else the term as it is."""
    if not _ACRONYM.fullmatch(term):
        return term
    words = _WORD.findall(before)
    size = len(term)
    for start in range(len(words) - size, -1, -1):
        run = words[start : start + size]
        if "".join(word[0] for word in run).casefold() == term.casefold():
            return f"{' '.join(run)} ({term.upper()})"
    return term


def _one_sentence(
    sentence: str, previous: str, opening: bool, in_item: bool
) -> Iterator[tuple[str, str, str]]:
    """The pairs one sentence defines; `previous` is the sentence before it, if any."""
    if is_cjk(sentence):
        return _japanese(sentence, previous, opening, in_item)
    return _english(sentence, opening, in_item)


def _japanese(
    sentence: str, previous: str, opening: bool, in_item: bool
) -> Iterator[tuple[str, str, str]]:
    """`XとはYのこと`, `YをXと呼ぶ`; where an item opens, `YであるX` and `Xは、Y`."""
    towa = _TOWA.match(sentence)
    if towa and (towa.group("particle") != "とは" or _TOWA_DEFINES.search(towa.group("def"))):
        yield towa.group("term").strip(), towa.group("def").strip(), sentence
        return
    called = _CALLED.match(sentence) if "を" in sentence else None
    if called:
        if not _DEMONSTRATIVE.match(called.group("def")):
            yield called.group("term"), called.group("def").strip(), sentence
        elif previous and not _POINTS_AHEAD.search(previous):
            # `これをロックの粒度という`: the sentence before says what `これ` is.
            yield called.group("term"), previous, f"{previous}{sentence}"
        return
    if not (opening and in_item):
        return
    # The looser forms, read only where a list item starts.
    dearu = _JA_DEARU.match(sentence)
    if dearu and is_name(dearu.group("term")):
        yield dearu.group("term"), dearu.group("def"), sentence
        return
    japanese = _JA_WA.match(sentence)
    if japanese is None or _JA_CLAUSE_TERM.search(japanese.group("term")):
        return
    definition = japanese.group("def").strip()
    if _JA_PASSIVE_END.search(definition):
        return  # `…で管理される。`: something done to it, not what it is
    if (
        japanese.group("comma")
        or _JA_NOUN_END.search(definition)
        or _JA_DEFINING_VERB.search(definition)
    ):
        yield japanese.group("term").strip(), definition, sentence


def _english(sentence: str, opening: bool, in_item: bool) -> Iterator[tuple[str, str, str]]:
    """`Y is … called X`, `Y is called X`, `X is a Y`, `X, which is Y`, `An X does Y`; in an
    item the terse forms; where a line opens, `X are Y` with Y a noun phrase."""
    verb = _BE.search(sentence) is not None
    named = _NAMED_AFTER.search(sentence) if verb else None
    if (
        named
        and named.group("subject").casefold() not in _ENGLISH_STOP
        and named.group("term").split()[0].casefold() not in _ENGLISH_STOP
        and not named.group("term").split()[0].endswith("ly")
        and not _OPEN_NOT_NOUN.match(re.sub(r"[^\w\s-]", " ", named.group("def")) + " ")
    ):
        yield named.group("term"), named.group("def"), sentence
        return
    patterns = (
        (_ENGLISH_CALLED, _ENGLISH_IS, _ENGLISH_WHICH, _ENGLISH_DOES) if verb else (_ENGLISH_DOES,)
    )
    for pattern in patterns:
        english = pattern.match(sentence)
        if english and _english_term(english.group("term")):
            if pattern is _ENGLISH_DOES and _GLUE_WORDS.search(english.group("term")):
                continue
            # `A trap or exception is …`: the first name stands on the card.
            term = re.split(r"\s+or\s+", english.group("term"))[0]
            yield term, english.group("def").strip(), sentence
            return
    if in_item and (opening or _ARTICLE.match(sentence)):
        # A terse item; a later sentence in it only when led by an article, so that it opens
        # with a noun (`… modes of operation. a mode bit added to hardware to …`).
        reduced = _ENGLISH_REDUCED.match(sentence)
        if (
            reduced
            and _english_term(reduced.group("term"))
            and not _GLUE_WORDS.search(reduced.group("term"))
        ):
            yield reduced.group("term"), reduced.group("def").strip(), sentence
            return
    # `Capital expenditures (CapEx) are major purchases …` only where a line starts.
    english = _ENGLISH_OPEN.match(sentence) if opening and verb else None
    if (
        english
        and _english_term(english.group("term"))
        and not _OPEN_NOT_NOUN.match(english.group("def"))
        and not _RELATIVE.search(english.group("term"))
    ):
        yield english.group("term"), english.group("def").strip(), sentence


def _english_term(term: str) -> bool:
    """A subject that can be a term: no pronoun or filler word (`there`, `it`), no adverb
    in front (`Optionally there …`)."""
    words = [w.casefold() for w in term.split()]
    if words[0] in _ENGLISH_STOP or words[0].endswith("ly"):
        return False
    return not any(w in _FILLERS for w in words)


def find(section: Section, ctx: Context) -> Iterator[Finding]:
    """Defining sentences among the section's prose lines, and `①…を「X」` line groups."""
    lines = list(prose_lines(section))
    used: set[int] = set()
    for position, line in enumerate(lines):
        if line.number in used:
            continue
        group = _called_group(lines, position)
        if group:
            for member, term, definition in group:
                used.add(member.number)
                if ctx.is_term(term):
                    yield Candidate(clean_term(term), definition, member.number, KIND)
            continue
        in_item = line.item is not None
        for run in _runs(lines, position):
            used.update(number for number, _ in run)
            text = " ".join(row.strip() for _, row in run)
            opening = in_item or line.index == 0
            found = [
                Candidate(clean_term(term), sentence, _line_of(sentence, run), KIND)
                for term, _, sentence in defining_sentences(text, opening, in_item)
                if _is_term(term, ctx)
            ]
            yield from found
            placed = _PLACED.match(text) if in_item and not found else None
            if placed and _english_term(placed.group("term")):
                yield Skip(
                    run[0][0],
                    f"'{placed.group('term')}': says where it is put, not what it is "
                    "(a definition says 'X is …')",
                )
    # Table cells hold sentences too (`…構造を**ディレクトリツリー**と呼ぶ。`).
    for block in section.blocks:
        for row_line, cells in block.rows if block.kind == "table" else ():
            for cell in cells[1:]:
                for part in _BREAK.split(cell):
                    for term, _, sentence in defining_sentences(part.strip()):
                        if _is_term(term, ctx):
                            yield Candidate(clean_term(term), sentence, row_line, KIND)


def _runs(lines: list[Line], position: int) -> list[list[tuple[int, str]]]:
    """The rows (line number, raw text) read together from the line at `position`: it and the
    lines soft-wrapped onto it. A list item gives one run per line that is no soft wrap (terse
    notes put one fact a line); a paragraph line the one run it starts."""
    line = lines[position]
    if line.item is None:
        run = [(line.number, line.block.lines[line.index])]
        for index in range(position + 1, len(lines)):  # not a slice: no copy of the rest
            below = lines[index]
            text = line.block.lines[below.index]
            if (
                below.block is not line.block
                or below.number != run[-1][0] + 1
                or not wraps(run[-1][1], text)
            ):
                break
            run.append((below.number, text))
        return [run]
    runs: list[list[tuple[int, str]]] = []
    for row in enumerate(line.item.text.split("\n"), start=line.number):
        if runs and wraps(runs[-1][-1][1], row[1]):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _line_of(sentence: str, run: list[tuple[int, str]]) -> int:
    """The line a sentence of a run starts on."""
    offset = " ".join(row.strip() for _, row in run).find(sentence)
    number = run[0][0]
    for row_number, row in run:
        if offset < 0:
            break
        number = row_number
        offset -= len(row.strip()) + 1
    return number


def _is_term(term: str, ctx: Context) -> bool:
    """A term found inside running text: short, no label, and no clause of its own."""
    text = clean_term(term)
    return ctx.is_term(term) and not is_label(text) and not _CLAUSE_TERM.search(text)


def _called_group(lines: list[Line], start: int) -> list[tuple[Line, str, str]]:
    """Lines `①…を「X」` that a later line `と呼びます` closes."""
    group: list[tuple[Line, str, str]] = []
    for index in range(start, len(lines)):  # not a slice: no copy of the rest
        line = lines[index]
        if line.block is not lines[start].block:
            break
        match = _CALLED_LINE.match(line.text)
        if match:
            group.append((line, match.group("term"), match.group("def").strip()))
            continue
        if group and _CALLED_TAIL.match(line.text):
            return group
        break
    return []
