"""The turnaround clock: working days skip weekends and the bank holidays in the shipped
calendar, and an item is on time, due soon or overdue."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio.assessment.spec import load_calendar
from portfolio.assessment.turnaround import (
    ClockState,
    add_working_days,
    clock,
    is_working_day,
    working_days_between,
)
from portfolio.config import ROOT

HOLIDAYS = load_calendar(ROOT / "content").dates
D = date


@pytest.mark.parametrize(
    ("submitted", "days", "due"),
    [
        # Monday 2 March 2026: a plain fortnight, one weekend skipped.
        (D(2026, 3, 2), 7, D(2026, 3, 11)),
        (D(2026, 3, 2), 1, D(2026, 3, 3)),
        # Friday, Saturday and Sunday submissions are all due on the same day.
        (D(2026, 3, 6), 7, D(2026, 3, 17)),
        (D(2026, 3, 7), 7, D(2026, 3, 17)),
        (D(2026, 3, 8), 7, D(2026, 3, 17)),
        (D(2026, 3, 6), 1, D(2026, 3, 9)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April are skipped.
        (D(2026, 4, 2), 7, D(2026, 4, 15)),
        (D(2026, 4, 2), 1, D(2026, 4, 7)),
        # Early May (4 May) and Spring (25 May) bank holidays.
        (D(2026, 5, 1), 1, D(2026, 5, 5)),
        (D(2026, 5, 22), 1, D(2026, 5, 26)),
        # Summer bank holiday, 31 August 2026.
        (D(2026, 8, 28), 1, D(2026, 9, 1)),
        # Christmas 2026: Christmas Day (Friday), Boxing Day's substitute (Monday 28th) and New
        # Year's Day 2027 (Friday) are all skipped.
        (D(2026, 12, 23), 7, D(2027, 1, 6)),
        (D(2026, 12, 24), 1, D(2026, 12, 29)),
        (D(2026, 12, 31), 1, D(2027, 1, 4)),
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March.
        (D(2027, 3, 25), 1, D(2027, 3, 30)),
        # Christmas 2027 falls at the weekend: the substitute days, 27 and 28 December, are off.
        (D(2027, 12, 23), 3, D(2027, 12, 30)),
        (D(2027, 12, 24), 1, D(2027, 12, 29)),
    ],
)
def test_due_date_skips_weekends_and_bank_holidays(submitted: date, days: int, due: date) -> None:
    assert add_working_days(submitted, days, HOLIDAYS) == due
    assert is_working_day(due, HOLIDAYS)


def test_without_the_holidays_the_dates_would_be_earlier() -> None:
    # The calendar is what moves these: with no holidays Easter 2026 is two days shorter.
    assert add_working_days(D(2026, 4, 2), 7, frozenset()) == D(2026, 4, 13)
    assert add_working_days(D(2026, 12, 23), 7, frozenset()) == D(2027, 1, 1)


def test_a_turnaround_must_be_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="1 working day or more"):
        add_working_days(D(2026, 3, 2), 0, HOLIDAYS)


def test_working_days_between_counts_after_the_start_up_to_the_end() -> None:
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 2), HOLIDAYS) == 0
    assert working_days_between(D(2026, 3, 6), D(2026, 3, 9), HOLIDAYS) == 1  # the weekend
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 29), HOLIDAYS) == 1
    assert working_days_between(D(2026, 3, 9), D(2026, 3, 2), HOLIDAYS) == 0


# Submitted Monday 2 March 2026 with 7 working days: due Wednesday 11 March.
@pytest.mark.parametrize(
    ("today", "state", "days", "words"),
    [
        (D(2026, 3, 2), ClockState.ON_TIME, 7, "due in 7 working days"),
        (D(2026, 3, 7), ClockState.ON_TIME, 3, "due in 3 working days"),  # a Saturday
        (D(2026, 3, 9), ClockState.ON_TIME, 2, "due in 2 working days"),
        (D(2026, 3, 10), ClockState.DUE_SOON, 1, "due in 1 working day"),
        (D(2026, 3, 11), ClockState.DUE_SOON, 0, "due today"),
        (D(2026, 3, 12), ClockState.OVERDUE, 1, "overdue by 1 working day"),
        (D(2026, 3, 13), ClockState.OVERDUE, 2, "overdue by 2 working days"),
        # The weekend adds nothing; Monday does.
        (D(2026, 3, 15), ClockState.OVERDUE, 2, "overdue by 2 working days"),
        (D(2026, 3, 16), ClockState.OVERDUE, 3, "overdue by 3 working days"),
    ],
)
def test_the_clock_in_words(today: date, state: ClockState, days: int, words: str) -> None:
    found = clock(D(2026, 3, 2), today, 7, HOLIDAYS)
    assert found.due == D(2026, 3, 11)
    assert (found.state, found.days, found.words) == (state, days, words)
    assert found.stands_out is (state is not ClockState.ON_TIME)


def test_due_soon_counts_working_days_across_a_weekend_and_a_holiday() -> None:
    # Due Tuesday 7 April 2026 (after Easter): on the Thursday before, only Tuesday is left.
    found = clock(D(2026, 4, 2), D(2026, 4, 2), 1, HOLIDAYS)
    assert found.due == D(2026, 4, 7)
    assert (found.state, found.words) == (ClockState.DUE_SOON, "due in 1 working day")
    # On Easter Saturday the same item is still due soon, not overdue.
    assert clock(D(2026, 4, 2), D(2026, 4, 4), 1, HOLIDAYS).state is ClockState.DUE_SOON


def test_late_at_the_weekend_after_a_friday_due_date() -> None:
    # Submitted Thursday 5 March, 1 working day: due Friday 6 March.
    saturday = clock(D(2026, 3, 5), D(2026, 3, 7), 1, HOLIDAYS)
    assert (saturday.state, saturday.words) == (ClockState.OVERDUE, "overdue by 1 working day")
    monday = clock(D(2026, 3, 5), D(2026, 3, 9), 1, HOLIDAYS)
    assert monday.words == "overdue by 1 working day"
    # Over Christmas 2026 the bank holidays do not count as late days either.
    late = clock(D(2026, 12, 22), D(2026, 12, 29), 1, HOLIDAYS)
    assert late.due == D(2026, 12, 23)
    assert late.words == "overdue by 2 working days"  # the 24th and the 29th
