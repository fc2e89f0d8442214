"""The only path from user Markdown to HTML: render with Python-Markdown, then sanitise with nh3."""

from __future__ import annotations

import re
from html import unescape

import markdown as md
import nh3
from markupsafe import Markup

from portfolio.core.markdown_linear import LinearExtension

_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt"},
    "td": {"align"},
    "th": {"align"},
}
# The one image source a page may name: an image uploaded to this app, served by the view that
# checks who may see it. Anything else (another site, data:, a path elsewhere) is dropped, so a
# page can never make a reader's browser, or the PDF renderer, fetch from outside.
_IMAGE_SRC = re.compile(r"/media/images/[0-9]{1,18}")
# nh3 cannot drop an element for a missing attribute, so an <img> left without its source
# (only `alt` may remain, and nh3 quotes every value with " escaped) is removed afterwards.
_IMG_WITHOUT_SRC = re.compile(r'<img(?: alt="[^"]*")?>')
# Relative links and http(s)/mailto only: no javascript:, data:, vbscript: or file:.
_URL_SCHEMES = {"http", "https", "mailto"}


def _to_html(text: str) -> str:
    # LinearExtension keeps the time linear in the text (a paragraph of 1,500 links took 9 s).
    return md.markdown(
        text,
        extensions=["tables", "sane_lists", "fenced_code", LinearExtension()],
        output_format="html",
    )


def render_markdown(text: str) -> Markup:
    """Markdown to safe HTML. h1 is reserved for the page title, so it is not allowed."""
    html = _to_html(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )
    return Markup(_IMG_WITHOUT_SRC.sub("", clean))  # noqa: S704 - nh3 has just sanitised it


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag != "img" or attribute == "alt":
        return value
    if attribute == "src" and _IMAGE_SRC.fullmatch(value):
        return value
    return None  # nh3 also allows `title` and `lang` everywhere; an <img> keeps only these two


def markdown_to_text(text: str) -> str:
    """The words a reader sees, without markup: what search indexes and snippets show."""
    html = _to_html(text)
    return " ".join(unescape(nh3.clean(html, tags=set())).split())
