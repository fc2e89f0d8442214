"""Reading a rendered page the way a user sees it: what each field holds, the error shown next to
it, the hidden version a form carries, and its tables cell by cell."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import csrf_token


@dataclass
class Form:
    """Every named input on a page: typed text, textareas, checked boxes and selected options;
    and the text of each `<p class="error" id="<field>-error">`, keyed by field id."""

    values: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form = Form()
        self._capture: tuple[str, str] | None = None  # ("textarea" | "error", key)
        self._depth = 0
        self._buffer: list[str] = []
        self._select: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.form.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._capture is not None:
            self._depth += tag == "p"
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button") or (
                kind in ("radio", "checkbox") and "checked" not in a
            ):
                return
            self._add(a["name"], a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._capture, self._buffer = ("textarea", a["name"]), []
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value", ""))
        elif (
            tag == "p"
            and "error" in a.get("class", "").split()
            and a.get("id", "").endswith("-error")
        ):
            self._capture, self._buffer, self._depth = ("error", a["id"][: -len("-error")]), [], 0

    def handle_data(self, data: str) -> None:
        if self._capture is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if self._capture is None:
            return
        kind, key = self._capture
        if kind == "textarea" and tag == "textarea":
            text = "".join(self._buffer)
            # As a browser does: the newline right after <textarea> is not part of the value.
            self._add(key, text[2:] if text.startswith("\r\n") else text.removeprefix("\n"))
            self._capture = None
        elif kind == "error" and tag == "p":
            if self._depth:
                self._depth -= 1
                return
            self.form.errors[key] = " ".join("".join(self._buffer).split())
            self._capture = None


def read_form(page: str | TestResponse) -> Form:
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.form


def text(page: str | TestResponse) -> str:
    """The page's HTML with entities decoded, so stored text can be looked for as typed."""
    return unescape(page if isinstance(page, str) else page.get_data(as_text=True))


def main_of(page: str | TestResponse) -> str:
    """The page's <main>: what two renderings of one page share, without the header's
    sign-out form, whose CSRF token is stamped to the second."""
    html = text(page)
    return html[html.index("<main") : html.index("</main>")]


def version_of(page: str | TestResponse) -> str:
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    match = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert match, "no version field on the page"
    return match.group(1)


def send(client: FlaskClient, url: str, data: dict[str, object]) -> TestResponse:
    """POST with a CSRF token taken from the home page (one token serves the whole session)."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


class _Tables(HTMLParser):
    """Every <table> as a browser shows it: the caption, then each row's cell texts (head, body,
    foot), whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("caption", "th", "td"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("caption", "th", "td") and self._text is not None:
            value = " ".join("".join(self._text).split())
            if tag == "caption":
                self.tables[-1].append([value])
            elif self._row is not None:
                self._row.append(value)
            self._text = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def read_tables(page: str | TestResponse) -> list[list[list[str]]]:
    """Each table on the page: [caption], then every row's cell texts, as a browser shows them
    (the shape of core.tables.Table.csv_rows)."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    reader = _Tables()
    reader.feed(html)
    reader.close()
    return reader.tables
