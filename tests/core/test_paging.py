"""Paging lists in SQL: page and cursor arguments read safely, OFFSET and keyset pages, the
count done by the database, and the links a pager draws."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import bindparam, select

from portfolio.auth.models import User
from portfolio.core import paging
from portfolio.extensions import db
from tests.factories import Factory
from tests.support.queries import statements


@pytest.mark.parametrize(
    ("raw", "number", "told"),
    [
        ("", 1, False),
        ("3", 3, False),
        ("0", 1, True),
        ("-2", 1, True),
        ("abc", 1, True),
        ("2.5", 1, True),
        ("99999999999999999999999", 1, True),
        ("١٢", 1, True),  # Arabic-Indic digits: isdigit() but not a page we print
        (str(paging.MAX_PAGE + 1), 1, True),
    ],
)
def test_page_arg(app: Flask, raw: str, number: int, told: bool) -> None:
    with app.test_request_context(f"/x?page={raw}"):
        asked = paging.page_arg()
    assert asked.number == number
    assert bool(asked.message) is told


@pytest.mark.parametrize(
    ("raw", "after", "told"),
    [
        ("", None, False),
        ("42", 42, False),
        ("0", None, True),
        ("-1", None, True),
        ("x", None, True),
        (str(2**31 - 1), 2**31 - 1, False),  # the largest id the schema holds
        (str(2**31), None, True),  # "integer out of range" on PostgreSQL
        (str(2**63), None, True),
        (str(2**64 + 5), None, True),
    ],
)
def test_cursor_arg(app: Flask, raw: str, after: int | None, told: bool) -> None:
    with app.test_request_context(f"/x?after={raw}"):
        found, message = paging.cursor_arg()
    assert found == after
    assert bool(message) is told


def test_text_arg_collapses_space_and_is_bounded(app: Flask) -> None:
    with app.test_request_context("/x?q=%20%20Siobh%C3%A1n%20%20O%27Neill%20" + "x" * 300):
        assert paging.text_arg("q", limit=20) == "Siobhán O'Neill xxxx"


def _people(make: Factory, n: int) -> None:
    for i in range(n):
        make.learner(name=f"Person {i:03d}")


def test_paginate_counts_in_sql_and_takes_two_statements(app: Flask, make: Factory) -> None:
    _people(make, 7)
    query = select(User.name).where(User.name.like("Person %")).order_by(User.name)
    with app.test_request_context("/x?page=2"), statements() as seen:
        page = paging.paginate(query, paging.page_arg(), size=3)
    assert list(page.items) == ["Person 003", "Person 004", "Person 005"]
    assert (page.total, page.number, page.pages) == (7, 2, 3)
    assert (page.first_index, page.last_index) == (4, 6)
    assert page.has_previous and page.has_next
    assert len(seen) == 2


def test_a_page_past_the_end_shows_the_first_with_a_message(app: Flask, make: Factory) -> None:
    _people(make, 4)
    query = select(User).where(User.name.like("Person %")).order_by(User.name)
    with app.test_request_context("/x?page=9"):
        page = paging.paginate(query, paging.page_arg(), size=3)
    assert page.number == 1 and page.items[0].name == "Person 000"
    assert "no page 9" in page.message


# Built once, as a module's list statement is: only the values change between requests.
_BOUND = paging.paged(
    select(User.name).where(User.name.like(bindparam("like"))).order_by(User.name)
)


@pytest.mark.parametrize(
    ("asked", "names", "number", "told"),
    [
        ("1", ["Person 000", "Person 001", "Person 002"], 1, False),
        ("3", ["Person 006"], 3, False),
        ("9", ["Person 000", "Person 001", "Person 002"], 1, True),
    ],
)
def test_a_statement_built_once_pages_as_paginate_does(
    app: Flask, make: Factory, asked: str, names: list[str], number: int, told: bool
) -> None:
    _people(make, 7)
    with app.test_request_context(f"/x?page={asked}"), statements() as seen:
        page = paging.paginate_bound(_BOUND, {"like": "Person %"}, paging.page_arg(), 7, size=3)
    assert [row.name for row in page.items] == names
    assert (page.total, page.number, page.pages) == (7, number, 3)
    assert ("no page 9" in page.message) is told
    assert len(seen) == 1  # the total was counted already


def test_keyset_pages_newest_first_until_the_end(app: Flask, make: Factory) -> None:
    _people(make, 5)
    query = select(User).where(User.name.like("Person %"))
    seen: list[str] = []
    after: int | None = None
    with app.test_request_context("/x"):
        for _ in range(5):
            page = paging.keyset(query, User.id, after, size=2)
            seen += [u.name for u in page.items]
            if not page.has_next:
                break
            after = page.next_cursor
    assert seen == [f"Person {i:03d}" for i in range(4, -1, -1)]


def test_window_shows_first_last_and_neighbours() -> None:
    page = paging.Paged(items=[1], total=500, number=5, size=50)
    assert page.window() == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert paging.Paged(items=[1], total=100, number=1, size=50).window() == [1, 2]


def test_page_url_keeps_filters_and_drops_blank_ones(app: Flask) -> None:
    app.add_url_rule("/list-for-test", "list_for_test", lambda: "")
    with app.test_request_context("/list-for-test?group=3&q=&page=2"):
        assert paging.page_url(page=3) == "/list-for-test?group=3&page=3"
        assert paging.page_url(page=None) == "/list-for-test?group=3"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "group=3&q=&page=2",
        "subject_id=old&action=a+b&after=9",
        "q=%C3%A9+%26+%2F%3F&subject_type=&x=%25",
        "_anchor=top&q=1",
    ],
)
@pytest.mark.parametrize(
    ("kind", "number"),
    [("evidence", "12"), ("", ""), ("a b&c", "é/?#%"), ("decision", None)],
)
def test_page_links_are_the_urls_page_url_builds(
    app: Flask, query: str, kind: str, number: str | None
) -> None:
    app.add_url_rule("/list-for-test", "list_for_test", lambda: "")
    with app.test_request_context(f"/list-for-test?{query}"):
        link = paging.page_links("subject_type", "subject_id", after=None)
        assert link(subject_type=kind, subject_id=number) == paging.page_url(
            subject_type=kind, subject_id=number, after=None
        )


def test_the_pager_macro_says_how_many_and_links_the_others(app: Flask) -> None:
    page = paging.Paged(items=list(range(50)), total=1234, number=2, size=50)
    app.add_url_rule("/list-for-test", "list_for_test", lambda: "")
    with app.test_request_context("/list-for-test?group=3&page=2"):
        html = app.jinja_env.from_string(
            '{% from "_macros/paging.html" import summary, nav %}'
            "{{ summary(p, 'learners') }}{{ nav(p, 'Pages of learners') }}"
        ).render(p=page)
    assert "1,234 learners: showing 51 to 100 (page 2 of 25)" in html
    assert 'href="/list-for-test?group=3&amp;page=3" rel="next"' in html
    assert 'aria-current="page"' in html and 'aria-label="Pages of learners"' in html


def test_a_keyset_pager_links_older_entries_and_the_start(app: Flask) -> None:
    page = paging.Paged(
        items=[1, 2], total=10, size=2, next_cursor=7, keyset=True, extra={"after": 9}
    )
    app.add_url_rule("/list-for-test", "list_for_test", lambda: "")
    with app.test_request_context("/list-for-test?after=9&action=x"):
        html = app.jinja_env.from_string(
            '{% from "_macros/paging.html" import summary, nav %}'
            "{{ summary(p, 'entries') }}{{ nav(p, 'Pages') }}"
        ).render(p=page)
    assert "10 entries; showing 2 older." in html
    assert 'href="/list-for-test?after=7&amp;action=x" rel="next"' in html
    assert 'href="/list-for-test?action=x"' in html


def test_count_ignores_order_by(app: Flask, make: Factory) -> None:
    _people(make, 3)
    with app.app_context():
        query = select(User).where(User.name.like("Person %")).order_by(User.name.desc())
        assert paging.count(query) == 3
        db.session.remove()


@pytest.mark.parametrize(
    ("total", "noun", "expected"),
    [
        (1, "learners", "learner"),
        (2, "learners", "learners"),
        (0, "entries", "entries"),
        (1, "entries", "entry"),
        (1, "decisions overdue", "decision overdue"),
        (1, "cleared misconceptions", "cleared misconception"),
        (1, "quizzes", "quiz"),
        (1, "decisions awaiting countersignature", "decision awaiting countersignature"),
    ],
)
def test_counted_reads_as_one_item_when_there_is_one(total: int, noun: str, expected: str) -> None:
    assert paging.counted(total, noun) == expected
