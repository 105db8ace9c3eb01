"""Write the bench vault: 2,000 notes x 10 terms, Japanese and English, in nested folders.

The notes are made up from word lists (our own words), the same for the same seed, so two
runs on two machines time the same input. Each note holds its ten terms in the writing styles
of DESIGN.md §2 (heading, question, colon, bold, bullet, table, sentence, deflist, explicit),
under topic headings, with a meta section that gives no card.

    python bench/generate.py OUT [--notes 2000] [--seed 7]

`terms(seed, notes)` gives the same terms and definitions without writing files, for the
floor and ankdown runs of the bench.
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Iterator
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


def notes(seed: int = 7, count: int = 2000) -> Iterator[tuple[str, str, list[tuple[str, str]]]]:
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
        make = _japanese if japanese else _english
        text, pairs = make(rng, title, area)
        yield "/".join([*folders, f"{stem}.md"]), text, pairs


def terms(seed: int = 7, count: int = 2000) -> list[Term]:
    """Every term of the vault with its definition."""
    return [Term(path, t, d) for path, _, pairs in notes(seed, count) for t, d in pairs]


def write_vault(out: Path, seed: int = 7, count: int = 2000) -> int:
    """Write the vault to `out` (replacing it); the number of notes written."""
    if out.exists():
        shutil.rmtree(out)
    written = 0
    for path, text, _ in notes(seed, count):
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
    args = parser.parse_args()
    written = write_vault(args.out, args.seed, args.notes)
    print(f"{args.out}: {written} notes, {written * TERMS_PER_NOTE} terms")


if __name__ == "__main__":
    main()
