"""The instants the caseload's SQL compares `awaiting_since` with say exactly what the clock says
of every start day: overdue, due soon, on time, and how many working days late, across
weekends, bank holidays (Easter, Christmas) and the clock changes, for several turnarounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import current_app

from portfolio.assessment import caseload, turnaround
from portfolio.assessment.turnaround import ClockState

_LOCAL = caseload._LOCAL


def _moments(day: date) -> list[datetime]:
    """The first and last minute of a London day, and its middle, in UTC."""
    return [
        datetime.combine(day, clock, tzinfo=_LOCAL).astimezone(UTC)
        for clock in (time(0, 0), time(12, 0), time(23, 59))
    ]


def _state(moment: datetime, cut: caseload.Cutoffs) -> ClockState:
    if moment < cut.overdue:
        return ClockState.OVERDUE
    if moment < cut.due_soon:
        return ClockState.DUE_SOON
    return ClockState.ON_TIME


@pytest.mark.parametrize("days", [1, 3, 7, 10])
@pytest.mark.parametrize(
    "today",
    [
        date(2026, 3, 12),  # a Thursday
        date(2026, 3, 14),  # a Saturday
        date(2026, 3, 30),  # the Monday after the clocks go forward
        date(2026, 4, 7),  # the day after Easter Monday
        date(2026, 4, 13),
        date(2026, 12, 29),  # after Christmas and Boxing Day (substitute)
        date(2027, 1, 4),
    ],
)
def test_the_cutoffs_agree_with_the_clock(ctx: None, days: int, today: date) -> None:
    current_app.config["TURNAROUND_DAYS"] = days
    holidays = caseload.calendar().dates
    cut = caseload.cutoffs(today)
    for back in range(0, 60):
        started = today - timedelta(days=back)
        clock = turnaround.clock(started, today, days, holidays)
        for moment in _moments(started):
            assert _state(moment, cut) is clock.state, (started, moment, clock)
            if clock.state is ClockState.OVERDUE:
                for late in (2, 5, 10, 20):
                    assert (moment < cut.late_by(late)) is (clock.days >= late), (
                        started,
                        late,
                        clock,
                    )
            else:
                assert not moment < cut.late_by(2)
