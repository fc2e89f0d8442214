"""The only path from user Markdown to HTML: render with Python-Markdown, then sanitise with nh3."""

from __future__ import annotations

from html import unescape

import markdown as md
import nh3
from markupsafe import Markup

_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
# Relative links and http(s)/mailto only: no javascript:, data:, vbscript: or file:.
_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """Markdown to safe HTML. h1 is reserved for the page title, so it is not allowed."""
    html = md.markdown(
        text, extensions=["tables", "sane_lists", "fenced_code"], output_format="html"
    )
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - nh3 has just sanitised it


def markdown_to_text(text: str) -> str:
    """The words a reader sees, without markup: what search indexes and snippets show."""
    html = md.markdown(text, extensions=["tables", "sane_lists", "fenced_code"])
    return " ".join(unescape(nh3.clean(html, tags=set())).split())
