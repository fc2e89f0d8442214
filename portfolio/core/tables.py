"""Tables as data: one value that both the HTML page and its CSV download are drawn from, so
the two cannot say different things; and the CSV writer, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from portfolio.core.links import link_format

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection):
# a name like "=HYPERLINK(...)" must arrive as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV as UTF-8 only when the file starts with a byte order mark.
_BOM = "\ufeff"


@dataclass(frozen=True)
class Heading:
    """A row or column heading: a short label (bold, or the whole heading in print) and,
    optionally, the longer text after it. `sep` joins them in the text a CSV cell holds and
    a screen reader reads."""

    label: str
    detail: str = ""
    sep: str = " "
    # A link to follow from the heading on screen: an endpoint and its url_for arguments.
    endpoint: str = ""
    args: tuple[tuple[str, object], ...] = ()

    @property
    def text(self) -> str:
        return f"{self.label}{self.sep}{self.detail}" if self.detail else self.label


@dataclass(frozen=True)
class Cell:
    text: str
    # Drawn as the class cell-<state> (the colour); the text alone says the same thing.
    state: str = ""


@dataclass(frozen=True)
class Row:
    heading: Heading
    cells: tuple[Cell, ...]

    @property
    def texts(self) -> list[str]:
        return [self.heading.text, *(c.text for c in self.cells)]


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[Heading, ...]  # the first heads the row headings
    rows: tuple[Row, ...]
    foot: tuple[Row, ...] = ()

    def csv_rows(self) -> list[list[str]]:
        """The caption, the column headings, then every row (body, then foot): the screen
        table, line for line."""
        return [
            [self.caption],
            [c.text for c in self.columns],
            *(r.texts for r in (*self.rows, *self.foot)),
        ]


# -- On screen -----------------------------------------------------------------------------
# The tracking grid and the cohort matrix draw hundreds to thousands of cells a page: written
# here, in one pass of string joins, rather than by a Jinja macro a cell (several times the
# cost). Every text is escaped; the only markup is this module's own.


def _link_maker() -> Callable[[Heading], str]:
    """Heading -> its link, escaped: one url_for a table for links by one whole-number id
    (core/links.py), url_for itself for any other."""
    formats: dict[tuple[str, str], str] = {}

    def link(h: Heading) -> str:
        if len(h.args) != 1 or type(h.args[0][1]) is not int:
            return str(escape(url_for(h.endpoint, **dict[str, Any](h.args))))
        (name, value), key = h.args[0], (h.endpoint, h.args[0][0])
        if key not in formats:
            formats[key] = str(escape(link_format(h.endpoint, name)))
        return formats[key].format(value)

    return link


def _heading(h: Heading, in_row: bool, link: Callable[[Heading], str]) -> str:
    if not h.detail:
        inner = str(escape(h.label))
    elif in_row:
        inner = f"<strong>{escape(h.label)}</strong>{escape(h.sep)}{escape(h.detail)}"
    else:
        inner = (
            f'{escape(h.label)}<span class="visually-hidden">{escape(h.sep)}</span>'
            f'<span class="grid-title">{escape(h.detail)}</span>'
        )
    return f'<a href="{link(h)}">{inner}</a>' if h.endpoint else inner


def _cell(cell: Cell) -> str:
    if cell.state:
        return f'<td class="cell-{escape(cell.state)}">{escape(cell.text)}</td>'
    return f"<td>{escape(cell.text)}</td>"


def _body_row(row: Row, link: Callable[[Heading], str], cells: dict[Cell, str]) -> str:
    drawn = []
    for cell in row.cells:
        html = cells.get(cell)
        if html is None:
            html = cells[cell] = _cell(cell)  # most cells repeat: "Met", "Not started", ...
        drawn.append(html)
    return f'<tr><th scope="row">{_heading(row.heading, True, link)}</th>{"".join(drawn)}</tr>'


def table_html(table: Table, table_class: str = "") -> Markup:
    """The table as HTML: caption, column headings, body rows (a row heading, then cells
    classed cell-<state>), and the foot."""
    link = _link_maker()
    cells: dict[Cell, str] = {}
    opening = f'<table class="{escape(table_class)}">' if table_class else "<table>"
    lines = [
        opening,
        f"  <caption>{escape(table.caption)}</caption>",
        "  <thead><tr>"
        + "".join(f'<th scope="col">{_heading(h, False, link)}</th>' for h in table.columns)
        + "</tr></thead>",
        "  <tbody>",
        *(_body_row(row, link, cells) for row in table.rows),
        "  </tbody>",
    ]
    if table.foot:
        lines += ["  <tfoot>", *(_body_row(row, link, cells) for row in table.foot), "  </tfoot>"]
    lines.append("</table>")
    return Markup("\n".join(lines))  # noqa: S704 - every text above is escaped


def neutralise(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def csv_text(title: str, tables: Iterable[Table]) -> str:
    """A title line, then each table with a blank line before it; every cell neutralised, and
    a byte order mark first so Excel reads the file as UTF-8."""
    lines: list[Sequence[str]] = [[title]]
    for table in tables:
        lines += [[], *table.csv_rows()]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([neutralise(v) for v in line] for line in lines)
    return _BOM + out.getvalue()


def csv_stream(lines: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """csv_text a line at a time, for downloads too big to hold: the byte order mark, then
    each line (cells neutralised) as UTF-8 as soon as it is made. When the download ends or
    is abandoned, `lines` is closed (a generator's cursors with it) there and then."""
    try:
        yield _BOM.encode("utf-8")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for line in lines:
            writer.writerow([neutralise(v) for v in line])
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()


def safe_filename(*parts: str, extension: str) -> str:
    """ASCII letters, digits and hyphens only: nothing a Content-Disposition header or a file
    system could read as a quote, a path or another header."""
    stem = "-".join(filter(None, (re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-") for p in parts)))
    return f"{stem.lower() or 'download'}.{extension}"
