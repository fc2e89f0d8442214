"""Tables as data and their CSV: formula cells neutralised, UTF-8 with a byte order mark, file
names that cannot break a header."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from portfolio.core.tables import (
    Cell,
    Heading,
    Row,
    Table,
    csv_text,
    neutralise,
    safe_filename,
    table_html,
)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["", "Met", "— ", "2 of 5", "'quoted", " =spaced", "E1: -x"])
def test_other_cells_are_left_alone(value: str) -> None:
    assert neutralise(value) == value


def test_the_csv_is_the_tables_in_order() -> None:
    table = Table(
        caption="Element: 1 of 2 met",
        columns=(Heading("Marking point"), Heading("E1", "Refund, “kettle”", ": ")),
        rows=(
            Row(Heading("p1", "Listens"), (Cell("Met", "met"),)),
            Row(Heading("p2", "Checks"), (Cell("=cmd"),)),
        ),
        foot=(Row(Heading("Total"), (Cell("1 of 2"),)),),
    )
    body = csv_text("-Lily: tracking", [table, table])
    assert body.startswith("\ufeff")
    assert "\r\n" in body
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))
    block = [
        ["Element: 1 of 2 met"],
        ["Marking point", "E1: Refund, “kettle”"],
        ["p1 Listens", "Met"],
        ["p2 Checks", "'=cmd"],
        ["Total", "1 of 2"],
    ]
    assert rows == [["'-Lily: tracking"], [], *block, [], *block]


def test_file_names_are_plain_ascii() -> None:
    assert (
        safe_filename("tracking", 'Zoë "Z" O\'Neil', extension="csv") == "tracking-zo-z-o-neil.csv"
    )
    assert safe_filename("cohort", "../../etc/passwd\r\nX-Evil: 1", extension="csv") == (
        "cohort-etc-passwd-x-evil-1.csv"
    )
    assert safe_filename("", "€€", extension="csv") == "download.csv"


def test_the_html_escapes_every_text_and_links_each_row_to_its_own_learner(app: Flask) -> None:
    hostile = '<script>alert("x")</script> & O\'Brien'
    table = Table(
        caption=f"Caption {hostile}",
        columns=(Heading("Learner"), Heading("E1", hostile, ": "), Heading("Met")),
        rows=tuple(
            Row(
                Heading(
                    f"{hostile} {n}",
                    endpoint="assessment.learner",
                    args=(("learner_id", n),),
                ),
                (Cell("Met", "met"), Cell(hostile)),
            )
            for n in (7, 12)
        ),
        foot=(Row(Heading("Learners who have met it"), (Cell("2 of 2"), Cell(""))),),
    )
    with app.test_request_context():
        html = str(table_html(table, "grid cohort"))
    assert "<script>" not in html and hostile not in html
    assert html.startswith('<table class="grid cohort">\n  <caption>Caption &lt;script&gt;')
    assert (
        '<th scope="col">E1<span class="visually-hidden">: </span><span class="grid-title">'
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; O&#39;Brien</span></th>"
    ) in html
    # Each row's link carries its own id, as url_for writes it.
    for n in (7, 12):
        assert f'<tr><th scope="row"><a href="/assessment/learners/{n}">&lt;script&gt;' in html
    assert '<td class="cell-met">Met</td><td>&lt;script&gt;' in html
    assert '<tfoot>\n<tr><th scope="row">Learners who have met it</th><td>2 of 2</td><td></td>' in (
        html
    )
    assert html.endswith("</table>")


def test_a_table_without_a_class_or_foot(app: Flask) -> None:
    table = Table("C", (Heading("Point"),), (Row(Heading("p1", "Listens"), ()),))
    with app.test_request_context():
        html = str(table_html(table))
    assert html.startswith("<table>\n") and "<tfoot>" not in html
    assert '<th scope="row"><strong>p1</strong> Listens</th>' in html
