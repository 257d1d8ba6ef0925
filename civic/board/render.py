"""Markdown of posts, comments and answers to HTML that cannot carry script.

Two locks, because one mistake in either must not let script through:
markdown-it renders with raw HTML disabled (a `<script>` typed by a resident
comes out as text), and nh3 (ammonia) then keeps only the tags and attributes
listed here, drops every `javascript:`-like link and marks links `noopener`.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(markdown: str) -> str:
    """Sanitised HTML of a resident's Markdown; headings 1-2 belong to the page."""
    html = _md.render(markdown)
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
    )
