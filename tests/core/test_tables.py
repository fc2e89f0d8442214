"""Tables as data and their CSV: formula cells neutralised, UTF-8 with a byte order mark, file
names that cannot break a header."""

from __future__ import annotations

import csv
import io

import pytest

from portfolio.core.tables import Cell, Heading, Row, Table, csv_text, neutralise, safe_filename


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
