"""Write the bench vault: 2,000 notes x 10 terms, Japanese and English, in nested folders.

The notes are made up from word lists (our own words), the same for the same seed, so two
runs on two machines time the same input. Each note holds its ten terms in the writing styles
of DESIGN.md §2, drawn note by note so that no two notes need share a shape (`varied`, the
bench's vault): headings over a paragraph, questions (「〜とは？」, "What is …?"), `用語：説明`
lines, bold terms, bullets (with a separator, or a parent over its children), tables, defining
sentences (`XとはYのことです`, `YをXと呼びます`), term lines over definition lines, deflists,
`Q:`/`A:` pairs and the explicit forms (`::`, multi-line `?` questions and answers); between
them sections that give no card: meta sections, steps, examples, label lines, links, code,
times and URLs. With `varied=False` every note has the one fixed layout the cache tests edit
line by line.

    python bench/generate.py OUT [--notes 2000] [--seed 7] [--fixed]

`terms(seed, notes)` gives the same terms and definitions without writing files, for the
floor and ankdown runs of the bench.
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

TERMS_PER_NOTE = 10


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_KANA = _words(
    "ア イ ウ エ オ カ キ ク ケ コ サ シ ス セ ソ タ チ ツ テ ト ナ ニ ヌ ネ ノ "
    "ハ ヒ フ ヘ ホ マ ミ ム メ モ ラ リ ル レ ロ ガ ギ グ ゲ ゴ ザ ジ ズ ゼ ゾ "
    "ダ デ ド バ ビ ブ ベ ボ パ ピ プ ペ ポ"
)
_KANA_TAIL = ("ー", "ン", "ッ", "")
_JA_NOUNS = _words(
    "データ 設定 通信 記録 処理 要求 応答 接続 権限 領域 単位 規則 履歴 状態 経路 "
    "資源 情報 構成 手順 対象 仕組み 集まり 入口 出口 窓口 名前 番号 時間 容量 境界"
)
_JA_VERBS = _words(
    "まとめる 受け取る 振り分ける 書き残す 見張る 確かめる 区切る 守る 並べる 届ける "
    "覚えておく 組み立てる 取り出す 使い回す 知らせる"
)
_EN_SYLLABLES = _words(
    "ka lo ve ri tan mor el quin dra sol bex fen gar hul ix jor lum nav op pel "
    "rost sar tev ul vin wex yor zan"
)
_EN_NOUNS = _words(
    "request record buffer channel ledger region boundary route token queue table "
    "index replica snapshot policy handler worker scheduler segment volume bucket "
    "session cluster gateway journal"
)
_EN_VERBS = _words(
    "collects forwards stores checks splits guards orders delivers keeps builds "
    "reads reuses announces tracks limits"
)
_TOPIC_JA = _words(
    "ネットワーク ストレージ 認証 監視 配信 計算 データベース 運用 セキュリティ 開発"
)
_TOPIC_EN = _words("Networking Storage Identity Monitoring Delivery Compute Databases Operations")


@dataclass(frozen=True)
class Term:
    """One term of the vault with its definition, in the note that holds it."""

    note: str  # path below the vault root
    term: str
    definition: str


def _ja_term(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.choice(_KANA) + rng.choice(_KANA_TAIL) for _ in range(rng.randint(2, 3)))
        if word not in used:
            used.add(word)
            return word


def _en_term(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.choice(_EN_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        word = f"{word} {rng.choice(_EN_NOUNS)}" if rng.random() < 0.4 else word
        if word.casefold() not in used:
            used.add(word.casefold())
            return word


def _ja_definition(rng: random.Random) -> str:
    first, second = rng.sample(_JA_NOUNS, 2)
    return (
        f"{first}を{rng.choice(_JA_VERBS)}ための{second}で、{rng.choice(_JA_NOUNS)}ごとに設定する"
    )


def _en_definition(rng: random.Random) -> str:
    first, second = rng.sample(_EN_NOUNS, 2)
    article = "an" if first[0] in "aeiou" else "a"
    return (
        f"{article} {first} that {rng.choice(_EN_VERBS)} each {second} "
        f"and {rng.choice(_EN_VERBS)} the {rng.choice(_EN_NOUNS)} behind it"
    )


def _japanese(rng: random.Random, title: str, topic: str) -> tuple[str, list[tuple[str, str]]]:
    used: set[str] = set()
    pairs = [(_ja_term(rng, used), _ja_definition(rng)) for _ in range(TERMS_PER_NOTE)]
    (t1, d1), (t2, d2), (t3, d3), (t4, d4), (t5, d5) = pairs[:5]
    (t6, d6), (t7, d7), (t8, d8), (t9, d9), (t10, d10) = pairs[5:]
    sentence = d8.split("で、")[0]
    text = f"""---
title: "{title}"
topics: ["{topic}"]
---

# 目的
{topic}まわりの用語を覚えるためのメモ。

# {title}

## {t1}
{t1}は、{d1}。

## {t2}とは？
{t2}とは、{d2}もののことです。

## 用語
{t3}：{d3}。
{t4}：{d4}。

## 種類
- **{t5}** — {d5}。
- {t6} - {d6}

| 名前 | 説明 |
| --- | --- |
| {t7} | {d7} |

# {title}の仕組みについて
{t8}とは{sentence}のことです。

{t9}::{d9}

{t10}
: {d10}。
"""
    return text, pairs


def _english(rng: random.Random, title: str, topic: str) -> tuple[str, list[tuple[str, str]]]:
    used: set[str] = set()
    pairs = [(_en_term(rng, used), _en_definition(rng)) for _ in range(TERMS_PER_NOTE)]
    (t1, d1), (t2, d2), (t3, d3), (t4, d4), (t5, d5) = pairs[:5]
    (t6, d6), (t7, d7), (t8, d8), (t9, d9), (t10, d10) = pairs[5:]
    text = f"""---
title: {title}
tags: [{topic}]
---

# {title}

## {t1}
{t1} is {d1}.

## What is {t2}?
{t2} is {d2}.

## Terms
{t3}: {d3}.
{t4}: {d4}.

## Parts
- **{t5}** — {d5}.
- {t6} - {d6}

| Name | Meaning |
| --- | --- |
| {t7} | {d7} |

**{t8}** is {d8}.

{t9}::{d9}

{t10}
: {d10}.

# Summary
These parts of {topic} fit together.
"""
    return text, pairs


# A varied note's sections: each style writes its terms (a list of pairs) as Markdown. The
# heading it goes under is the style's own where it has one (a heading card is its heading).
Style = Callable[[list[tuple[str, str]], bool], str]


def _heading(pairs: list[tuple[str, str]], ja: bool) -> str:
    return "\n".join(
        f"## {t}\n{t}{'は、' if ja else ' is '}{d}{'。' if ja else '.'}\n" for t, d in pairs
    )


def _question(pairs: list[tuple[str, str]], ja: bool) -> str:
    if ja:
        return "\n".join(f"## {t}とは？\n{t}とは、{d}もののことです。\n" for t, d in pairs)
    return "\n".join(f"## What is {t}?\n{t} is {d}.\n" for t, d in pairs)


def _colon(pairs: list[tuple[str, str]], ja: bool) -> str:
    lines = "\n".join(f"{t}{'：' if ja else ': '}{d}{'。' if ja else '.'}" for t, d in pairs)
    return f"## {'用語' if ja else 'Terms'}\n{lines}\n"


def _bold(pairs: list[tuple[str, str]], ja: bool) -> str:
    forms = (
        ("- **{t}** — {d}。", "**{t}**は、{d}。", "**{t}**: {d}。")
        if ja
        else ("- **{t}** — {d}.", "**{t}** is {d}.", "**{t}**: {d}.")
    )
    lines = [forms[i % len(forms)].format(t=t, d=d) for i, (t, d) in enumerate(pairs)]
    return f"## {'重要な言葉' if ja else 'Key words'}\n" + "\n\n".join(lines) + "\n"


def _bullet(pairs: list[tuple[str, str]], ja: bool) -> str:
    lines = []
    for index, (t, d) in enumerate(pairs):
        if index % 3 == 2:  # a short parent bullet whose child bullets describe it
            first, _, rest = d.partition("で、" if ja else " and ")
            lines.append(f"- {t}\n  - {first}\n  - {rest or first}")
        else:
            lines.append(
                f"- {t} - {d}"
                if index % 2
                else f"{'・' if ja else '- '}{t}{'：' if ja else ': '}{d}"
            )
    return f"## {'種類' if ja else 'Kinds'}\n" + "\n".join(lines) + "\n"


def _table(pairs: list[tuple[str, str]], ja: bool) -> str:
    if ja:
        head = "| 名前 | 説明 | 区分 |\n| --- | --- | --- |\n"
        rows = [f"| {t} | {d} | {'基本' if i % 2 else '応用'} |" for i, (t, d) in enumerate(pairs)]
        return "## 一覧\n" + head + "\n".join(rows) + "\n"
    head = "| Name | Meaning |\n| --- | --- |\n"
    return "## Overview\n" + head + "\n".join(f"| {t} | {d} |" for t, d in pairs) + "\n"


def _sentence(pairs: list[tuple[str, str]], ja: bool) -> str:
    if ja:
        forms = (
            "{t}とは{d}もののことです。",
            "{d}ものを{t}と呼びます。",
            "{t}というのは、{d}もの。",
        )
    else:
        forms = ("**{t}** is {d}.", "A {t} is {d}.", "{t} means {d}.")
    lines = [forms[i % len(forms)].format(t=t, d=d) for i, (t, d) in enumerate(pairs)]
    return f"## {'仕組みについて' if ja else 'About the parts'}\n" + "\n\n".join(lines) + "\n"


def _term_lines(pairs: list[tuple[str, str]], ja: bool) -> str:
    """A short term line directly over its definition line, and markdown-it's deflist."""
    blocks = [
        f"{t}\n: {d}{'。' if ja else '.'}" if i % 2 else f"{t}\n{d}{'。' if ja else '.'}"
        for i, (t, d) in enumerate(pairs)
    ]
    return f"## {'言葉の意味' if ja else 'Meanings'}\n" + "\n\n".join(blocks) + "\n"


def _explicit(pairs: list[tuple[str, str]], ja: bool) -> str:
    blocks = []
    for index, (t, d) in enumerate(pairs):
        if index % 2:  # a multi-line question and its answer (Obsidian Spaced Repetition)
            question = f"{t}とは何か" if ja else f"What does {t} do"
            blocks.append(f"{question}\n?\n{d}{'。' if ja else '.'}")
        else:
            blocks.append(f"{t}::{d}")
    return f"## {'確認' if ja else 'Review'}\n" + "\n\n".join(blocks) + "\n"


def _qa(pairs: list[tuple[str, str]], ja: bool) -> str:
    blocks = [f"Q: {t}とは？\nA: {d}。" if ja else f"Q: What is {t}?\nA: {d}." for t, d in pairs]
    return f"## {'Q&A' if ja else 'Questions'}\n" + "\n\n".join(blocks) + "\n"


STYLES: tuple[Style, ...] = (
    _heading,
    _question,
    _colon,
    _bold,
    _bullet,
    _table,
    _sentence,
    _term_lines,
    _explicit,
    _qa,
)


def _skipped(rng: random.Random, ja: bool, topic: str) -> str:
    """A section that gives no card: steps, an example, a label over its lines, links, code,
    times and URLs, or a meta section."""
    noun, verb = (
        rng.choice(_JA_NOUNS if ja else _EN_NOUNS),
        rng.choice(_JA_VERBS if ja else _EN_VERBS),
    )
    hour = f"{rng.randint(8, 18)}:{rng.choice(('00', '15', '30', '45'))}"
    if ja:
        choices = (
            f"## 手順\n1. 管理画面を開く\n2. {noun}を選んで保存する\n3. {hour}に結果を確かめる\n",
            f"## 例\n例えば、{noun}を{verb}ときは、先に{topic}の設定を見直す。\n",
            f"## 注意点\n注意点\n- {noun}は消さない\n- 反映まで数分かかる\n",
            f"## 参考\n- [{topic}の資料](https://example.com/{rng.randint(1, 999)})\n",
            f"## コマンド\n```\n$ tool {noun} --check\n```\n",
            f"## まとめ\n{topic}では{noun}をよく使う。\n",
            f"## メモ\n会議：{hour}から\nURL：https://example.com/{noun}\n",
        )
    else:
        choices = (
            f"## Steps\n1. Open the console\n2. Pick the {noun} and save it\n3. Check at {hour}\n",
            f"## Example\nFor example, when the {noun} {verb} the queue, check the settings.\n",
            f"## Caveats\nNote: the {noun} is never shared between regions.\n",
            f"## References\n- [{topic} guide](https://example.com/{rng.randint(1, 999)})\n",
            f"## Commands\n```\n$ tool {noun} --check\n```\n",
            f"## Summary\nThese parts of {topic} fit together.\n",
            f"## Log\nMeeting: {hour}\nLink: https://example.com/{noun}\n",
        )
    return rng.choice(choices)


def _front_matter(rng: random.Random, title: str, topic: str, ja: bool) -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return ""
    if shape == 1:
        return f'---\ntitle: "{title}"\n---\n\n'
    if shape == 2:
        return f'---\ntitle: "{title}"\ntopics: ["{topic}"]\n---\n\n'
    return f"---\ntitle: {title}\ntags: [{topic}, {'メモ' if ja else 'notes'}]\n---\n\n"


def _varied(
    rng: random.Random, title: str, topic: str, ja: bool
) -> tuple[str, list[tuple[str, str]]]:
    """A note of TERMS_PER_NOTE terms in styles drawn for it, between sections that give none,
    under one or two topic headings."""
    used: set[str] = set()
    make_term, make_definition = (_ja_term, _ja_definition) if ja else (_en_term, _en_definition)
    pairs = [(make_term(rng, used), make_definition(rng)) for _ in range(TERMS_PER_NOTE)]
    sections: list[str] = []
    left = list(pairs)
    styles = iter(rng.sample(STYLES, len(STYLES)))  # each style once at most in a note
    while left:
        size = min(len(left), rng.randint(1, 4))
        sections.append(next(styles)(left[:size], ja))
        left = left[size:]
        if rng.random() < 0.35:
            sections.append(_skipped(rng, ja, topic))
    parts = [_front_matter(rng, title, topic, ja)]
    if rng.random() < 0.4:
        purpose = (
            f"# 目的\n{topic}まわりの用語を覚えるためのメモ。"
            if ja
            else "# Purpose\nWords to learn."
        )
        parts.append(purpose + "\n\n")
    parts.append(f"# {title}\n\n")
    split = rng.randint(1, len(sections))
    parts.append("\n".join(sections[:split]))
    if split < len(sections):  # a second topic heading over the rest
        about = f"{title}の仕組みについて" if ja else f"About {title}"
        parts.append(f"\n# {about}\n\n" + "\n".join(sections[split:]))
    return "".join(parts), pairs


def notes(
    seed: int = 7, count: int = 2000, *, varied: bool = True
) -> Iterator[tuple[str, str, list[tuple[str, str]]]]:
    """(path below the vault, text, [(term, definition)]) for each note, in order."""
    rng = random.Random(seed)
    for index in range(count):
        japanese = index % 2 == 0
        topics = _TOPIC_JA if japanese else _TOPIC_EN
        area = topics[index % len(topics)]
        depth = index % 3
        folders = [f"area{index % 5}", f"part{index % 7}", f"shelf{index % 4}"][:depth]
        stem = f"note{index:04d}"
        title = f"{area} {index:04d}" if japanese else f"{area} notes {index:04d}"
        if varied:
            text, pairs = _varied(rng, title, area, japanese)
        else:
            text, pairs = (_japanese if japanese else _english)(rng, title, area)
        yield "/".join([*folders, f"{stem}.md"]), text, pairs


def terms(seed: int = 7, count: int = 2000, *, varied: bool = True) -> list[Term]:
    """Every term of the vault with its definition."""
    found = notes(seed, count, varied=varied)
    return [Term(path, t, d) for path, _, pairs in found for t, d in pairs]


def write_vault(out: Path, seed: int = 7, count: int = 2000, *, varied: bool = True) -> int:
    """Write the vault to `out` (replacing it); the number of notes written."""
    if out.exists():
        shutil.rmtree(out)
    written = 0
    for path, text, _ in notes(seed, count, varied=varied):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written += 1
    return written


def main() -> None:
    """Command line: write the vault."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fixed", action="store_true", help="every note in one fixed layout")
    args = parser.parse_args()
    written = write_vault(args.out, args.seed, args.notes, varied=not args.fixed)
    print(f"{args.out}: {written} notes, {written * TERMS_PER_NOTE} terms")


if __name__ == "__main__":
    main()
