"""Times are stored in UTC and shown in UK time: GMT in winter, BST in summer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask

from portfolio.core.localtime import format_london, format_london_date, london_midnight


def test_winter_and_summer_times() -> None:
    assert format_london(datetime(2026, 12, 7, 14, 5, tzinfo=UTC)) == "7 December 2026, 14:05"
    assert format_london(datetime(2026, 6, 1, 13, 5, tzinfo=UTC)) == "1 June 2026, 14:05"
    assert format_london(None) == ""


def test_a_late_evening_in_utc_is_the_next_day_in_london_in_summer() -> None:
    assert format_london_date(datetime(2026, 6, 1, 23, 30, tzinfo=UTC)) == "2 June 2026"
    assert format_london_date(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == "1 December 2026"


def test_london_midnight_follows_the_clock_change() -> None:
    assert london_midnight(date(2026, 6, 2)) == datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    assert london_midnight(date(2026, 12, 2)) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_templates_have_both_filters(app: Flask) -> None:
    moment = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        html = app.jinja_env.from_string("{{ m|london }} / {{ m|london_date }}").render(m=moment)
    assert html == "2 June 2026, 00:30 / 2 June 2026"
