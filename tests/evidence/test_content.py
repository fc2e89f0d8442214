"""Evidence content through its spec: shape on save, free text and its paths, how typed dates,
numbers and amounts are read, what stops a submission, and how each value is shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from portfolio.evidence.content import (
    Problem,
    clean_content,
    content_problems,
    empty_content,
    parse_date,
    parse_money,
    parse_number,
    set_text_value,
    text_values,
)
from portfolio.evidence.display import display_values
from portfolio.evidence.spec import EvidenceTypeSpec, parse_evidence_type
from tests.evidence.test_spec import EVERY_TYPE


@pytest.fixture
def spec(tmp_path: Path) -> EvidenceTypeSpec:
    path = tmp_path / "every-type.yaml"
    path.write_text(EVERY_TYPE, encoding="utf-8")
    return parse_evidence_type(path)


def _row(**cells: str) -> dict[str, str]:
    return {
        "name": "",
        "note": "",
        "price": "",
        "state": "",
        "ok": "",
        "seen_on": "",
        "qty": "",
        **cells,
    }


GOOD: dict[str, Any] = {
    "ref": "RA-XXXX-482",
    "story": "The customer rang because the kettle they bought stopped heating after a week.",
    "reason": "fault",
    "channels": ["phone", "email"],
    "when": "2026-03-03",
    "count": "3",
    "amount": "£24.99",
    "escalated": "no",
    "items": [
        _row(name="Kettle", price="24.99", state="used", ok="yes", seen_on="3/3/2026", qty="1"),
        _row(name="Mug", note="Line one\nline two", price="4", state="new", ok="no", qty="2")
        | {"seen_on": "2026-03-04"},
    ],
}


def test_empty_and_cleaned_content_keep_the_contract_shapes(spec: EvidenceTypeSpec) -> None:
    assert empty_content(spec) == {
        "ref": "",
        "story": "",
        "reason": "",
        "channels": [],
        "when": "",
        "count": "",
        "amount": "",
        "escalated": "",
        "items": [],
    }
    typed = {
        **GOOD,
        "ref": "  spaces kept  ",
        "injected": "not a section",
        "channels": ["phone", 3],
        "items": [
            _row(),
            {"name": " ", "qty": ""},
            {"name": "Kettle", "hacked": "x"},
            "not a row",
        ],
    }
    cleaned = clean_content(spec, typed)
    assert set(cleaned) == set(spec.section_ids())
    assert cleaned["ref"] == "  spaces kept  "
    assert cleaned["channels"] == ["phone"]
    assert cleaned["items"] == [_row(name="Kettle")]  # blank rows dropped, unknown cells too


def test_text_values_name_every_free_text_value_by_path(spec: EvidenceTypeSpec) -> None:
    assert text_values(spec, GOOD) == [
        ("ref", "Reference", "RA-XXXX-482"),
        ("story", "Story", GOOD["story"]),
        ("items[0].name", "Items, Item 1: Name", "Kettle"),
        ("items[0].note", "Items, Item 1: Note", ""),
        ("items[1].name", "Items, Item 2: Name", "Mug"),
        ("items[1].note", "Items, Item 2: Note", "Line one\nline two"),
    ]


def test_set_text_value_returns_a_changed_copy(spec: EvidenceTypeSpec) -> None:
    changed = set_text_value(GOOD, "items[1].note", "[name] called")
    assert changed["items"][1]["note"] == "[name] called"
    assert GOOD["items"][1]["note"] == "Line one\nline two"  # the original is untouched
    assert set_text_value(GOOD, "story", "New.")["story"] == "New."
    for path in ("nope", "items[9].name", "items[0].nope", "channels", "items"):
        with pytest.raises(KeyError):
            set_text_value(GOOD, path, "x")
    with pytest.raises(ValueError, match="not a content path"):
        set_text_value(GOOD, "items[x]", "x")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-03-14", date(2026, 3, 14)),
        ("14/3/2026", date(2026, 3, 14)),
        (" 14 / 03 / 2026 ", date(2026, 3, 14)),
        ("14-3-2026", date(2026, 3, 14)),
        ("14.3.2026", date(2026, 3, 14)),
        ("14 3 2026", date(2026, 3, 14)),
        ("14 March 2026", date(2026, 3, 14)),
        ("3 Mar 2026", date(2026, 3, 3)),
        ("31/02/2026", None),
        ("2026-02-30", None),
        ("3/14/2026", None),  # American order is not a real UK date
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates_are_read_as_a_uk_learner_types_them(typed: str, expected: date | None) -> None:
    assert parse_date(typed) == expected


def test_numbers_and_amounts_are_read_as_typed() -> None:
    assert parse_number("12") == Decimal(12)
    assert parse_number(" -3.5 ") == Decimal("-3.5")
    assert parse_number("1,200") == Decimal(1200)
    assert [parse_number(t) for t in ("about 3", "3 items", "1,20", "")] == [None] * 4
    assert parse_money("£24.99") == Decimal("24.99")
    assert parse_money("1,200.50") == Decimal("1200.50")
    assert parse_money("5") == Decimal(5)
    assert [parse_money(t) for t in ("24.999", "-5", "£", "ten pounds", "24.99p")] == [None] * 5


def test_good_content_has_no_problems(spec: EvidenceTypeSpec) -> None:
    assert content_problems(spec, GOOD) == []


def test_each_problem_names_its_path(spec: EvidenceTypeSpec) -> None:
    bad = {
        **GOOD,
        "ref": "",
        "story": "Too short.",
        "reason": "lost-it",
        "channels": ["fax"],
        "when": "31/02/2026",
        "count": "about 3",
        "amount": "£300",
        "escalated": "maybe",
        "items": [
            _row(name="Kettle", price="24.999", state="used", ok="", seen_on="soon", qty="13"),
        ],
    }
    assert content_problems(spec, bad) == [
        Problem("ref", "Reference is required."),
        Problem("story", "Story needs at least 10 words; it has 2."),
        Problem("reason", "Reason: “lost-it” is not one of the options; choose again."),
        Problem("channels", "Channels: “fax” is not one of the options; choose again."),
        Problem("when", "When must be a real date, like 14/3/2026."),
        Problem("count", "Count must be a number, like 12."),
        Problem("amount", "Amount must be at most £250.50."),
        Problem("escalated", "Escalated? must be Yes or No."),
        Problem("items", "Items needs at least 2 rows; it has 1."),
        Problem(
            "items[0].price", "Item 1: Price must be an amount in pounds and pence, like 24.99."
        ),
        Problem("items[0].ok", "Item 1: Choose an answer for Checked."),
        Problem("items[0].seen_on", "Item 1: Seen on must be a real date, like 14/3/2026."),
    ]
    assert Problem("items[0].seen_on", "").anchor == "items-0-seen_on"


def test_optional_values_may_be_blank_but_not_wrong(spec: EvidenceTypeSpec) -> None:
    content = {**GOOD, "channels": []}
    assert content_problems(spec, content) == []
    too_many = {**GOOD, "items": [GOOD["items"][0]] * 5, "count": "12.6"}
    assert content_problems(spec, too_many) == [
        Problem("count", "Count must be at most 12.5."),
        Problem("items", "Items may have at most 4 rows; it has 5."),
    ]


def test_values_are_shown_as_a_reader_expects(spec: EvidenceTypeSpec) -> None:
    shown = {s.id: s for s in display_values(spec, GOOD)}
    assert shown["ref"].kind == "text" and shown["ref"].text == "RA-XXXX-482"
    assert shown["story"].kind == "long"
    assert shown["reason"].text == "Faulty"  # the label, not the id
    assert shown["channels"].items == ("Phone", "Email")
    assert shown["when"].text == "3 March 2026"
    assert shown["amount"].text == "£24.99"
    assert shown["escalated"].text == "No"
    table = shown["items"]
    assert table.kind == "table" and table.row_label == "Item"
    assert table.headers == ("Name", "Note", "Price", "State", "Checked", "Seen on", "Qty")
    assert table.rows == (
        ("Item 1", ("Kettle", "", "£24.99", "Used", "Yes", "3 March 2026", "1")),
        ("Item 2", ("Mug", "Line one\nline two", "£4.00", "New", "No", "4 March 2026", "2")),
    )
    # What cannot be read is shown exactly as typed; blanks are blank.
    odd = {s.id: s for s in display_values(spec, {"when": "31/02/2026", "amount": "lots"})}
    assert (odd["when"].text, odd["amount"].text) == ("31/02/2026", "lots")
    assert odd["ref"].blank and odd["items"].blank and odd["channels"].blank


def test_problems_are_shown_beside_their_section(spec: EvidenceTypeSpec) -> None:
    problems = [Problem("items[0].price", "Item 1: bad price."), Problem("when", "Bad date.")]
    shown = {s.id: s for s in display_values(spec, GOOD, problems)}
    assert shown["items"].messages == ("Item 1: bad price.",)
    assert shown["when"].messages == ("Bad date.",)
    assert shown["ref"].messages == ()
