"""One self-contained HTML page of every card, front and back, to check before importing.

The page uses the note types' own CSS and shows each card as Anki would: a reversed note as its
two cards, a cloze note as a card per deletion number. Images are inlined as data URIs so the
page works offline and can be mailed around; a Content-Security-Policy without any script
source makes sure nothing in it can run, whatever a note held.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Diagnostic, NotedeckError
from .extract import extract_paths
from .output import write_atomic
from .package import CSS
from .render import MediaFile, RenderedCard, cloze_numbers, render_cards

_DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::((?:(?!\}\}).)*))?\}\}", re.DOTALL)
_PAGE_CSS = """\
body { margin: 0; padding: 1em; background: #eaeef2; font-family: sans-serif; }
header { max-width: 80em; margin: 0 auto 1em; }
.deck, .topic-group { max-width: 80em; margin: 0 auto; }
.deck > h1 { font-size: 1.3em; border-bottom: 2px solid #8c959f; }
.topic-group > h2 { font-size: 1em; color: #57606a; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: .6em; margin: 0 0 1em; }
.face { border: 1px solid #d0d7de; border-radius: 8px; padding: .6em; max-width: none;
  margin: 0; }
.face-label { font-size: .6em; color: #8c959f; text-transform: uppercase; }
@media (max-width: 50em) { .pair { grid-template-columns: 1fr; } }
"""
_POLICY = "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Face:
    """One card as the learner sees it: the front and the back, as HTML."""

    label: str
    front: str
    back: str


def faces(rendered: RenderedCard) -> list[Face]:
    """The cards Anki makes of one note, with the note type's layout."""
    fields = rendered.fields
    card = rendered.card
    topic = f'<div class="topic">{fields[2]}</div>\n'
    source = f'<div class="source">{fields[3]}</div>'
    if card.note_type == "cloze":
        extra = f'<div class="extra">{fields[1]}</div>\n' if fields[1] else ""
        return [
            Face(
                f"cloze {number}",
                topic + f'<div class="cloze-text">{_cloze(fields[0], number, True)}</div>',
                topic
                + f'<div class="cloze-text">{_cloze(fields[0], number, False)}</div>\n'
                + extra
                + source,
            )
            for number in cloze_numbers(fields[0])
        ]
    term = f'<div class="term">{fields[0]}</div>'
    definition = f'<div class="definition">{fields[1]}</div>'
    answer = '\n<hr id="answer">\n'
    shown = [Face("card 1", topic + term, topic + term + answer + definition + "\n" + source)]
    if card.note_type == "reversed":
        shown.append(
            Face("card 2", topic + definition, topic + definition + answer + term + "\n" + source)
        )
    return shown


def _cloze(text: str, number: int, front: bool) -> str:
    """A cloze field as Anki shows card `number`: its deletions hidden on the front."""

    def replace(match: re.Match[str]) -> str:
        if int(match.group(1)) != number:
            return match.group(2)
        if front:
            return f'<span class="cloze">[{match.group(3) or "..."}]</span>'
        return f'<span class="cloze">{match.group(2)}</span>'

    return _DELETION.sub(replace, text)


def _inline_media(markup: str, media: Sequence[MediaFile]) -> str:
    for item in media:
        kind = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        data = base64.b64encode(item.path.read_bytes()).decode("ascii")
        markup = markup.replace(
            f'src="{html.escape(item.name)}"', f'src="data:{kind};base64,{data}"'
        )
    return markup


def preview_html(rendered: Sequence[RenderedCard], title: str = "notedeck preview") -> str:
    """The page: every card's front and back, grouped by deck and topic."""
    groups: dict[str, dict[str, list[RenderedCard]]] = {}
    for item in rendered:
        topic = " › ".join(item.card.topic)
        groups.setdefault(item.card.deck, {}).setdefault(topic, []).append(item)
    count = sum(len(faces(item)) for item in rendered)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>\n{CSS}\n{_PAGE_CSS}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{html.escape(title)}</h1>"
        f"<p>{len(rendered)} notes, {count} cards</p></header>",
    ]
    for deck in sorted(groups):
        parts.append(f'<section class="deck">\n<h1>{html.escape(deck)}</h1>')
        for topic, items in groups[deck].items():
            parts.append(f'<section class="topic-group">\n<h2>{html.escape(topic)}</h2>')
            for item in items:
                for face in faces(item):
                    parts.append(_face_html(item, face))
            parts.append("</section>")
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _face_html(item: RenderedCard, face: Face) -> str:
    where = html.escape(str(item.card.location))
    front = _inline_media(face.front, item.media)
    back = _inline_media(face.back, item.media)
    return (
        f'<div class="pair" title="{where}">\n'
        f'<div class="face card front"><div class="face-label">{face.label} · front</div>\n'
        f"{front}</div>\n"
        f'<div class="face card back"><div class="face-label">{face.label} · back</div>\n'
        f"{back}</div>\n</div>"
    )


@dataclass
class PreviewResult:
    """What `write_preview` wrote and what it noticed."""

    path: Path
    notes: int  # Anki notes
    cards: int  # Anki cards: a reversed note has two, a cloze one per deletion
    warnings: list[Diagnostic]
    files: int = 0  # note files they came from


def write_preview(
    paths: Sequence[Path], out: Path, overrides: dict[str, Any] | None = None
) -> PreviewResult:
    """Extract and render the notes under `paths` and write the preview page to `out`."""
    extraction = extract_paths(paths, overrides)
    if extraction.errors:
        raise NotedeckError.from_diagnostics(extraction.errors)
    rendered = render_cards(extraction.cards)
    page = preview_html(rendered)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, page.encode("utf-8"))
    except OSError as exc:
        raise NotedeckError(f"{out}: cannot write the preview: {exc.strerror or exc}") from None
    warnings = sorted(
        d
        for d in [*extraction.diagnostics, *(d for r in rendered for d in r.diagnostics)]
        if d.severity == "warning"
    )
    cards = sum(len(faces(item)) for item in rendered)
    files = len({card.location.path for card in extraction.cards})
    return PreviewResult(out, len(rendered), cards, warnings, files)
