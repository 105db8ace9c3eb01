"""Markdown -> the HTML of card fields (DESIGN §5)."""

from __future__ import annotations

import functools
import html

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .extract import Card

# Tags and attributes a card may hold; everything else (scripts, handlers) is dropped.
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


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])
    md.use(deflist_plugin).use(footnote_plugin).use(dollarmath_plugin, double_inline=True)
    md.add_render_rule(
        "math_inline",
        lambda self, tokens, idx, options, env: "\\(" + html.escape(tokens[idx].content) + "\\)",
    )
    md.add_render_rule(
        "math_block",
        lambda self, tokens, idx, options, env: "\\[" + html.escape(tokens[idx].content) + "\\]",
    )
    return md


def sanitise(markup: str) -> str:
    """HTML with anything that could run code removed."""
    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def markdown_html(text: str) -> str:
    """Block Markdown rendered to sanitised HTML."""
    return sanitise(_markdown().render(text)).strip()


def inline_html(text: str) -> str:
    """One line of Markdown rendered without a wrapping paragraph."""
    return sanitise(_markdown().renderInline(text)).strip()


def card_fields(card: Card) -> tuple[str, ...]:
    """Term, Definition, Topic, Source: the fields of the Basic note type."""
    topic = " › ".join(html.escape(t) for t in card.topic)
    return (
        inline_html(card.term),
        markdown_html(card.definition),
        topic,
        html.escape(card.source_label),
    )
