"""Python-Markdown, made linear in its input: drop-in replacements for the parts of it that take
time growing with the square of a paragraph's length, giving the same HTML.

Two causes, both found by profiling a page of 1,500 links (9 s to render):
- Link, image and reference patterns look up the closing `]` of every `[` in a table built for
  the whole paragraph, and rebuild that table each time a link is replaced by its placeholder;
  and they find the closing `)` of a link by walking to the end of the paragraph whenever there
  is none. Here the same answers come from one pass over the brackets, parentheses and quotes
  of the paragraph, indexed from its end: replacing a link by a placeholder leaves everything
  after it, and so every answer the later links need, unchanged.
- The raw-HTML block parser (the standard library's) reads from every `<` to the end of the
  text looking for the end of a tag that never closes. Here a tag must end within
  `TAG_LIMIT` characters; a longer one is read as text (and escaped), as an unclosed one is.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Any

from markdown import Markdown
from markdown import htmlparser as markdown_htmlparser
from markdown.extensions import Extension
from markdown.htmlparser import HTMLExtractor
from markdown.inlinepatterns import (
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
    dequote,
)
from markdown.preprocessors import HtmlBlockPreprocessor
from markdown.util import INLINE_PLACEHOLDER_RE

TAG_LIMIT = 4096
_EVENTS = re.compile(r"""[\[\]()'"]""")
_SPACES_THEN_CLOSE = re.compile(r" *\)")
_TAG_CLOSE = re.compile(">")
# Python-Markdown's own copy of the standard library's rule for where a start tag ends.
_START_TAG_END: re.Pattern[str] = getattr(  # noqa: B009 - the stubs do not export it
    markdown_htmlparser, "htmlparser"
).locatestarttagend_tolerant
_OTHER_QUOTE = {"'": '"', '"': "'"}


class _Structure:
    """Where each bracket, parenthesis and quote of one string leads, as distances from the
    string's end (r = len - position), so that the entries for an unchanged tail stay true when
    the text before it changes. `valid` is the largest r still known to be true."""

    def __init__(self, data: str) -> None:
        n = len(data)
        self.valid = n
        # `[` closes: r just after the `[` -> r just after its `]` (None: never closes).
        self.bracket_end: dict[int, int | None] = {}
        # Every parenthesis and quote, nearest the end first, with what a walk started there
        # meets first: the `)` closing one more `(` than it opens, and the first quote.
        self.event_r: list[int] = []
        self.event_close: list[int | None] = []
        self.event_quote: list[int | None] = []
        self.event_balance: list[int] = []  # ( minus ) from this event to the end
        self.paren_r: list[int] = []  # every parenthesis, nearest the end first
        self.paren_is_close: list[bool] = []
        # For a walk inside a quoted title that started at this quote: the `)` that ends it.
        self.title_end: dict[int, int | None] = {}

        brackets: list[int] = []
        parens: list[int] = []
        balance = 0
        quote_seen: int | None = None
        # A `)` straight after a quote (spaces between allowed), by that quote's kind: the
        # nearest such after the current position, and, for each quote, the value before it.
        after_quote: dict[str, int | None] = {"'": None, '"': None}
        before_self: dict[int, int | None] = {}
        nearest_quote: dict[str, int | None] = {"'": None, '"': None}

        for match in reversed(list(_EVENTS.finditer(data))):
            x = match.start()
            r = n - x
            c = data[x]
            if c == "]":
                brackets.append(r)
                continue
            if c == "[":
                self.bracket_end[r - 1] = brackets.pop() - 1 if brackets else None
                continue
            if c == "(":
                balance += 1
                if parens:
                    parens.pop()
                self.paren_r.append(r)
                self.paren_is_close.append(False)
            elif c == ")":
                balance -= 1
                parens.append(r)
                self.paren_r.append(r)
                self.paren_is_close.append(True)
            else:
                other = nearest_quote[_OTHER_QUOTE[c]]
                ends = [after_quote[c], before_self[other] if other is not None else None]
                self.title_end[r] = max((e for e in ends if e is not None), default=None)
                before_self[r] = after_quote[c]
                close = _SPACES_THEN_CLOSE.match(data, x + 1)
                if close:
                    after_quote[c] = n - (close.end() - 1)
                nearest_quote[c] = r
                quote_seen = r
            self.event_r.append(r)
            self.event_close.append(parens[-1] if parens else None)
            self.event_quote.append(quote_seen)
            self.event_balance.append(balance)


class _Linear(LinkInlineProcessor):
    """Link-like patterns answering `getText` and `getLink` from a `_Structure`."""

    _structure: _Structure | None = None
    _data: str | None = None
    _pending: tuple[str, int, int, Any] | None = None

    def _index(self, data: str, r: int) -> _Structure:
        structure = self._structure
        if data is not self._data:
            structure = self._carried_over(data)
            self._data = data
        if structure is None or r > structure.valid:
            structure = _Structure(data)
        self._structure = structure
        return structure

    def _carried_over(self, data: str) -> _Structure | None:
        """The structure of the last string, if `data` is it with our last match replaced by
        its placeholder (as Python-Markdown's inline processor does): then its tail is the same.
        The placeholder must name the very element we made, so no other string passes."""
        pending, self._pending = self._pending, None
        if pending is None or self._structure is None or pending[0] is not self._data:
            return None
        old, start, end, element = pending
        placeholder = INLINE_PLACEHOLDER_RE.match(data, start)
        tail = len(old) - end
        if placeholder is None or placeholder.end() + tail != len(data):
            return None
        stashed = getattr(self.md.treeprocessors["inline"], "stashed_nodes", {})
        if stashed.get(placeholder.group(1)) is not element:
            return None
        self._structure.valid = min(self._structure.valid, tail)
        return self._structure

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[Any, int | None, int | None]:
        el, start, end = super().handleMatch(m, data)
        if el is not None and start is not None and end is not None:
            self._pending = (data, start, end, el)
        return el, start, end

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        n = len(data)
        r = n - index
        structure = self._index(data, r)
        if r not in structure.bracket_end:  # not just after a `[`: walk, as upstream does
            return _walk_brackets(data, index)
        end_r = structure.bracket_end[r]
        if end_r is None:
            return data[index:], n, False
        end = n - end_r
        return data[index : end - 1], end, True

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        href = ""
        title: str | None = None
        handled = False
        m = self.RE_LINK.match(data, pos=index)
        if m and m.group(1):
            href = m.group(1)[1:-1].strip()
            if m.group(2):
                title = m.group(2)[1:-1]
            index = m.end(0)
            handled = True
        elif m:
            href, title, index, handled = self._destination(data, m.end())
        if title is not None:
            title = self.RE_TITLE_CLEAN.sub(" ", dequote(self.unescape(title.strip())))
        href = self.unescape(href).strip()
        return href, title, index, handled

    def _destination(self, data: str, start: int) -> tuple[str, str | None, int, bool]:
        """What upstream's character-by-character walk from `start` finds (its quirks kept)."""
        n = len(data)
        structure = self._index(data, n - start)
        k = bisect_right(structure.event_r, n - start) - 1
        if k < 0:
            return "", None, n, False
        close_r, quote_r = structure.event_close[k], structure.event_quote[k]
        if close_r is not None and (quote_r is None or close_r > quote_r):
            close = n - close_r
            return data[start:close], None, close + 1, True
        if quote_r is None:
            return "", None, n, False
        # Inside a quoted title: parentheses no longer nest; it ends at a `)` straight after a
        # closing quote. Until then every parenthesis counts down the depth reached before the
        # quote, and the one reaching zero is where the link ends if the title never closes.
        q = n - quote_r
        kq = bisect_right(structure.event_r, quote_r) - 1
        depth = 1 + structure.event_balance[k] - structure.event_balance[kq]
        end_r = structure.title_end.get(quote_r)
        if end_r is not None:
            end = n - end_r
            last = end - 1
            while data[last] == " ":
                last -= 1
            if data[last] == data[q]:
                return data[start:q], data[q + 1 : last], end + 1, True
            alt = data.index(_OTHER_QUOTE[data[q]], q + 1)
            return data[start:alt], data[alt + 1 : last], end + 1, True
        after = bisect_left(structure.paren_r, quote_r)
        if after < depth:
            return "", None, n, False
        nth = after - depth
        last_bracket = n - structure.paren_r[nth] + 1 if structure.paren_is_close[nth] else -1
        return data[start : last_bracket - 1], None, last_bracket, True


def _walk_brackets(data: str, index: int) -> tuple[str, int, bool]:
    depth = 1
    for pos in range(index, len(data)):
        c = data[pos]
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return data[index:pos], pos + 1, True
    return data[index:], len(data), False


class _Link(_Linear, LinkInlineProcessor):
    pass


class _Image(_Linear, ImageInlineProcessor):
    pass


class _Reference(_Linear, ReferenceInlineProcessor):
    pass


class _ImageReference(_Linear, ImageReferenceInlineProcessor):
    pass


class _ShortReference(_Linear, ShortReferenceInlineProcessor):
    pass


class _ShortImageReference(_Linear, ShortImageReferenceInlineProcessor):
    pass


# Names and priorities as Python-Markdown registers them (a test checks the order is unchanged).
PATTERNS: tuple[tuple[str, type[_Linear], float], ...] = (
    ("reference", _Reference, 170),
    ("link", _Link, 160),
    ("image_link", _Image, 150),
    ("image_reference", _ImageReference, 140),
    ("short_reference", _ShortReference, 130),
    ("short_image_ref", _ShortImageReference, 125),
)


class _BoundedHTMLExtractor(HTMLExtractor):
    _closers: tuple[str, list[int]] | None = None

    def _next_close(self, rawdata: str, i: int) -> int:
        """Where the first `>` at or after `i` is (len(rawdata) if none), found by bisection
        in a list made once for the text rather than by a search from every `<`."""
        if self._closers is None or self._closers[0] is not rawdata:
            self._closers = (rawdata, [m.start() for m in _TAG_CLOSE.finditer(rawdata)])
        closers = self._closers[1]
        k = bisect_left(closers, i)
        return closers[k] if k < len(closers) else len(rawdata)

    def parse_endtag(self, i: int) -> int:
        rawdata: str = self.rawdata
        if self._next_close(rawdata, i + 1) - i >= TAG_LIMIT:
            # What Python-Markdown does with a `</` that has no `>`: keep it as text.
            self.handle_data(rawdata[i : i + 2])
            return i + 2
        return int(super().parse_endtag(i))

    def check_for_whole_start_tag(self, i: int) -> int:
        rawdata: str = self.rawdata
        if self._next_close(rawdata, i) - i >= TAG_LIMIT:
            return -1  # no `>` within the limit: not a tag, however it is read
        stop = i + TAG_LIMIT
        if stop >= len(rawdata):
            return int(super().check_for_whole_start_tag(i))
        # The standard library's own rule, read within the limit: a tag reaching it is text.
        m = _START_TAG_END.match(rawdata, i, stop)
        j = m.end() if m else i
        if j >= stop - 1:
            return -1
        following = rawdata[j : j + 1]
        if following == ">":
            return j + 1
        if following == "/":
            if rawdata.startswith("/>", j):
                return j + 2
            if rawdata.startswith("/", j):
                return -1
        if following in "abcdefghijklmnopqrstuvwxyz=/ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            return -1
        return j if j > i else i + 1


class _BoundedHtmlBlock(HtmlBlockPreprocessor):
    def run(self, lines: list[str]) -> list[str]:
        parser = _BoundedHTMLExtractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


class LinearExtension(Extension):
    """Swap the quadratic parts of Python-Markdown for the linear ones above."""

    def extendMarkdown(self, md: Markdown) -> None:
        for name, cls, priority in PATTERNS:
            old = md.inlinePatterns[name]
            md.inlinePatterns.register(cls(old.pattern, md), name, priority)
        md.preprocessors.register(_BoundedHtmlBlock(md), "html_block", 20)
