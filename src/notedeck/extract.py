"""Run the rules over every section of every note: dedupe, topic paths, tags, decks -> Cards."""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import cache as cache_module
from . import config as config_module
from . import tags as tags_module
from .config import Config
from .errors import Diagnostic, Location, warning
from .frontmatter import Note, split
from .names import name_text
from .parse import Section, parse
from .progress import note_step
from .rules import Candidate, Context, Skip, registry
from .rules import scorer as scorer_module
from .rules.detectors import Proposal, heading_term, is_question, propose, question_term
from .rules.explicit import tag_decks
from .rules.features import note_features, section_proposal_features
from .rules.lines import is_link_only
from .sources import CONTROL_CHARACTERS, NoteFile, find_notes, read_source
from .terms import clean_term, normalise_term, without_aside
from .terms import plain as plain_text
from .vault import note_link

# The longest term or definition (Markdown characters) a card may have. Longer ones are left
# out with a warning: no one studies a 5 MB answer, and sanitising deeply nested HTML costs
# time that grows with the square of its size.
MAX_CARD_CHARS = 65_536
PRIORITY = {name: rank for rank, name in enumerate(config_module.RULE_NAMES)}
_META_TAIL = re.compile(r"の|\s+of\s+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_SKIP_MARK = re.compile(r"^\s*<!--\s*notedeck:\s*skip\s*-->\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Card:
    """One term/definition pair, placed in a deck with its topic path and tags."""

    term: str
    definition: str  # Markdown
    topic: tuple[str, ...]
    tags: tuple[str, ...]
    deck: str
    kind: str
    location: Location
    note_path: str  # below the notes root, with forward slashes: shown on the card
    # "basic"; "reversed" asks both ways; "cloze": `definition` holds the text with its
    # {{c1::…}} deletions and `term` the same text with the deletions shown.
    note_type: str = "basic"
    guid: str = ""
    link: str = ""  # where the card's source line links to (vault.note_link), or ""

    @property
    def normalised_term(self) -> str:
        """The term as compared for duplicates and identity."""
        return normalise_term(self.term)

    @property
    def source_label(self) -> str:
        """File and heading path as the card shows it (no line number: see DESIGN §4)."""
        return " › ".join((self.note_path, *self.topic))


@dataclass(frozen=True)
class Decision:
    """What became of one place in a note, for `notedeck check`."""

    location: Location
    verdict: str  # "card", "skip" or "duplicate"
    message: str
    kind: str = ""


@dataclass
class Extraction:
    """Everything extraction found: cards, what was decided where, and warnings or errors."""

    cards: list[Card] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)
    config: Config = field(default_factory=Config)  # the first notes root's settings
    flags: dict[str, Any] = field(default_factory=dict)  # command-line settings: they win
    # With a renderer: what it gave for each card, in the order of `cards` (None for a card
    # left to render later: see cache.render_unless_media).
    rendered: list[Any] = field(default_factory=list)
    facts: list[Any] = field(default_factory=list)  # identity.card_facts of each rendered card

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics that stop a build."""
        return [d for d in self.diagnostics if d.severity == "error"]


def extract_paths(
    paths: Sequence[Path],
    overrides: dict[str, Any] | None = None,
    *,
    cache: cache_module.Cache | None = None,
    render: cache_module.Renderer | None = None,
    jobs: int | None = None,
    progress: cache_module.Progress | None = None,
) -> Extraction:
    """Read every note below `paths` and extract its cards (see `extract_note`).

    With a `cache`, unchanged notes are taken from it, and `decisions` stays empty (a build
    does not use them); `render` also renders each card without images (in `rendered`);
    `jobs` is the number of processes (default: one per core when there are many notes);
    `progress(done, total)` is called as notes are extracted.
    """
    files, found_diagnostics = find_notes(paths)
    result = Extraction(diagnostics=list(found_diagnostics))
    result.flags = dict(overrides or {})
    result.config = config_module.with_flags(Config(), **result.flags)
    configs: dict[Path, Config] = {}
    work: list[tuple[NoteFile, Config]] = []
    for note_file in files:
        base = configs.get(note_file.root)
        if base is None:
            settings, _ = config_module.load_config_file(note_file.root)
            base = config_module.with_flags(
                config_module.merge(Config(), settings), **(overrides or {})
            )
            configs[note_file.root] = base
            if not result.roots:
                result.config = base
            result.roots.append(note_file.root)
        work.append((note_file, base))
    for found in cache_module.file_results(work, cache, render, jobs, progress):
        result.cards.extend(found.cards)
        result.decisions.extend(found.decisions)
        result.diagnostics.extend(found.diagnostics)
        if render is not None:
            result.rendered.extend(found.rendered or [None] * len(found.cards))
            result.facts.extend(found.facts or [None] * len(found.cards))
    return result


def extract_file(
    note_file: NoteFile, base: Config, result: Extraction, content: bytes | None = None
) -> None:
    """Extract one file into `result` (from `content` when its bytes were read already)."""
    source, diagnostics = read_source(note_file, content)
    result.diagnostics.extend(diagnostics)
    if source is None:
        return
    note, diagnostics = split(source)
    result.diagnostics.extend(diagnostics)
    if note is None:
        return
    included, settings = config_module.note_settings(note.meta)
    shown = note_file.display
    if not included:
        result.decisions.append(
            Decision(Location(shown, 1), "skip", "the note says notedeck: false")
        )
        return
    if settings:
        result.diagnostics.extend(
            config_module.validate(settings, shown, note.setting_lines, for_note=True)
        )
    # Front matter overrides the config file; flags override both (DESIGN §3).
    cfg = config_module.with_flags(config_module.merge(base, settings), **result.flags)
    cards, decisions = extract_note(note, cfg)
    for card in cards:
        size = max(len(card.term), len(card.definition))
        if not card.term.strip() or not card.definition.strip():
            continue  # only whitespace (a form feed is one) on one side: no card
        if size > MAX_CARD_CHARS:
            message = (
                f"card '{card.term[:40]}' is {size:,} characters long "
                f"(a card holds at most {MAX_CARD_CHARS:,}); left out"
            )
            result.diagnostics.append(warning(card.location.path, card.location.line, message))
        else:
            result.cards.append(card)
    result.decisions.extend(decisions)


@dataclass(frozen=True)
class Proposed:
    """A detector's proposal with what the scorer reads: its features and its topic path;
    `fits` is False when its two sides cannot stand on a card (then it has no features)."""

    proposal: Proposal
    features: dict[str, float]
    topic: tuple[str, ...]
    fits: bool = True


@dataclass
class _Walk:
    """What reading a note's sections gave before the scorer decides."""

    inline: tags_module.InlineTags
    explicit: list[tuple[Candidate, tuple[str, ...]]] = field(default_factory=list)
    proposed: list[Proposed] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def propose_note(note: Note, cfg: Config) -> _Walk:
    """Every proposal of a note with its features, the cards marked by hand, and the
    sections left out (meta, empty, only code or links) with why."""
    shown = note.source.file.display
    inline = tags_module.read_inline(_blank_skipped(note.body))  # `#tag`s leave the text
    tree = parse(inline.body)
    rules = [(name, rule) for name, rule in registry() if cfg.rule_enabled(name)]
    walk = _Walk(inline)
    sections = tree.walk()
    top_level = min((s.level for _, s in sections if s.level > 0), default=1)
    # The walk goes depth first, each section before those under it: the topic path of the
    # section at each depth so far, and the depth of a meta section whose subtree is left out.
    paths: list[tuple[str, ...]] = []
    skipped_below: int | None = None
    for index, (parents, section) in enumerate(sections, 1):
        note_step("Sections", index, len(sections))  # a long note's progress: progress.py
        depth = len(parents)
        if skipped_below is not None:
            if depth > skipped_below:
                continue
            skipped_below = None
        # A meta heading standing above the note (`# 目的`) is no topic of what is under it.
        del paths[depth:]
        path = paths[-1] if paths else ()
        if section.level > 0 and not is_meta_title(section.title, cfg):
            path = (*path, topic_title(section.title))
        paths.append(path)
        reason = section_skip_reason(section, cfg)
        if reason:
            walk.decisions.append(Decision(Location(shown, section.line), "skip", reason))
            if is_meta_title(section.title, cfg):
                # A top-level `# 目的` often stands above the whole note's `##` sections:
                # only its own body is about the note. Deeper meta sections (`## 参考`)
                # take their subsections with them.
                if section.level > top_level:
                    skipped_below = depth
                continue
        ctx = Context(cfg, parents)
        for _, rule in rules:
            for finding in rule(section, ctx):
                if isinstance(finding, Skip):
                    walk.decisions.append(
                        Decision(Location(shown, finding.line), "skip", finding.reason)
                    )
                else:
                    walk.explicit.append((finding, card_topic(finding, section, path)))
        proposals = [p for p in propose(section) if cfg.rule_enabled(p.kind)]
        fits = [_fits(p, cfg) for p in proposals]
        features = section_proposal_features(proposals, section, parents, fits)
        for proposal, found, fit in zip(proposals, features, fits, strict=True):
            topic = card_topic(_as_candidate(proposal), section, path)
            walk.proposed.append(Proposed(proposal, found, topic, fit))
    if walk.proposed:
        told = note_features(inline.body)
        fitting = [(p, normalise_term(p.proposal.term)) for p in walk.proposed if p.fits]
        # a term the note comes back to (proposed on other lines too) is one it is about
        lines_of: dict[str, set[int]] = {}
        for proposed, term in fitting:
            lines_of.setdefault(term, set()).add(proposed.proposal.line)
        for proposed, term in fitting:
            proposed.features.update(told)
            again = len(lines_of[term]) - 1
            if again:
                proposed.features["term_again"] = min(again, 3) / 3
    return walk


def _as_candidate(proposal: Proposal, score: float = 1.0, why: str = "") -> Candidate:
    return Candidate(
        proposal.term,
        proposal.definition,
        proposal.line,
        proposal.kind,
        proposal.last_line,
        proposal.own_heading,
        score=score,
        why=why,
    )


def _fits(proposal: Proposal, cfg: Config) -> bool:
    """Whether a proposal's two sides can stand on a card at all: a term within the
    configured limits and a definition with something to read."""
    term = clean_term(proposal.term)
    if not term or not plain_text(proposal.definition):
        return False
    core = without_aside(term)
    if proposal.form in ("qa", "row"):  # a question or a table's first cell runs longer
        return len(core) <= cfg.term_max_chars * 2
    return len(core) <= cfg.term_max_chars and len(core.split()) <= cfg.term_max_words


def extract_note(
    note: Note, cfg: Config, model: scorer_module.Model | None = None
) -> tuple[list[Card], list[Decision]]:
    """The cards of one note, deduplicated, with their decisions."""
    shown = note.source.file.display
    deck = deck_name(note, cfg)
    base_tags = front_matter_tags(note.meta)
    model = model or scorer_module.packaged()
    threshold = cfg.threshold if cfg.threshold is not None else model.threshold
    walk = propose_note(note, cfg)
    decisions = walk.decisions
    found: list[tuple[Candidate, tuple[str, ...]]] = list(walk.explicit)
    for proposed in walk.proposed:
        proposal = proposed.proposal
        location = Location(shown, proposal.line)
        if not proposed.fits:
            term = clean_term(proposal.term)[:40]
            decisions.append(
                Decision(location, "skip", f"'{term}' ({proposal.form}): too long for a term")
            )
            continue
        probability = model.probability(proposed.features)
        why = scorer_module.describe(model.explain(proposed.features))
        if probability >= threshold:
            found.append((_as_candidate(proposal, probability, why), proposed.topic))
        else:
            decisions.append(
                Decision(
                    location,
                    "skip",
                    f"'{clean_term(proposal.term)[:40]}' ({proposal.form}) is no card: "
                    f"p={probability:.2f} < {threshold:.2f} ({why})",
                    proposal.kind,
                )
            )
    decks = tag_decks(note.body, base_tags) if cfg.tag_decks else {}
    note_path = note.source.file.note_path
    link = note_link(cfg.link, note.source.file.root, note_path)
    cards = []
    for candidate, topic, duplicate_of in _dedupe(found):
        location = Location(shown, candidate.line)
        if duplicate_of is not None:
            said = f"'{clean_term(candidate.term)}' ({candidate.kind})"
            if candidate.own_heading and not _same_term(candidate.term, duplicate_of.term):
                why = f"{said} heads the terms it holds, first at line {duplicate_of.line}"
            else:
                why = f"{said} already a card at line {duplicate_of.line} ({duplicate_of.kind})"
            decisions.append(Decision(location, "duplicate", why, candidate.kind))
            continue
        term = clean_term(candidate.term) if candidate.kind != "explicit" else candidate.term
        card = Card(
            term=term,
            definition=candidate.definition.strip(),
            topic=topic,
            tags=walk.inline.add_to(topic_tags(base_tags, topic, cfg), candidate.line),
            deck=decks.get(candidate.line, deck),
            kind=candidate.kind,
            location=location,
            note_path=note_path,
            link=link.replace("{line}", str(candidate.line)),
            note_type=(
                "reversed"
                if cfg.reversed and candidate.note_type == "basic" and candidate.kind == "explicit"
                else candidate.note_type
            ),
        )
        cards.append(card)
        first_words = card.definition.replace("\n", " ")[:40]
        shown_term = " ".join(card.term.split())  # a multi-line question on one line
        score = f" (p={candidate.score:.2f}: {candidate.why})" if candidate.why else ""
        decisions.append(
            Decision(location, "card", f"{shown_term} → {first_words}{score}", candidate.kind)
        )
    cards.sort(key=lambda c: c.location.line)  # one file: its lines order its cards
    # Two rules may skip one line for one reason (a label before a colon, in bold).
    return cards, list(dict.fromkeys(decisions))


def _blank_skipped(body: str) -> str:
    """The body with each section after a `<!-- notedeck: skip -->` line blanked out."""
    if "notedeck:" not in body:
        return body
    lines = body.split("\n")
    index = 0
    while index < len(lines):
        if _SKIP_MARK.match(lines[index]):
            level = None
            j = index + 1
            while j < len(lines):
                heading = re.match(r"^(#{1,6})\s", lines[j])
                if heading:
                    if level is None:
                        level = len(heading.group(1))
                    elif len(heading.group(1)) <= level:
                        break
                elif level is None and lines[j].strip():
                    level = 7  # no heading follows: skip up to the next heading
                lines[j] = ""
                j += 1
            index = j
        else:
            index += 1
    return "\n".join(lines)


@functools.lru_cache(maxsize=1 << 14)  # asked again for each section below the heading
def topic_title(title: str) -> str:
    """A heading as one step of a topic path: question forms stripped, plain text."""
    text = question_term(title) if is_question(title) else heading_term(title)
    return clean_term(text, keep_pairs=True) or clean_term(title) or title.strip()


def card_topic(candidate: Candidate, section: Section, path: tuple[str, ...]) -> tuple[str, ...]:
    """The enclosing headings of a card, without its own heading when that heading is the term.

    A card from a top-level heading has that heading as its topic.
    """
    if len(path) > 1 and (
        candidate.own_heading or normalise_term(path[-1]) == normalise_term(candidate.term)
    ):
        return path[:-1]
    return path


def is_meta_title(title: str, cfg: Config) -> bool:
    """A meta section's name, alone or closing a phrase (`検証の目的`, `この記事のまとめ`)."""
    # Only the meta section names of the settings count (see Config.is_meta_section).
    return _is_meta_title(title, cfg.meta_keys)


@functools.lru_cache(maxsize=1 << 14)  # asked for every section and again for each below it
def _is_meta_title(title: str, meta_keys: frozenset[str]) -> bool:
    if config_module.meta_key(title) in meta_keys:
        return True
    tail = _META_TAIL.split(title.strip())[-1]
    return tail != title.strip() and config_module.meta_key(tail) in meta_keys


def section_skip_reason(section: Section, cfg: Config) -> str:
    """Why a section gives no card of its own, or '' when it may."""
    if section.level == 0:
        return ""
    title = section.title
    if is_meta_title(title, cfg):
        return f"meta section '{title}': about the note, not a term"
    blocks = [b for b in section.blocks if b.kind != "hr"]
    if not blocks:
        if section.children:
            return f"'{title}' holds only subsections (a container heading)"
        return f"'{title}' has an empty body"
    if all(b.kind == "code" for b in blocks):
        return f"'{title}' holds only code"
    if all(_is_links(b) for b in blocks):
        return f"'{title}' holds only links or images"
    return ""


def _is_links(block: Any) -> bool:
    if block.kind == "paragraph":
        return all(is_link_only(line) for line in block.lines if line.strip())
    if block.kind == "list":
        return all(is_link_only(item.text.split("\n")[0]) for item in block.items)
    return False


def _dedupe(
    found: Iterable[tuple[Candidate, tuple[str, ...]]],
) -> list[tuple[Candidate, tuple[str, ...], Candidate | None]]:
    """Keep one candidate per (topic, normalised term) and one term per line: cards marked by
    hand first, then the likeliest by the scorer (the kinds' priority breaks a tie)."""
    ranked = sorted(
        _headings_over_their_sentences(found),
        key=lambda f: (
            f[0].kind != "explicit",
            -round(f[0].score, 6),
            PRIORITY.get(f[0].kind, 99),
            f[0].line,
        ),
    )
    superseded = _headings_given_way(ranked)
    kept: dict[tuple[tuple[str, ...], str], Candidate] = {}
    claimed: dict[int, Candidate] = {}
    out: list[tuple[Candidate, tuple[str, ...], Candidate | None]] = []
    for candidate, topic in ranked:
        if id(candidate) in superseded:
            out.append((candidate, topic, superseded[id(candidate)]))
            continue
        key = (_normalised_topic(topic), normalise_term(candidate.term))
        if key in kept:
            out.append((candidate, topic, kept[key]))
            continue
        owner = claimed.get(candidate.line)
        # A heading card's body may still hold a sentence defining another term.
        if (
            owner is not None
            and not candidate.own_heading
            and not _another_sentence(candidate, owner)
            and not (
                (owner.own_heading or owner.kind == "table")
                and candidate.kind == "sentence"
                # `Service in Kubernetes` under `## Service` says the heading's term again
                and not _restates(candidate.term, owner.term)
            )
        ):
            out.append((candidate, topic, owner))
            continue
        marked = _marked_by_hand(candidate, claimed) if candidate.own_heading else None
        if marked is not None:  # the heading's body is a card marked by hand: that card wins
            out.append((candidate, topic, marked))
            continue
        kept[key] = candidate
        # A pair claims the lines it uses; a heading card the body lines it took.
        first = candidate.line + 1 if candidate.own_heading else candidate.line
        for line in range(first, max(candidate.line, candidate.last_line) + 1):
            claimed.setdefault(line, candidate)
        out.append((candidate, topic, None))
    return out


def _headings_over_their_sentences(
    found: Iterable[tuple[Candidate, tuple[str, ...]]],
) -> list[tuple[Candidate, tuple[str, ...]]]:
    """A heading card ranked just above a sentence of its own body that defines the same term:
    the heading's definition holds that sentence and what joins it (code, a formula)."""
    found = list(found)
    best: dict[tuple[tuple[str, ...], str, int], float] = {}
    for candidate, topic in found:
        if candidate.kind == "sentence":
            key = (_normalised_topic(topic), normalise_term(candidate.term), candidate.line)
            best[key] = max(best.get(key, 0.0), candidate.score)
    if not best:
        return found
    raised = []
    for candidate, topic in found:
        if candidate.own_heading:
            term = normalise_term(candidate.term)
            body = range(candidate.line + 1, max(candidate.line, candidate.last_line) + 1)
            scores = [best.get((_normalised_topic(topic), term, line), 0.0) for line in body]
            if scores and max(scores) >= candidate.score:
                candidate = dataclasses.replace(candidate, score=max(scores) + 1e-6)
        raised.append((candidate, topic))
    return raised


# Kinds that stand on one item or line of a heading's body (a sentence may share a paragraph).
_ITEM_KINDS = frozenset({"bullet", "colon", "bold", "deflist", "table"})


def _headings_given_way(
    ranked: Sequence[tuple[Candidate, tuple[str, ...]]],
) -> dict[int, Candidate]:
    """Heading cards that give way to a card of their own body, by id: a heading over a list
    of defined items is a container (`## コマンド` over `- git init - 初期化`), and a heading
    whose body defines its term again with more (`## RDS` over `**RDS**(Amazon Relational
    Database Service)は、…`) leaves the card to that line."""
    body = [(c, t) for c, t in ranked if not c.own_heading and c.kind != "explicit"]
    if not body:
        return {}
    # Body cards by line (a heading's body is a few lines) and, by topic, the lines of the
    # item cards: looked up per heading, not scanned (a note may hold 100,000 headings).
    by_line: dict[int, list[tuple[Candidate, tuple[str, ...]]]] = {}
    item_lines: dict[tuple[str, ...], list[int]] = {}
    for card, topic in sorted(body, key=lambda found: found[0].line):
        by_line.setdefault(card.line, []).append((card, topic))
        if card.kind in _ITEM_KINDS:
            item_lines.setdefault(topic, []).append(card.line)
    given: dict[int, Candidate] = {}
    for heading, _ in ranked:
        if not heading.own_heading or heading.kind != "heading":
            continue
        term = normalise_term(heading.term)
        for line in range(heading.line + 1, max(heading.line, heading.last_line) + 1):
            found = next(_giving_way(heading, term, by_line.get(line, []), item_lines), None)
            if found is not None:
                given[id(heading)] = found
                break
    return given


def _giving_way(
    heading: Candidate,
    term: str,
    cards: list[tuple[Candidate, tuple[str, ...]]],
    item_lines: dict[tuple[str, ...], list[int]],
) -> Iterator[Candidate]:
    """The cards of one body line a heading gives way to: its term said again with more, or
    one of two or more defined items under it."""
    for card, topic in cards:
        if normalise_term(card.term) == term:
            continue  # the same term: ranking decides (a heading outranks its sentence)
        lines = item_lines.get(topic, [])
        items = len(lines) - bisect.bisect_right(lines, heading.line)
        if _same_term(card.term, heading.term) or (card.kind in _ITEM_KINDS and items > 1):
            yield card


def _same_term(one: str, other: str) -> bool:
    """Whether two terms are one, an aside aside (`RDS` and `RDS (Amazon RDS)`)."""
    return normalise_term(without_aside(one)) == normalise_term(without_aside(other))


def _another_sentence(candidate: Candidate, owner: Candidate) -> bool:
    """Two sentences of one line, each defining its own term (`占有ロックは…。一方で共有ロック
    は…。`): the line holds two cards, as two lines would."""
    return (
        candidate.kind == owner.kind == "sentence"
        and candidate.definition not in owner.definition
        and owner.definition not in candidate.definition
    )


@functools.lru_cache(maxsize=1 << 12)  # the same for every candidate under one heading
def _normalised_topic(topic: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(normalise_term, topic))


def _restates(term: str, heading: str) -> bool:
    """Whether a term holds a heading's term as whole words (`Amazon EC2 dedicated host`
    under `EC2 Dedicated Hosts`, `Inter process communication (IPC)` under
    `IPC (Inter process communication)`); `トランザクション管理` is another term than
    `トランザクション`."""
    inner = re.sub(r"s\b", "", normalise_term(without_aside(heading)))
    outer = re.sub(r"s\b", "", normalise_term(term))
    return bool(re.search(rf"(?<!\w){re.escape(inner)}(?!\w)", outer))


def _marked_by_hand(candidate: Candidate, claimed: dict[int, Candidate]) -> Candidate | None:
    """The explicit card that claims a line of a heading card's definition, if any."""
    for line in range(candidate.line + 1, candidate.last_line + 1):
        owner = claimed.get(line)
        if owner is not None and owner.kind == "explicit":
            return owner
    return None


def deck_name(note: Note, cfg: Config) -> str:
    """The deck a note's cards go to (DESIGN §3): `deck:` (absolute; `::Sub` under the
    folder deck) > `title:` > file stem, under the folders between the notes root and the
    note."""
    relative = note.source.file.relative
    if cfg.deck_mode == "single":
        folder = name_text(note.source.file.root.name)
        return _deck_part(cfg.deck or cfg.package or folder or "notedeck")
    folders = _deck_folders(str(relative.parent))
    explicit = _meta_text(note.meta.get("deck")) if cfg.deck_mode == "title" else ""
    if explicit and not cfg.deck:
        # A deck the note names is the deck (absolute); `::Sub` is under the folder deck.
        nested = explicit.startswith("::")
        parts = [*(folders if nested else ()), *map(_deck_part, explicit.split("::"))]
        return "::".join(p for p in parts if p) or "notedeck"
    if cfg.deck:
        own = cfg.deck
    elif cfg.deck_mode == "title":
        own = _meta_text(note.meta.get("title")) or relative.stem
    else:
        own = relative.stem
    parts = [*folders, *(_deck_part(p) for p in own.split("::"))]
    return "::".join(p for p in parts if p) or "notedeck"


def _meta_text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int | float) and str(value).strip() else ""


@functools.lru_cache(maxsize=1 << 12)  # the same folders stand above many notes
def _deck_folders(folder: str) -> tuple[str, ...]:
    return tuple(_deck_part(p) for p in PurePosixPath(folder).parts)


@functools.lru_cache(maxsize=1 << 12)  # the same folders stand above many notes
def _deck_part(text: str) -> str:
    # Anki drops control characters from deck names (YAML escapes like "\x01" make them):
    # drop them here too, so the deck written is the deck Anki shows.
    return _SPACES.sub(" ", CONTROL_CHARACTERS.sub("", text.replace('"', "'"))).strip()[:100]


def front_matter_tags(meta: dict[str, Any]) -> tuple[str, ...]:
    """`topics:` and `tags:` entries, as a list or a comma-separated string, as Anki tags."""
    tags: list[str] = []
    for key in ("topics", "tags"):
        value = meta.get(key)
        if isinstance(value, str):
            entries: list[Any] = [v for v in re.split(r"[,\s]+", value) if v]
        elif isinstance(value, list):
            entries = value
        else:
            continue
        for entry in entries:
            if isinstance(entry, str | int | float) and str(entry).strip():
                tag = tags_module.anki_tag(str(entry))  # `python/basics` -> python::basics
                if tag and tag not in tags:
                    tags.append(tag)
    return tuple(tags)


@functools.lru_cache(maxsize=1 << 14)  # the same topics are tagged on every card under them
def tag_text(text: str) -> str:
    """Text as one Anki tag: spaces become `_` (Anki splits tags on spaces)."""
    return _SPACES.sub("_", CONTROL_CHARACTERS.sub("", text.strip().replace('"', "")))


def topic_tags(base: tuple[str, ...], topic: tuple[str, ...], cfg: Config) -> tuple[str, ...]:
    """Front matter tags plus the topic path as a hierarchical tag under the first of them."""
    return _topic_tags(base, topic, cfg.tag_prefix)


@functools.lru_cache(maxsize=1 << 12)  # asked for every card, the same for all under one topic
def _topic_tags(
    base: tuple[str, ...], topic: tuple[str, ...], tag_prefix: str | None
) -> tuple[str, ...]:
    parts = [tag for tag in map(tag_text, topic) if tag]
    prefix = [tag_text(tag_prefix)] if tag_prefix else []
    head = list(base[:1])
    hierarchical = "::".join([*prefix, *head, *parts])
    tags = [*prefix[:1], *base]
    if hierarchical and hierarchical not in tags:
        tags.append(hierarchical)
    return tuple(dict.fromkeys(t for t in tags if t))


__all__ = ["Card", "Decision", "Extraction", "extract_note", "extract_paths"]
