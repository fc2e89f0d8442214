"""Working-day arithmetic for the assessor's turnaround clock: when a decision is due, and how
near or late it is. Pure: dates in, dates and words out; the caller supplies today and the
holidays (from content/calendar.yaml)."""

from __future__ import annotations

import enum
import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_DAYS = 7
_ONE_DAY = timedelta(days=1)


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The working day `days` working days after `start`. `start` itself never counts, so work
    handed in at the weekend is due on the same day as work handed in the Friday before."""
    if days < 1:
        raise ValueError(f"a turnaround must be 1 working day or more, not {days}")
    day, counted = start, 0
    while counted < days:
        day += _ONE_DAY
        counted += is_working_day(day, holidays)
    return day


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days after `start` up to and including `end`; 0 when `end` is not later.
    Counted by whole weeks, not day by day: an item months late costs what a new one does."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    first = start.weekday() + 1  # the weekday of the first day counted (7 is Monday again)
    count = weeks * 5 + sum(1 for n in range(first, first + extra) if n % 7 < 5)
    unique = holidays if isinstance(holidays, set | frozenset) else set(holidays)
    return count - sum(1 for h in unique if start < h <= end and h.weekday() < 5)


class ClockState(enum.StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"  # due today or on the next working day
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


_LABELS = {"on_time": "On time", "due_soon": "Due soon", "overdue": "Overdue"}


def _days(count: int) -> str:
    return f"{count} working day{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Clock:
    """Where one item stands against its due date. `days` is working days left while it is
    not late, and working days late once it is. (Its words are worked out once: the lists
    share one Clock among the items started on the same day.)"""

    due: date
    state: ClockState
    days: int

    @functools.cached_property
    def due_text(self) -> str:
        """The due date as the lists show it: "7 December 2026"."""
        return self.due.strftime("%-d %B %Y")

    @functools.cached_property
    def capitalised_words(self) -> str:
        """The words as a table cell starts them: "Overdue by 2 working days"."""
        return self.words.capitalize()

    @functools.cached_property
    def words(self) -> str:
        if self.state is ClockState.OVERDUE:
            return f"overdue by {_days(self.days)}"
        if self.days == 0:
            return "due today"
        return f"due in {_days(self.days)}"

    @property
    def stands_out(self) -> bool:
        return self.state is not ClockState.ON_TIME


def clock(started: date, today: date, days: int, holidays: Collection[date]) -> Clock:
    """The clock of an item whose turnaround of `days` working days started on `started`."""
    due = add_working_days(started, days, holidays)
    if today <= due:
        left = working_days_between(today, due, holidays)
        return Clock(due, ClockState.DUE_SOON if left <= 1 else ClockState.ON_TIME, left)
    # Working days gone since the due date, and never fewer than one: a decision due on a Friday
    # is late on the Saturday (one working day, as it still is on the Monday).
    late = max(1, working_days_between(due, today, holidays))
    return Clock(due, ClockState.OVERDUE, late)
