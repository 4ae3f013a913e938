"""Article bodies are plain text: paragraphs split at blank lines, never HTML from officers.

Templates escape every line (Jinja autoescape), so markup an officer types shows as text.
"""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n\s*\n")
SUMMARY_CHARS = 160


def paragraphs(body: str) -> list[list[str]]:
    """The body's paragraphs, each as its lines (a single newline is a line break)."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    found = []
    for block in _BLANK_LINE.split(text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            found.append(lines)
    return found


def summary(body: str, limit: int = SUMMARY_CHARS) -> str:
    """The first paragraph, cut at `limit` characters with an ellipsis."""
    first = paragraphs(body)
    text = " ".join(first[0]) if first else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
