"""One self-contained HTML page of every card, front and back, to check before importing.

The page uses the note types' own CSS and shows each card as Anki would: a reversed note as its
two cards, a cloze note as a card per deletion number. Images, sounds and videos are inlined
as data URIs so the page works offline and can be mailed around; a Content-Security-Policy
without any script source makes sure nothing in it can run, whatever a note held. Math is
converted to MathML (which Chromium and Firefox draw themselves), since the page cannot load
MathJax as Anki does. Night mode follows the system's colour scheme, and a switch made of
radio buttons (CSS `:has()`, no script) picks day or night by hand.
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

from latex2mathml.converter import convert as latex_to_mathml

from .errors import Diagnostic, NotedeckError
from .extract import extract_paths
from .output import write_atomic
from .package import light_css, night_css
from .render import (
    SOUND_TAG,
    MediaFile,
    RenderedCard,
    cloze_numbers,
    media_kind,
    render_cards,
)

_DELETION = re.compile(r"\{\{c(\d+)::(.*?)(?:::((?:(?!\}\}).)*))?\}\}", re.DOTALL)
# Anki's MathJax delimiters as render.py writes them; code is left alone, as MathJax does.
_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.DOTALL)
_PAGE_CSS = """\
body { margin: 0; padding: 1em; background: #eaeef2; color: #1f2328; font-family: sans-serif; }
header { max-width: 80em; margin: 0 auto 1em; }
.theme-switch { font-size: .9em; }
.theme-switch label { margin-right: .8em; }
.deck, .topic-group { max-width: 80em; margin: 0 auto; }
.deck > h1 { font-size: 1.3em; border-bottom: 2px solid #8c959f; }
.topic-group > h2 { font-size: 1em; color: #57606a; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: .6em; margin: 0 0 1em; }
.face { border: 1px solid #d0d7de; border-radius: 8px; padding: .6em; max-width: none;
  margin: 0; }
.face-label { font-size: .6em; color: #6e7781; text-transform: uppercase; }
@media (max-width: 50em) { .pair { grid-template-columns: 1fr; } }
audio { display: block; margin: .3em 0; }
.math-source { color: #cf222e; }
"""
_PAGE_NIGHT_CSS = """\
.nightMode { background: #010409; color: #e6edf3; }
.nightMode .deck > h1 { border-color: #30363d; }
.nightMode .topic-group > h2, .nightMode .face-label { color: #8b949e; }
.nightMode .face { border-color: #30363d; }
.nightMode .math-source { color: #f85149; }
"""
# Night mode when the system asks for it and the switch says "auto", or when it says "night".
_AUTO, _NIGHT = "body:has(#theme-auto:checked)", "body:has(#theme-night:checked)"
_SWITCH = (
    '<form class="theme-switch">colours: '
    + "".join(
        f'<input type="radio" name="theme" id="theme-{mode}"{" checked" if mode == "auto" else ""}>'
        f'<label for="theme-{mode}">{label}</label>'
        for mode, label in (("auto", "as the system"), ("day", "day"), ("night", "night"))
    )
    + "</form>"
)
_POLICY = (
    "default-src 'none'; img-src data: https: http:; media-src data:; style-src 'unsafe-inline'"
)


def page_css() -> str:
    """The note types' CSS and the page's own, with night mode under the page's selectors."""
    night = night_css(".nightMode") + _PAGE_NIGHT_CSS
    return (
        light_css()
        + _PAGE_CSS
        + "@media (prefers-color-scheme: dark) {\n"
        + night.replace(".nightMode", _AUTO)
        + "}\n"
        + night.replace(".nightMode", _NIGHT)
    )


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
    """Images, and Anki's `[sound:…]` as `<audio>` or `<video>`, with their bytes inlined."""
    uris = {item.name: _data_uri(item) for item in media}
    for name, uri in uris.items():
        markup = markup.replace(f'src="{html.escape(name)}"', f'src="{uri}"')

    def player(match: re.Match[str]) -> str:
        uri = uris.get(match.group(1))
        if uri is None:
            return match.group(0)
        tag = "video" if media_kind(match.group(1)) == "video" else "audio"
        return f'<{tag} controls preload="metadata" src="{uri}"></{tag}>'

    return SOUND_TAG.sub(player, markup) if "[sound:" in markup else markup


# Types the mimetypes module may not know on every system; the page's players need them.
_MEDIA_TYPES = {
    ".opus": "audio/ogg",
    ".oga": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mkv": "video/x-matroska",
}


def _data_uri(item: MediaFile) -> str:
    suffix = Path(item.name).suffix.lower()
    kind = (
        _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(item.name)[0] or "application/octet-stream"
    )
    return f"data:{kind};base64,{base64.b64encode(item.path.read_bytes()).decode('ascii')}"


def math_html(markup: str) -> str:
    """Anki's `\\(…\\)` and `\\[…\\]` as MathML; LaTeX it cannot read shows as its source."""
    if "\\(" not in markup and "\\[" not in markup:
        return markup
    parts = _CODE.split(markup)  # odd parts are code
    return "".join(
        part if index % 2 else _MATH.sub(_mathml, part) for index, part in enumerate(parts)
    )


def _mathml(match: re.Match[str]) -> str:
    inline = match.group(1) is not None
    tex = html.unescape(match.group(1) if inline else match.group(2))
    try:
        return str(latex_to_mathml(tex, display="inline" if inline else "block"))
    except Exception:  # latex2mathml on any LaTeX a note holds: the page must still be written
        return f'<code class="math-source">{html.escape(tex)}</code>'


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
        f"<style>\n{page_css()}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{html.escape(title)}</h1>"
        f"<p>{len(rendered)} notes, {count} cards</p>\n{_SWITCH}</header>",
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
    front = math_html(_inline_media(face.front, item.media))
    back = math_html(_inline_media(face.back, item.media))
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
