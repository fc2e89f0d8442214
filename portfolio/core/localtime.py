"""Times as the centre reads them: stored in UTC, shown in Europe/London (GMT or BST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# English month names whatever the process's locale (strftime's %B follows it), and without
# strftime's cost: a list page formats a date on each of its rows.
_MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def london(moment: datetime) -> datetime:
    """`moment` (aware, or naive UTC) in London time."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(LONDON)


def format_london(moment: datetime | None, seconds: bool = False) -> str:
    """ "7 December 2026, 14:05" in London time; "" for None."""
    if moment is None:
        return ""
    local = london(moment)
    clock = f"{local.hour:02}:{local.minute:02}" + (f":{local.second:02}" if seconds else "")
    return f"{local.day} {_MONTHS[local.month]} {local.year}, {clock}"


def format_london_date(moment: datetime | None) -> str:
    """ "7 December 2026": the London day of a stored UTC moment (a decision at 00:30 BST
    belongs to the day it was made in London, not the day before); "" for None."""
    if moment is None:
        return ""
    local = london(moment)
    return f"{local.day} {_MONTHS[local.month]} {local.year}"


def london_midnight(day: date) -> datetime:
    """The UTC moment a London day starts (a day is 23 or 25 hours when the clocks change)."""
    return datetime.combine(day, time(), LONDON).astimezone(UTC)
