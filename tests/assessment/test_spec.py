"""The calendar data file (content/calendar.yaml): the shipped bank holidays, and the errors
`portfolio check` reports, each with its file and line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from portfolio.assessment.spec import CALENDAR_FILE, load_calendar, parse_calendar
from portfolio.config import ROOT
from portfolio.core.datafile import DataError
from portfolio.data import DataSet, read_all

# gov.uk/bank-holidays, England and Wales.
ENGLAND_AND_WALES = {
    2026: [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 4),  # Early May
        date(2026, 5, 25),  # Spring
        date(2026, 8, 31),  # Summer
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 28),  # Boxing Day, substitute (26th is a Saturday)
    ],
    2027: [
        date(2027, 1, 1),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 3),
        date(2027, 5, 31),
        date(2027, 8, 30),
        date(2027, 12, 27),  # Christmas Day, substitute (25th is a Saturday)
        date(2027, 12, 28),  # Boxing Day, substitute (26th is a Sunday)
    ],
}


def test_the_shipped_calendar_has_the_england_and_wales_bank_holidays(
    shipped_data: DataSet,
) -> None:
    calendar = shipped_data.calendar
    assert calendar is not None and calendar.id == "calendar" and calendar.version >= 1
    for year, days in ENGLAND_AND_WALES.items():
        assert sorted(d for d in calendar.dates if d.year == year) == days, year
    assert all(d.weekday() < 5 for d in calendar.dates)
    names = {h.day: h.name for h in calendar.holidays}
    assert names[date(2026, 4, 3)] == "Good Friday"
    assert "substitute" in names[date(2026, 12, 28)]


GOOD = """id: calendar
version: 1
holidays:
  - date: 2026-12-25
    name: Christmas Day
  - {date: 2026-12-28, name: Boxing Day (substitute day)}
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / CALENDAR_FILE
    path.write_text(text)
    return path


def test_a_calendar_file_parses_into_holidays(tmp_path: Path) -> None:
    calendar = parse_calendar(_file(tmp_path, GOOD))
    assert [(h.day, h.name) for h in calendar.holidays] == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
    ]
    assert calendar.dates == frozenset({date(2026, 12, 25), date(2026, 12, 28)})


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("2026-12-28", "2026-12-26"), 6, "2026-12-26 is a Saturday: list the substitute weekday"),
        (("2026-12-28", "2026-12-25"), 6, "2026-12-25 is listed twice"),
        (("2026-12-28", "2026-12-24"), 6, "2026-12-24 comes before 2026-12-25"),
        (("2026-12-25", "2026-02-30"), 4, "'date': day is out of range for month"),
        (("2026-12-25", "25/12/2026"), 4, "'date' must be a date written as YYYY-MM-DD"),
        (("    name: Christmas Day\n", ""), 4, "'name' is required"),
        (("version: 1", "version: one"), 2, "'version' must be a whole number"),
        (("    name: Christmas", "    day: 25\n    name: Christmas"), 5, "unknown key 'day'"),
        (("holidays:", "closures:"), 4, "unknown key 'closures'"),  # where its list starts
    ],
    ids=["weekend", "twice", "order", "no-such-date", "format", "no-name", "version", "key", "top"],
)
def test_a_wrong_calendar_is_refused_with_its_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    path = _file(tmp_path, GOOD.replace(*change))
    with pytest.raises(DataError) as error:
        parse_calendar(path)
    assert str(error.value).startswith(f"{path}:{line}: "), str(error.value)
    assert message in str(error.value)


def test_check_reports_a_missing_or_broken_calendar(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    (content / CALENDAR_FILE).unlink()
    data = read_all(ROOT / "rubrics", content)
    assert [str(e) for e in data.errors] == [
        f"{content / CALENDAR_FILE}:0: missing: without it the turnaround clock counts bank "
        "holidays"
    ]
    # The app itself still starts without one, counting weekends only.
    assert load_calendar(content).dates == frozenset()

    _file(content, GOOD.replace("2026-12-28", "2026-12-27"))
    data = read_all(ROOT / "rubrics", content)
    assert [str(e) for e in data.errors] == [
        f"{content / CALENDAR_FILE}:6: 2026-12-27 is a Sunday: list the substitute weekday instead"
    ]
