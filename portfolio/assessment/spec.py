"""The centre's calendar (content/calendar.yaml): the holidays the turnaround clock skips,
parsed once into a frozen dataclass and checked by `portfolio check`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from portfolio.core.datafile import load_yaml

CALENDAR_FILE = "calendar.yaml"


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


@dataclass(frozen=True)
class CalendarSpec:
    id: str
    version: int
    holidays: tuple[Holiday, ...]
    path: str

    @property
    def dates(self) -> frozenset[date]:
        return frozenset(h.day for h in self.holidays)


def parse_calendar(path: Path) -> CalendarSpec:
    r = load_yaml(path)
    r.allow_keys("id", "version", "holidays")
    calendar_id = r.text("id")
    holidays: list[Holiday] = []
    for item in r.records("holidays"):
        item.allow_keys("date", "name")
        day = item.date("date")
        if day is None:
            raise item.error("'date' is required", "date")
        if day.weekday() >= 5:
            # Weekends are skipped anyway; a weekend date here is almost always a bank holiday
            # whose substitute weekday was forgotten.
            raise item.error(
                f"{day.isoformat()} is a {day.strftime('%A')}: list the substitute weekday instead",
                "date",
            )
        if holidays and day <= holidays[-1].day:
            earlier = holidays[-1].day.isoformat()
            what = "is listed twice" if day == holidays[-1].day else f"comes before {earlier}"
            raise item.error(f"{day.isoformat()} {what}: list each date once, in order", "date")
        holidays.append(Holiday(day, item.text("name")))
    return CalendarSpec(
        id=calendar_id, version=r.integer("version"), holidays=tuple(holidays), path=str(path)
    )


def load_calendar(content_dir: Path) -> CalendarSpec:
    """The calendar, or one with no holidays when the file is missing (weekends still count)."""
    path = content_dir / CALENDAR_FILE
    if not path.exists():
        return CalendarSpec(id="calendar", version=1, holidays=(), path=str(path))
    return parse_calendar(path)
