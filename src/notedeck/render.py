"""Markdown -> the HTML of card fields, and the media files they use (DESIGN §5).

markdown-it-py renders the learner's Markdown as written; Obsidian's own syntax (`[[links]]`,
`![[embeds]]`, `==highlights==`, `> [!note]` callouts, `%% comments %%`) is read too, because
many notes come from an Obsidian vault. Everything ends in nh3, so nothing a note holds can run
code on a card. Local images, sounds and videos become media files named by content hash, so
two images called `image.png` in two folders never overwrite each other in Anki's one media
folder; a sound or video is played by Anki's `[sound:…]` tag (Anki plays video through it too).
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .errors import Diagnostic, warning
from .extract import Card
from .package import model_name
from .parse import limit_nesting
from .rules.lines import mask_code
from .sources import decode, read_note_bytes

# Tags and attributes a card may hold; everything else (scripts, handlers, frames) is dropped.
_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "ruby",
    "rt",
    "rp",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"style", "colspan", "rowspan"},
    "th": {"style", "colspan", "rowspan"},
    "ol": {"start"},
}
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif"})
SOUND_SUFFIXES = frozenset({".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".flac", ".aac"})
VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mov", ".mkv", ".ogv", ".m4v"})
MEDIA_SUFFIXES = IMAGE_SUFFIXES | SOUND_SUFFIXES | VIDEO_SUFFIXES
# Anki's tag that plays a sound or a video file of the collection's media folder.
SOUND_TAG = re.compile(r"\[sound:([^\]]+)\]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
_CALLOUT = re.compile(r"^\[!([A-Za-z][\w-]*)\][+-]?[ \t]*(.*)$")
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_CLOZE = re.compile(r"\{\{c(\d+)::")
_HTML_IMAGE = re.compile(
    r"(<img\b[^>]*?\bsrc\s*=\s*)(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))", re.IGNORECASE
)
_CODE_ELEMENT = re.compile(r"(<code[^>]*>)(.*?)(</code>)", re.DOTALL)
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)
_INDENTED = re.compile(r"^(?: {4}|\t)")


@dataclass(frozen=True)
class MediaFile:
    """A file a card shows: the name the field uses and where the file is on disk."""

    name: str
    path: Path


class RenderedCard(NamedTuple):
    """A card's note type, its fields as HTML, the media they use and what went wrong.

    A named tuple, not a dataclass: the cache holds one per card, and a rebuild of 20,000
    cards unpickles them all; a tuple is rebuilt without a dictionary per card (a sixth of
    loading the cache).
    """

    card: Card
    model: str
    fields: tuple[str, ...]
    media: tuple[MediaFile, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


_ENV_KEY = "notedeck"  # markdown-it's env is a dict its plugins write to; ours sits under this


@dataclass
class _Env:
    """What the render rules need to know about the note being rendered, and what they found."""

    note_dir: Path | None = None
    root: Path | None = None
    media: dict[str, MediaFile] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (target, message)
    vault: dict[Path, dict[str, list[Path]]] = field(default_factory=dict)  # images by name


# --- markdown-it rules for Obsidian's syntax ------------------------------------------------


def _wikilink(state: StateInline, silent: bool) -> bool:
    """`[[Page]]`, `[[Page|alias]]` as their text; `![[image.png]]` (a sound, a video) as media."""
    src, pos = state.src, state.pos
    embed = src.startswith("![[", pos)
    if not embed and not src.startswith("[[", pos):
        return False
    start = pos + (3 if embed else 2)
    end = src.find("]]", start)
    if end < 0 or "\n" in src[start:end] or end == start:
        return False
    if not silent:
        target, _, alias = src[start:end].partition("|")
        target = target.strip()
        if embed and PurePosixPath(target).suffix.lower() in MEDIA_SUFFIXES:
            token = state.push("image", "img", 0)
            token.attrs = {"src": target, "alt": ""}
            token.meta = {"obsidian": True, "width": alias.strip()}
            token.content = ""
            token.children = []
        else:
            page, _, heading = target.partition("#")
            shown = alias.strip() or (f"{page} › {heading.lstrip('^')}" if heading else page)
            token = state.push("wikilink", "span", 0)
            token.content = shown.strip()
    state.pos = end + 2
    return True


def _highlight(state: StateInline, silent: bool) -> bool:
    """`==text==` as <mark>, as Obsidian shows it."""
    src, pos = state.src, state.pos
    if not src.startswith("==", pos) or src.startswith("===", pos):
        return False
    end = src.find("==", pos + 2)
    if end < 0 or end == pos + 2 or src[pos + 2].isspace() or src[end - 1].isspace():
        return False
    if not silent:
        old_max = state.posMax
        state.push("mark_open", "mark", 1)
        state.pos, state.posMax = pos + 2, end
        state.md.inline.tokenize(state)
        state.push("mark_close", "mark", -1)
        state.posMax = old_max
    state.pos = end + 2
    return True


def _bracket_math(state: StateInline, silent: bool) -> bool:
    """`\\(…\\)` and `\\[…\\]` as written for Anki's MathJax: math, not escaped brackets."""
    src, pos = state.src, state.pos
    if not src.startswith(("\\(", "\\["), pos):
        return False
    closing = "\\)" if src[pos + 1] == "(" else "\\]"
    end = src.find(closing, pos + 2)
    if end <= pos + 2:
        return False
    if not silent:
        token = state.push("math_inline" if closing == "\\)" else "math_inline_double", "math", 0)
        token.content = src[pos + 2 : end]
    state.pos = end + 2
    return True


def _callouts(state: StateCore) -> None:
    """`> [!note] Title` blockquotes become callout boxes (run before inline parsing)."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "blockquote_open" or index + 2 >= len(tokens):
            continue
        if tokens[index + 1].type != "paragraph_open" or tokens[index + 2].type != "inline":
            continue
        inline = tokens[index + 2]
        first, _, rest = inline.content.partition("\n")
        match = _CALLOUT.match(first.strip())
        if not match:
            continue
        kind = match.group(1).lower()
        close = _matching_close(tokens, index)
        token.tag = tokens[close].tag = "div"
        token.attrs = {"class": f"callout callout-{kind}"}
        title = Token("callout_title", "div", 0)
        title.content = match.group(2).strip() or kind.capitalize()
        inline.content = rest
        if not rest.strip():  # the title line was the whole paragraph
            del tokens[index + 1 : index + 4]
        tokens.insert(index + 1, title)


def _matching_close(tokens: Sequence[Token], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].type == "blockquote_open":
            depth += 1
        elif tokens[index].type == "blockquote_close":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def _code_block(code: str, lang: str, attrs: Any) -> str:
    """A fenced block highlighted by Pygments into spans with CSS classes."""
    name = lang.split()[0] if lang.strip() else ""
    language = f' class="language-{html.escape(name)}"' if name else ""
    try:
        lexer = get_lexer_by_name(name) if name else None
    except ClassNotFound:
        lexer = None
    body = (
        highlight(code, lexer, HtmlFormatter(nowrap=True)) if lexer else html.escape(code)
    ).rstrip("\n")
    return f'<pre class="highlight"><code{language}>{body}</code></pre>\n'


def media_kind(name: str) -> str:
    """`image`, `sound` or `video`, by the file name's suffix (anything else counts as an image,
    as Markdown's `![](…)` says)."""
    suffix = PurePosixPath(name.split("#", 1)[0].split("?", 1)[0]).suffix.lower()
    return "sound" if suffix in SOUND_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else "image"


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrs.get("src", ""))
    alt = self.renderInlineAsText(token.children or [], options, env) if token.children else ""
    context = env.get(_ENV_KEY) if isinstance(env, dict) else None
    kind = media_kind(src)
    if not isinstance(context, _Env) or _SCHEME.match(src):
        if kind != "image":  # Anki plays only files of its media folder: a remote one is a link
            return f'<a href="{html.escape(src)}">{html.escape(alt or src)}</a>'
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
    media = _local_media(src, context, obsidian=bool(token.meta.get("obsidian")), kind=kind)
    if media is None:
        return f'<span class="missing-{kind}">{html.escape(alt or src)}</span>'
    if kind != "image":
        return f"[sound:{media.name}]"
    width = str(token.meta.get("width", ""))
    size = f' width="{html.escape(width)}"' if width.isdigit() else ""
    return f'<img src="{html.escape(media.name)}" alt="{html.escape(alt)}"{size}>'


def _render_html(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Raw HTML as written, its local `<img src>` turned into media like Markdown images."""
    markup = tokens[idx].content
    context = env.get(_ENV_KEY) if isinstance(env, dict) else None
    if not isinstance(context, _Env) or "<img" not in markup.lower():
        return str(markup)

    def media_src(match: re.Match[str]) -> str:
        src = html.unescape(next(g for g in match.groups()[1:] if g is not None))
        media = None if _SCHEME.match(src) else _local_media(src, context, obsidian=False)
        # A local image that is missing or outside the notes folder (warned about) shows nothing.
        name = media.name if media else src if _SCHEME.match(src) else ""
        return f'{match.group(1)}"{html.escape(name)}"'

    return _HTML_IMAGE.sub(media_src, markup)


def _local_media(src: str, env: _Env, *, obsidian: bool, kind: str = "image") -> MediaFile | None:
    """The media file for a local image, sound or video, or None after noting why there is
    none (`kind` names it in the warning)."""
    if env.note_dir is None or env.root is None:
        return None
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    try:
        root = env.root.resolve()
        base = root if relative.startswith("/") else env.note_dir
        candidates = [base / relative.lstrip("/")]
        if obsidian:  # Obsidian finds an embed by name anywhere in the vault
            named = _vault_files(root, env.vault).get(PurePosixPath(relative).name, ())
            candidates += [root / relative, *named]
        for candidate in candidates:
            resolved = Path(os.path.realpath(candidate))
            if not resolved.is_relative_to(root):
                env.problems.append(
                    (src, f"{kind} '{src}' is outside the notes folder; not included")
                )
                return None
            if resolved.is_file():
                stat = resolved.stat()
                media = MediaFile(_media_name(resolved, stat.st_mtime_ns, stat.st_size), resolved)
                env.media[media.name] = media
                return media
    except (OSError, ValueError) as exc:  # unreadable, a name too long, a NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        env.problems.append((src, f"{kind} '{src}' cannot be read ({reason})"))
        return None
    env.problems.append((src, f"{kind} '{src}' not found"))
    return None


def _vault_files(root: Path, known: dict[Path, dict[str, list[Path]]]) -> dict[str, list[Path]]:
    """Media files below the notes root by name, for Obsidian's `![[name.png]]`; listed once
    per rendering run (`known`), so a long-running `watch` sees images added later."""
    found = known.get(root)
    if found is None:
        found = known[root] = {}
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if Path(name).suffix.lower() in MEDIA_SUFFIXES:
                    found.setdefault(name, []).append(Path(folder, name))
    return found


@functools.lru_cache(maxsize=4096)
def _media_name(path: Path, mtime_ns: int, size: int) -> str:
    """`<sha1[:12]>-<name>`: the same bytes give the same name, different bytes never clash.
    Cached by modification time and size, so an edited image gets its new name."""
    digest = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    name = re.sub(r"[^\w.-]+", "_", path.name).strip("._") or "image"
    return f"{digest}-{name}"


@functools.cache
def _markdown() -> MarkdownIt:
    md = limit_nesting(
        MarkdownIt("commonmark", {"html": True, "breaks": True, "highlight": _code_block})
    ).enable(["table", "strikethrough"])
    md.use(deflist_plugin).use(footnote_plugin).use(dollarmath_plugin, double_inline=True)
    md.inline.ruler.before("escape", "bracket_math", _bracket_math)
    md.inline.ruler.before("link", "wikilink", _wikilink)
    md.inline.ruler.before("link", "highlight", _highlight)
    md.core.ruler.after("block", "callouts", _callouts)

    def math(opening: str, closing: str) -> Any:
        return lambda self, tokens, idx, options, env: (
            opening + html.escape(tokens[idx].content.strip()) + closing
        )

    md.add_render_rule("math_inline", math("\\(", "\\)"))
    md.add_render_rule("math_inline_double", math("\\[", "\\]"))
    md.add_render_rule("math_block", math("<p>\\[", "\\]</p>\n"))
    md.add_render_rule("math_block_label", math("<p>\\[", "\\]</p>\n"))
    # A card holds no ids (the sanitiser drops them), so links between a footnote and its
    # reference would go nowhere: the number alone, and no way back.
    md.add_render_rule(
        "footnote_ref",
        lambda self, tokens, idx, options, env: (
            f'<sup class="footnote-ref">{self.rules["footnote_caption"](tokens, idx, options, env)}'
            "</sup>"
        ),
    )
    md.add_render_rule("footnote_anchor", lambda self, tokens, idx, options, env: "")
    md.add_render_rule("image", _render_image)
    md.add_render_rule("html_block", _render_html)
    md.add_render_rule("html_inline", _render_html)
    md.add_render_rule(
        "wikilink",
        lambda self, tokens, idx, options, env: (
            f'<span class="wikilink">{html.escape(tokens[idx].content)}</span>'
        ),
    )
    md.add_render_rule(
        "callout_title",
        lambda self, tokens, idx, options, env: (
            f'<div class="callout-title">{html.escape(tokens[idx].content)}</div>\n'
        ),
    )
    return md


def drop_comments(text: str) -> str:
    """The Markdown without Obsidian's `%% comments %%` (inline or over lines), code kept."""
    if "%%" not in text:
        return text
    out: list[str] = []
    chunk: list[str] = []  # prose lines waiting for their comments to be dropped
    fence = ""
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            out.append(line)
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            out.extend(_without_comments(chunk))
            chunk = []
            fence = opening.group(1)
            out.append(line)
            continue
        chunk.append(line)
    out.extend(_without_comments(chunk))
    return "\n".join(out)


def _without_comments(lines: list[str]) -> list[str]:
    if not lines:
        return []
    text = "\n".join(lines)
    masked = mask_code(text)
    kept, last = [], 0
    for match in _COMMENT.finditer(masked):
        kept.append(text[last : match.start()])
        kept.append("\n" * match.group(0).count("\n"))  # keep the line count
        last = match.end()
    kept.append(text[last:])
    return "".join(kept).split("\n")


def sanitise(markup: str) -> str:
    """HTML with anything that could run code removed."""
    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


# Text in which Markdown, HTML or Obsidian syntax could mean anything: only text without any
# of these takes the fast path below (most definitions are plain prose).
_MARKUP = re.compile(
    r"[`*_\[\]!<>&#$~|={}%\\\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]"
    r"|https?:|www\.|^[ \t]*(?:[-+>:]|\d+[.)])|^(?: {4}| {0,3}\t)|^[ \t]*$"
    # other whitespace at a line's edge: markdown-it strips it in some places, not in others
    r"|^[ \t]*[^\S\n\t ]|[^\S\n\t ][ \t]*$"
    # a tab ending a line that goes on: markdown-it keeps it before the line break
    r"|\t[ \t]*\n",
    re.MULTILINE,
)


def plain_lines(text: str) -> list[str] | None:
    """The lines of text that holds no markup at all, else None.

    Such text renders to its escaped lines joined by `<br>`, exactly as markdown-it and nh3
    would render it (a property test holds the two together), at a fraction of the cost.
    """
    if not text or _MARKUP.search(text):
        return None
    # `&`, `<` and `>` are markup above: nothing is left to escape. nh3 writes a no-break
    # space as `&nbsp;`; the fast path must write the same bytes.
    return [line.strip(" \t").replace("\xa0", "&nbsp;") for line in text.split("\n")]


def markdown_html(text: str, env: _Env | None = None) -> str:
    """Block Markdown rendered to sanitised HTML."""
    lines = plain_lines(text.strip("\n"))
    if lines is not None:
        return "<p>" + "<br>\n".join(lines) + "</p>"
    return sanitise(_markdown().render(drop_comments(text), {_ENV_KEY: env})).strip()


def inline_html(text: str, env: _Env | None = None) -> str:
    """One line of Markdown rendered without a wrapping paragraph."""
    lines = plain_lines(text)
    if lines is not None:
        return "<br>\n".join(lines)
    return sanitise(_markdown().renderInline(drop_comments(text), {_ENV_KEY: env})).strip()


def with_note_footnotes(text: str, note: str) -> str:
    """The Markdown with the definitions of the footnotes it cites but does not hold, taken
    from its note: a card is a piece of a note, and footnotes are defined at the note's end."""
    if "[^" not in text:
        return text
    masked = mask_code(text)
    held = set(_FOOTNOTE_DEF.findall(masked))
    missing = [label for label in dict.fromkeys(_FOOTNOTE_REF.findall(masked)) if label not in held]
    if not missing:
        return text
    try:
        info = os.stat(note)
        defined = _note_footnotes(note, info.st_mtime_ns, info.st_size)
    except OSError:
        return text  # the note is gone: the reference stays as written
    found = [defined[label] for label in missing if label in defined]
    return text + "\n\n" + "\n".join(found) if found else text


@functools.lru_cache(maxsize=256)  # every card of a note asks; keyed by mtime and size
def _note_footnotes(note: str, mtime_ns: int, size: int) -> dict[str, str]:
    """The note's footnote definitions by label, each with its indented continuation lines
    (fenced code skipped)."""
    try:
        text = decode(read_note_bytes(Path(note)))[0] or ""
    except OSError:
        return {}
    defined: dict[str, str] = {}
    label, fence = "", ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opening = _FENCE.match(line)
        if fence:
            mark = opening.group(1) if opening else ""
            if mark[:1] == fence[0] and len(mark) >= len(fence):
                fence = ""
            continue
        if opening:
            fence, label = opening.group(1), ""
            continue
        start = _FOOTNOTE_DEF.match(line)
        if start:
            label = start.group(1)
            defined.setdefault(label, line)
        elif label and _INDENTED.match(line):
            defined[label] += "\n" + line
        else:
            label = ""
    return defined


def row_table(definition: str, env: _Env | None = None) -> str | None:
    """A table row's card back (`header: value` lines, in the order of the columns) as a small
    two-column table; None when the text is not of that form (a two-column table's row is its
    one value, left as it is)."""
    lines = definition.split("\n")
    if len(lines) < 2 or not any(": " in line for line in lines):
        return None
    rows = []
    for line in lines:
        name, separator, value = line.partition(": ")
        if separator:
            rows.append(
                f"<tr><th>{inline_html(name, env)}</th><td>{inline_html(value, env)}</td></tr>"
            )
        else:  # a column without a header: its value alone
            rows.append(f'<tr><td colspan="2">{inline_html(line, env)}</td></tr>')
    return '<table class="row-table">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"


def note_folders(card: Card) -> tuple[Path, Path]:
    """The folder of the card's note and the notes root (images must stay inside it)."""
    return _note_folders(card.location.path, card.note_path)


@functools.lru_cache(maxsize=1024)  # the same for every card of a note; Paths cost
def _note_folders(path: str, note_path: str) -> tuple[Path, Path]:
    note = Path(path)
    depth = len(PurePosixPath(note_path).parts)
    root = note.parents[depth - 1] if 0 < depth <= len(note.parents) else note.parent
    return note.parent, root


def render_card(card: Card, vault: dict[Path, dict[str, list[Path]]] | None = None) -> RenderedCard:
    """The card's note type, its fields as HTML and the media files they use.

    `vault` holds the image files found under each notes root, shared by one rendering run.
    """
    note_dir, root = note_folders(card)
    env = _Env(note_dir, root, vault=vault if vault is not None else {})
    topic, source = _topic_fields(card.topic, card.source_label, card.link)
    if card.note_type == "cloze":
        text = with_note_footnotes(card.definition, card.location.path)
        text = _CODE_ELEMENT.sub(_inert_braces, markdown_html(text, env))
        fields: tuple[str, ...] = (text, "", topic, source)
    else:
        # A multi-line question is block Markdown; a one-line term is rendered inline.
        term = markdown_html(card.term, env) if "\n" in card.term else inline_html(card.term, env)
        definition = (row_table(card.definition, env) if card.kind == "table" else None) or (
            markdown_html(with_note_footnotes(card.definition, card.location.path), env)
        )
        fields = (term, definition, topic, source)
    diagnostics = tuple(
        warning(card.location.path, _line_of(card, target), message)
        for target, message in dict.fromkeys(env.problems)
    )
    return RenderedCard(
        card, model_name(card.note_type), fields, tuple(env.media.values()), diagnostics
    )


@functools.lru_cache(maxsize=1 << 12)  # the same for every card under one heading
def _topic_fields(topic: tuple[str, ...], source_label: str, link: str = "") -> tuple[str, str]:
    """The Topic and Source fields as HTML; the source a link back to the note with a
    `link`."""
    source = html.escape(source_label)
    if link:
        source = f'<a href="{html.escape(link)}">{source}</a>'
    return " › ".join(html.escape(t) for t in topic), source


def _inert_braces(match: re.Match[str]) -> str:
    """`{{c1::…}}` written in code is code: Anki must not read it as a deletion."""
    code = match.group(2).replace("{{", "&#123;&#123;").replace("}}", "&#125;&#125;")
    return match.group(1) + code + match.group(3)


def render_cards(cards: Iterable[Card]) -> list[RenderedCard]:
    """Every card rendered, in order."""
    vault: dict[Path, dict[str, list[Path]]] = {}
    return [render_card(card, vault) for card in cards]


def card_fields(card: Card) -> tuple[str, ...]:
    """The fields of the card's note type: (Term, Definition, Topic, Source) or, for a cloze,
    (Text, Extra, Topic, Source)."""
    return render_card(card).fields


def _line_of(card: Card, target: str) -> int:
    """The line of the note that names `target`, at or after the card's own line."""
    try:
        lines = Path(card.location.path).read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return card.location.line
    for number in range(max(card.location.line, 1), len(lines) + 1):
        if target in lines[number - 1]:
            return number
    return card.location.line


def cloze_numbers(text: str) -> list[int]:
    """The deletion numbers of a cloze text, each once, in order: Anki makes a card per number."""
    return sorted({int(n) for n in _CLOZE.findall(text)})
