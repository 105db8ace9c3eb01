"""Generic facts about a proposal: what the scorer weighs.

Each feature is a named number, most of them 0 or 1. None names a note, a topic or a term:
they describe the form of the proposal, its section, its siblings, how much its back reads like
a definition and its front like a term, and cues for a label, an example, a step, a property or
an opinion. A new writing style adds a detector or a feature here, not an exception elsewhere.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence

from ..config import Config
from ..parse import Section
from ..terms import _balanced, is_term, plain
from .detectors import Proposal, heading_term, is_question, section_units, sentences

_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KATAKANA = re.compile(r"[\u30a1-\u30ff]")
_LATIN = re.compile(r"[A-Za-z]")
_DIGIT_START = re.compile(r"^[\s(（]*[0-9０-９]")
_UPPER_START = re.compile(r"^[A-Z]")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_ASIDE = re.compile(r"[(（][^()（）]+[)）]")
_CODE = re.compile(r"`[^`]+`")
_URL = re.compile(r"https?://|www\.")
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)|\[\[[^\]]*\]\]")
_IMAGE = re.compile(r"!\[")
_REFERENCES = re.compile(r"!?\[\[[^\]]*\]\]|!?\[[^\]]*\]\([^)]*\)|https?://\S+")
_WORD_CHARS = re.compile(r"[^\W_]")
_LETTERS = re.compile(r"[^\W\d_]")
_JA_PARTICLE_END = re.compile(r"[はがをにでとへもやの]$")
_JA_CLAUSE = re.compile(
    r"(?:して|されて|ている|てある|される|られる|できる|する[^\u3041-\u309f]|した[^\u3041-\u309f])"
)
_JA_PARTICLE_INSIDE = re.compile(r"[^\u3041-\u309f\s][をがにでへ][^\u3041-\u309f\s]")
_JA_VERB_END = re.compile(
    r"(?:する|した|される|できる|なる|ある|いる|れる|せる|ます|ました|ない|たい)$"
)
_JA_NOUN_END = re.compile(
    r"(?:のこと|こと|もの|機能|方式|仕組み|サービス|状態|手法|方法|技術|単位|領域|装置|処理|データ|値|形式|構造|ツール|プログラム|[\u30a1-\u30ff]{2,}|[\u4e00-\u9fff]{2,})[。.]?$"
)
_JA_DEFINING = re.compile(
    r"(?:のこと|を指す|を指します|をいう|をいいます|と呼ぶ|と呼ばれ|を意味|である|です|の略|の総称)"
)
_EN_DEFINING = re.compile(
    r"\b(?:is|are)\s+(?:an?|the|one|a\s+type|a\s+kind)\b|\brefers?\s+to\b|\bmeans\b|\bdefined\s+as\b"
    r"|\bstands\s+for\b|\bknown\s+as\b|\bcalled\b|\bused\s+to\b|\bresponsible\s+for\b",
    re.IGNORECASE,
)
# The note speaking of itself: `ここでは…について述べる`, `This section covers…`
_SELF_REFERENCE = re.compile(
    r"(?:^ここでは|^本(?:節|章|記事)|^この(?:節|章|記事|ノート|ページ)|について(?:述べ|説明し|まとめ|書)"
    r"|^(?:in\s+)?this\s+(?:section|chapter|note|article|page|post)\b|^here\s+(?:we|i)\b)",
    re.IGNORECASE,
)
_EN_ARTICLE_START = re.compile(r"^(?:an?|the)\s", re.IGNORECASE)
_EN_VERB_START = re.compile(r"^[A-Za-z]+s\s", re.ASCII)
_EN_STATEMENT = re.compile(
    r"\b(?:is|are|was|were|must|should|can|cannot|will|does|do|did|has|have|may|might)\b",
    re.IGNORECASE,
)
# A sentence's opening word that no term starts with: `But this means…`, `Since you…`
_EN_CONNECTIVE_START = re.compile(
    r"^(?:but|and|or|so|since|because|if|when|while|although|though|however|then|thus|also"
    r"|as|optionally|otherwise|instead|once|after|before|unless|until|whether)\b",
    re.IGNORECASE,
)
_EN_PRONOUN_START = re.compile(
    r"^(?:it|this|that|these|those|they|there|we|you|i|he|she)\b", re.IGNORECASE
)
# `Why I moved to Redis`, `なぜ〜か`: a heading that asks or tells, not a term (a question
# heading `What is X?` is the question form's)
_WH_START = re.compile(
    r"^(?:why|how|what|when|where|which)\b|^(?:なぜ|どうして|どうやって|どう)", re.I
)
_FIRST_PERSON = re.compile(r"(?:私|僕|自分|筆者|\bI\b|\bmy\b|\bwe\b|\bour\b|\bme\b)")
_OPINION = re.compile(
    r"(?:思う|思います|感じ|おすすめ|便利|良い|よい|いい|難しい|大事|重要|注意|ポイント|気をつけ|べき"
    r"|\bi think\b|\brecommend|\bshould\b|\bimportant\b|\bnote that\b|\btip\b|\bbest\b|\buseful\b)",
    re.IGNORECASE,
)
_EXAMPLE = re.compile(
    r"(?:^例|例えば|たとえば|例[:：]|\be\.g\.|\bfor example\b|\bexample\b|\bsuch as\b|\bi\.e\.)",
    re.IGNORECASE,
)
_STEP = re.compile(
    r"(?:^\s*(?:step\s*\d|手順|[①-⑳])|してください|しましょう|します$|を実行|をインストール|を開く|をクリック"
    r"|^(?:run|install|open|click|create|add|use|set|go|type|select|make|check|enter|copy|download|start)\s)",
    re.IGNORECASE,
)
_PROPERTY = re.compile(
    r"(?:メリット|デメリット|特徴|利点|欠点|注意点|ポイント|違い|比較|advantages?|disadvantages?|benefits?|pros|cons"
    r"|features?|characteristics|properties|differences?|limitations?|rules?)",
    re.IGNORECASE,
)
# `3日目`, `第2章`, `chapter 4`, `Week 3`: a part of the note or the course, not a term
_COUNTED = re.compile(
    r"第?[0-9０-９]+\s*(?:日目|章|節|回目?|週目?|限目?|部)"
    r"|\b(?:chapter|part|step|lesson|week|day|lecture|section|lab|unit|module)\s*[0-9]+",
    re.IGNORECASE,
)
# `name: 作成するリソースの名前です`, `--image=…: …を指定します`: what an argument takes
_ARGUMENT = re.compile(
    r"(?:を指定(?:します|する)?|の名前(?:です)?|を使用します|を表します|を入れます)[。.]?$"
    r"|^(?:the\s+)?(?:name|value|path|id|number)\s+of\b|^specif(?:y|ies)\b",
    re.IGNORECASE,
)
# `…が許可されているか。`: a check to make, `must be related`: a rule, neither defines
_JA_QUESTION_END = re.compile(r"(?:か|かどうか)[。.]?$")
_RULE = re.compile(
    r"\b(?:must|should|need(?:s)?\s+to|has\s+to|have\s+to|cannot|can't)\b"
    r"|べき|必要がある|なければならない|してはいけない|しないこと",
    re.IGNORECASE,
)
_JA_PARTICLE_START = re.compile(r"^[のにをがはでへもと](?![\u3041-\u309f]{2})")
_EN_MODAL_START = re.compile(
    r"^(?:can|could|will|would|may|might|must|should|cannot|can't|won't)\b", re.IGNORECASE
)
# An aside's label (`## 注意`, `Note:`, `**Tip**`): it names no term.
_LABEL = re.compile(
    r"^(?:注意|注意点|補足|メモ|備考|ヒント|警告|tips?|notes?|warning|caution|important|hint|remark|nb)$",
    re.IGNORECASE,
)
_META = re.compile(
    r"(?:目的|概要|まとめ|参考|感想|はじめに|おわりに|最後に|前提|背景|動機|きっかけ|所感|振り返り"
    r"|結論|目次|リンク|資料"
    r"|\bpurpose\b|\bsummary\b|\breferences?\b|\blinks?\b|\bsee also\b"
    r"|\bintro(?:duction)?\b|\bconclusion\b"
    r"|\bresources?\b|\bcontents\b|\btodo\b|\boverview\b|\bnotes?\b)",
    re.IGNORECASE,
)
_TERM_HEADER = re.compile(
    r"(?:用語|名前|名称|項目|コマンド|オプション|種類|単語|term|name|command|option|keyword|word|type|concept)",
    re.IGNORECASE,
)
_DEF_HEADER = re.compile(
    r"(?:意味|説明|概要|内容|定義|役割|機能|meaning|description|definition|explanation|purpose|what)",
    re.IGNORECASE,
)
_NUMBERED_TITLE = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.)]?|第\S+[章節]|[（(]?\d+[)）])\s*")
_QUESTION_MARK = re.compile(r"[?？]")
# The default term limits, not a vault's own: a feature means the same in every vault.
_TERM_LIMITS = (Config.term_max_chars, Config.term_max_words)
_IDENTIFIER = re.compile(r"^-{0,2}[a-z0-9][\w.-]*(?:[=/:][\w.:/=-]*)+$|^-{1,2}[a-z]")
_COMMAND = re.compile(r"^(?:\$\s*)?(?:sudo\s+)?[a-z][\w-]*\s+-{0,2}[a-z]", re.ASCII)
_COLON_END = re.compile(r"[:：]\s*$")


def _bucket(name: str, value: float, edges: Sequence[float]) -> dict[str, float]:
    """One-hot of which interval `value` falls in: `name<=edge`."""
    for edge in edges:
        if value <= edge:
            return {f"{name}<={edge:g}": 1.0}
    return {f"{name}>{edges[-1]:g}": 1.0}


def _script(text: str) -> str:
    if _CJK.search(text):
        return "ja"
    return "en" if _LATIN.search(text) else "other"


def term_features(term: str) -> dict[str, float]:
    """How much the front reads like a term."""
    return dict(_term_features(term))


@functools.lru_cache(maxsize=1 << 14)  # one line gives several proposals with one term
def _term_features(term: str) -> tuple[tuple[str, float], ...]:
    text = plain(term)
    found: dict[str, float] = {}
    script = _script(text)
    found[f"term_script={script}"] = 1.0
    words = len(text.split())
    found.update(_bucket("term_chars", len(text), (2, 6, 12, 20, 30, 45)))
    found.update(_bucket("term_words", words, (1, 2, 3, 5, 8)))
    found["term_code"] = 1.0 if _CODE.search(term) else 0.0
    found["term_bold"] = 1.0 if "**" in term or "__" in term else 0.0
    found["term_link"] = 1.0 if _LINK.search(term) else 0.0
    found["term_url"] = 1.0 if _URL.search(term) else 0.0
    found["term_aside"] = 1.0 if _ASIDE.search(text) else 0.0
    found["term_acronym"] = 1.0 if _ACRONYM.search(text) else 0.0
    found["term_upper_start"] = 1.0 if _UPPER_START.match(text) else 0.0
    found["term_digit_start"] = 1.0 if _DIGIT_START.match(text) else 0.0
    found["term_sentence_end"] = 1.0 if re.search(r"[。！？!?]|\.\s|\.$", text) else 0.0
    found["term_comma"] = 1.0 if re.search(r"[、,，]", text) else 0.0
    found["term_question"] = 1.0 if _QUESTION_MARK.search(text) else 0.0
    found["term_empty"] = 1.0 if not text.strip() else 0.0
    if script == "ja":
        found["term_hiragana"] = min(1.0, len(_HIRAGANA.findall(text)) / max(1, len(text)) * 3)
        found["term_katakana"] = 1.0 if _KATAKANA.search(text) else 0.0
        found["term_particle_end"] = 1.0 if _JA_PARTICLE_END.search(text) else 0.0
        found["term_verb_end"] = 1.0 if _JA_VERB_END.search(text) else 0.0
        found["term_has_no"] = 1.0 if "の" in text else 0.0
        # `DB クラスタが設置されているリージョン`, `スナップショット用に無料ストレージ`: a clause
        found["term_ja_clause"] = 1.0 if _JA_CLAUSE.search(text) else 0.0
        found["term_ja_particle_inside"] = 1.0 if _JA_PARTICLE_INSIDE.search(text) else 0.0
    elif script == "en":
        found["term_statement"] = 1.0 if _EN_STATEMENT.search(text) else 0.0
        found["term_pronoun"] = 1.0 if _EN_PRONOUN_START.match(text) else 0.0
        found["term_connective"] = 1.0 if _EN_CONNECTIVE_START.match(text) else 0.0
        found["term_lower"] = 1.0 if text[:1].islower() else 0.0
        found["term_article"] = 1.0 if _EN_ARTICLE_START.match(text) else 0.0
    found["term_within_limits"] = 1.0 if is_term(text, *_TERM_LIMITS) else 0.0
    found["term_identifier"] = 1.0 if _IDENTIFIER.match(text) else 0.0
    found["term_few_letters"] = 1.0 if len(_LETTERS.findall(text)) <= 1 else 0.0
    found["term_counted"] = 1.0 if _COUNTED.search(text) else 0.0
    found["term_ends_digit"] = 1.0 if re.search(r"[0-9０-９]$", text) else 0.0
    # `分野 1`, `Step 2`: a numbered item (`S3`, `EC2`, `IPv4` keep their digits glued on)
    found["term_ends_number"] = 1.0 if re.search(r"\s[0-9０-９]+$", text) else 0.0
    found["term_unbalanced"] = 1.0 if not _balanced(text) else 0.0
    found["term_command"] = 1.0 if _COMMAND.match(text) else 0.0
    found["term_first_person"] = 1.0 if _FIRST_PERSON.search(text) else 0.0
    found["term_wh_start"] = 1.0 if _WH_START.match(text) else 0.0
    found["term_cue_example"] = 1.0 if _EXAMPLE.search(text) else 0.0
    found["term_cue_step"] = 1.0 if _STEP.search(text) else 0.0
    found["term_cue_property"] = 1.0 if _PROPERTY.search(text) else 0.0
    found["term_cue_meta"] = 1.0 if _META.search(text) else 0.0
    found["term_cue_label"] = 1.0 if _LABEL.match(text.strip()) else 0.0
    return tuple(found.items())


def definition_features(definition: str) -> dict[str, float]:
    """How much the back reads like a definition."""
    return dict(_definition_features(definition))


@functools.lru_cache(maxsize=1 << 14)  # one line gives several proposals with one definition
def _definition_features(definition: str) -> tuple[tuple[str, float], ...]:
    text = plain(definition)
    found: dict[str, float] = {}
    found.update(_bucket("def_chars", len(text), (0, 5, 15, 30, 60, 120, 250)))
    said = sentences(text)
    found.update(_bucket("def_sentences", len(said), (1, 2, 4)))
    found["def_list"] = 1.0 if re.search(r"^\s*[-*+] ", definition, re.MULTILINE) else 0.0
    found["def_code_block"] = 1.0 if "```" in definition or "~~~" in definition else 0.0
    found["def_image"] = 1.0 if _IMAGE.search(definition) else 0.0
    found["def_url"] = 1.0 if _URL.search(definition) else 0.0
    found["def_link_only"] = 1.0 if _LINK.fullmatch(definition.strip()) else 0.0
    # What is left to read without its links, images and URLs: a table of contents, a lone
    # `![[Pasted image]]`, a URL or ASCII art leaves little
    refs = _REFERENCES.findall(definition)
    bare = _REFERENCES.sub(" ", definition)
    found["def_no_text"] = 1.0 if len(_WORD_CHARS.findall(bare)) < 3 else 0.0
    found["def_link_share"] = (
        min(1.0, sum(map(len, refs)) / max(1, len(definition.strip()))) if refs else 0.0
    )
    found["def_code_only"] = 1.0 if _CODE.fullmatch(definition.strip()) else 0.0
    code_chars = sum(len(m.group(0)) for m in _CODE.finditer(definition))
    found["def_mostly_code"] = 1.0 if code_chars > 0.5 * max(1, len(definition.strip())) else 0.0
    found["def_arrow"] = 1.0 if re.search(r"->|→|=>|⇒", definition) else 0.0
    found["def_digit_start"] = 1.0 if _DIGIT_START.match(text) else 0.0
    found["def_question"] = 1.0 if _QUESTION_MARK.search(text) else 0.0
    found["def_colon_end"] = 1.0 if _COLON_END.search(text) else 0.0
    script = _script(text)
    found[f"def_script={script}"] = 1.0
    if script == "ja":
        found["def_ja_defining"] = 1.0 if _JA_DEFINING.search(text) else 0.0
        found["def_ja_noun_end"] = 1.0 if _JA_NOUN_END.search(said[0] if said else text) else 0.0
        # `Direct Connect` / `の追加機能として…`: the line was cut inside a phrase
        found["def_ja_particle_start"] = 1.0 if _JA_PARTICLE_START.match(text) else 0.0
        found["def_ja_verb_end"] = 1.0 if _JA_VERB_END.search(text.rstrip("。.")) else 0.0
    elif script == "en":
        found["def_en_defining"] = 1.0 if _EN_DEFINING.search(text) else 0.0
        found["def_article_start"] = 1.0 if _EN_ARTICLE_START.match(text) else 0.0
        found["def_verb_start"] = 1.0 if _EN_VERB_START.match(text) else 0.0
        found["def_lower_start"] = 1.0 if text[:1].islower() else 0.0
        found["def_pronoun_start"] = 1.0 if _EN_PRONOUN_START.match(text) else 0.0
        # `kubectl get` / `can only show one resource`: what it can do, not what it is
        found["def_modal_start"] = 1.0 if _EN_MODAL_START.match(text) else 0.0
    found["def_first_person"] = 1.0 if _FIRST_PERSON.search(text) else 0.0
    found["def_cue_opinion"] = 1.0 if _OPINION.search(text) else 0.0
    found["def_cue_example"] = 1.0 if _EXAMPLE.search(text[:30]) else 0.0
    found["def_cue_step"] = 1.0 if _STEP.search(text) else 0.0
    found["def_cue_meta"] = 1.0 if _SELF_REFERENCE.search(text) else 0.0
    found["def_cue_argument"] = 1.0 if _ARGUMENT.search(text) else 0.0
    found["def_cue_rule"] = 1.0 if _RULE.search(text) else 0.0
    if script == "ja":
        found["def_ja_question_end"] = 1.0 if _JA_QUESTION_END.search(text) else 0.0
    return tuple(found.items())


# A line that tells (a report, a diary, a blog post) rather than defines: the past, or I.
_TELLING = re.compile(
    r"(?:ました|でした|ません|思う|思い|感じ|しまった|てみた|\bI\b|\bI'm\b|\bmy\b)"
)


def note_features(body: str) -> dict[str, float]:
    """How the whole note reads: how many of its prose lines tell rather than define."""
    lines = [
        line
        for line in body.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "```", "|", "    ", "\t"))
    ]
    if not lines:
        return {}
    # smoothed towards none: a short note's two lines say little about how it reads
    told = sum(1 for line in lines if _TELLING.search(line)) / (len(lines) + 5)
    return {"note_telling": told * 3}


def section_features(section: Section, parents: Sequence[Section]) -> dict[str, float]:
    """Where the proposal stands: the heading's level, form and cues."""
    found: dict[str, float] = {}
    title = section.title
    found[f"sec_level={min(section.level, 4)}"] = 1.0
    if section.level:
        found["sec_question"] = 1.0 if is_question(title) else 0.0
        found["sec_numbered"] = 1.0 if _NUMBERED_TITLE.match(title) else 0.0
        found["sec_meta"] = 1.0 if _META.search(heading_term(title)) else 0.0
        found["sec_property"] = 1.0 if _PROPERTY.search(title) else 0.0
        found["sec_example"] = 1.0 if _EXAMPLE.search(title) else 0.0
        found["sec_step"] = (
            1.0
            if _STEP.search(title)
            or re.search(r"手順|方法|やり方|how to|setup|install", title, re.IGNORECASE)
            else 0.0
        )
        found["sec_first_person"] = 1.0 if _FIRST_PERSON.search(title) else 0.0
        found["sec_title_sentence"] = 1.0 if len(plain(title)) > 30 else 0.0
        found["sec_has_children"] = 1.0 if section.children else 0.0
    found["sec_parent_meta"] = (
        1.0 if any(_META.search(p.title) for p in parents if p.level) else 0.0
    )
    found["sec_parent_property"] = (
        1.0 if any(_PROPERTY.search(p.title) for p in parents if p.level) else 0.0
    )
    kinds = Counter(b.kind for b in section.blocks)
    found["sec_code_blocks"] = min(1.0, kinds["code"] / 3)
    found.update(_bucket("sec_blocks", len(section.blocks), (1, 3, 8)))
    return found


def _initials(text: str) -> str:
    """`the global interpreter lock` -> `gil`: what an acronym of the words would be."""
    words = [w for w in re.split(r"[\s-]+", text) if w and w not in ("the", "a", "an", "of", "and")]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def proposal_features(
    proposal: Proposal,
    section: Section,
    group_forms: Counter[tuple[int, str]],
    group_sizes: Counter[int],
    section_found: dict[str, float],
    heading: str,
) -> dict[str, float]:
    """Every feature of one proposal (see the module docstring); `section_found` holds its
    section's features and `heading` the section's term as compared (plain, casefolded)."""
    found: dict[str, float] = {"bias": 1.0, f"form={proposal.form}": 1.0}
    if proposal.pattern:
        found[f"pattern={proposal.pattern}"] = 1.0
    if proposal.separator:
        sep = proposal.separator
        found[f"sep={sep if sep in (':', '：', '-', '–', '—', '=', '→') else 'other'}"] = 1.0
    found.update(term_features(proposal.term))
    found.update(definition_features(proposal.definition))
    found.update(section_found)
    for name in list(found):
        if name.startswith(("term_", "def_")) and found[name] and not name.startswith(_UNCROSSED):
            found[f"{proposal.form}&{name}"] = found[name]
    term = plain(proposal.term).casefold().strip()
    unit = proposal.unit
    if unit is not None:
        found[f"unit={unit.form}"] = 1.0
        found["unit_ordered"] = 1.0 if unit.ordered else 0.0
        found["unit_quoted"] = 1.0 if unit.quoted else 0.0
        found["unit_hard_break"] = 1.0 if unit.hard_break else 0.0
        found.update(_bucket("unit_depth", unit.depth, (0, 1)))
        found["unit_first"] = 1.0 if unit.index == 0 else 0.0
        found["unit_children"] = 1.0 if unit.children else 0.0
        size = group_sizes[unit.group]
        found["group_size_log"] = math.log1p(size) / 3
        found["group_single"] = 1.0 if size == 1 else 0.0
        same = group_forms[(unit.group, proposal.form)]
        found["group_same_form"] = same / size if size else 0.0
        found[f"{proposal.form}&group_same_form"] = found["group_same_form"]
        before = section.blocks[unit.block - 1].kind if unit.block > 0 else "start"
        after = (
            section.blocks[unit.block + 1].kind if unit.block + 1 < len(section.blocks) else "end"
        )
        found[f"block_before={before}"] = 1.0
        found[f"block_after={after}"] = 1.0
        if section.level:
            found["term_in_heading"] = 1.0 if term and term in heading else 0.0
            found["heading_in_term"] = 1.0 if heading and heading in term else 0.0
        if unit.form == "row":
            found["row_term_header"] = (
                1.0 if unit.header and _TERM_HEADER.search(unit.header[0]) else 0.0
            )
            found["row_def_header"] = (
                1.0
                if len(unit.header) > 1 and _DEF_HEADER.search(" ".join(unit.header[1:]))
                else 0.0
            )
            found.update(_bucket("row_cells", len(unit.cells), (2, 3, 5)))
    else:
        found["term_is_heading"] = 1.0
    if section.level and proposal.term and term == heading and not proposal.own_heading:
        found["term_restates_heading"] = 1.0
    return found


def section_proposal_features(
    proposals: Sequence[Proposal],
    section: Section,
    parents: Sequence[Section],
    wanted: Sequence[bool] | None = None,
) -> list[dict[str, float]]:
    """The features of every proposal of one section, siblings counted together."""
    group_forms: Counter[tuple[int, str]] = Counter()
    group_short: Counter[tuple[int, str]] = Counter()
    seen: set[tuple[int, int, str]] = set()
    for proposal in proposals:
        unit = proposal.unit
        if unit is None:
            continue
        key = (unit.group, unit.line, proposal.form)
        if key not in seen:
            seen.add(key)
            group_forms[(unit.group, proposal.form)] += 1
            # an author who names terms writes them short: `- Vishing - voice phishing`
            if len(plain(proposal.term).split()) <= 3:
                group_short[(unit.group, proposal.form)] += 1
    found = section_units(section)
    group_sizes: Counter[int] = Counter(u.group for u in found)
    paired = {p.line for p in proposals if p.form in _PAIR_FORMS}
    # How much of the body is pairs of its own: a heading over them is their container.
    body_pairs = sum(1 for u in found if u.line in paired) / len(found) if found else 0.0
    first_paired = bool(found) and found[0].line in paired
    # Whether the first line defines the heading's own term or another one.
    heading = plain(heading_term(section.title)).casefold() if section.level else ""
    first_terms = [
        plain(p.term).casefold().strip()
        for p in proposals
        if found and p.unit is not None and p.line == found[0].line and p.form != "termline"
    ]
    defines_self = any(
        t and heading and (t in heading or heading in t or _initials(t) == heading)
        for t in first_terms
    )
    defines_other = any(t and heading and not (t in heading or heading in t) for t in first_terms)
    # `## ターゲットとターゲットグループ` over `ターゲット：…` / `ターゲットグループ：…`: the
    # heading names the terms its body defines, so it is their container.
    body_terms = {plain(p.term).casefold().strip() for p in proposals if p.form in _PAIR_FORMS}
    holds = sum(1 for t in body_terms if t and heading and t in heading and t != heading)
    features: list[dict[str, float]] = []
    section_found = section_features(section, parents)
    for index, proposal in enumerate(proposals):
        if wanted is not None and not wanted[index]:
            features.append({})  # no card can come of it: nothing to score
            continue
        these = proposal_features(
            proposal, section, group_forms, group_sizes, section_found, heading
        )
        unit = proposal.unit
        if unit is not None:
            siblings = group_forms[(unit.group, proposal.form)]
            if siblings > 1:
                short = group_short[(unit.group, proposal.form)] / siblings
                these["group_short_terms"] = short
                these[f"{proposal.form}&group_short_terms"] = short
        if proposal.own_heading:
            these["heading_body_pairs"] = body_pairs
            these["heading_first_is_pair"] = 1.0 if first_paired else 0.0
            these["heading_first_defines_self"] = 1.0 if defines_self else 0.0
            these["heading_holds_body_terms"] = 1.0 if holds >= 2 else 0.0
            other = defines_other and not defines_self
            these["heading_first_defines_other"] = 1.0 if other else 0.0
            these[f"heading_first_defines_other&level={min(section.level, 3)}"] = (
                1.0 if other else 0.0
            )
        features.append(these)
    return features


_PAIR_FORMS = frozenset({"colon", "dash", "gap", "bold", "row", "qa", "dt"})
# Term and definition features not crossed with the form: one-hot buckets and the script.
_UNCROSSED = ("term_chars", "def_chars", "term_words", "def_sentences", "term_script", "def_script")
