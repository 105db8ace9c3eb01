"""What the explicit rule and rendering ask of a line: code spans, link-only lines."""

from __future__ import annotations

import re

# Runs of backticks match whole (no backtracking into a run): cubic time on a line of `````.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK_ONLY = re.compile(
    r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?:<?https?://\S+>?|\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\([^)]*\)"
    r"|\[\[[^\]]*\]\]|!\[\[[^\]]*\]\]"
    # Obsidian tags alone on a line (`#flashcards/aws`): metadata, like a link
    r"|#[^\s#]*[^\W\d][^\s#]*(?:\s+#[^\s#]*[^\W\d][^\s#]*)*)\s*$"
)


def mask_code(text: str) -> str:
    """Text with the inside of inline code spans blanked, so separators in code are not seen."""
    if "`" not in text:
        return text  # most lines hold no code
    return _CODE_SPAN.sub(lambda m: m.group(1) + "\x01" * len(m.group(2)) + m.group(1), text)


def is_link_only(text: str) -> bool:
    """A line that is nothing but a link, URL, image or Obsidian tags."""
    if "[" not in text and "#" not in text and "://" not in text:
        return False  # what every link, image or tag needs; most lines have none
    return bool(_LINK_ONLY.match(text))
