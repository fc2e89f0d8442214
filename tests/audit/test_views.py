"""The audit view: admins and IQAs read and filter the trail a page at a time, find people by
name, and see honestly how much of the chain has been checked and when."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from portfolio.audit import services
from portfolio.auth.models import Role, User
from portfolio.core import audit
from portfolio.core.audit import AuditEntry, verify_and_record
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.support.queries import count_request


def _seed(app: Flask, make: Factory) -> tuple[int, int]:
    learner = make.learner(name="Lily Learner")
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    with app.app_context():
        audit.record(
            "submission.created", "submission", 1, actor_id=learner.id, learner_id=learner.id
        )
        audit.record(
            "decision.recorded",
            "decision",
            2,
            actor_id=assessor.id,
            learner_id=learner.id,
            after={"outcome": "referred"},
        )
        db.session.commit()
    return learner.id, assessor.id


def _add(app: Flask, n: int, actor: User | None = None, learner: User | None = None) -> None:
    with app.app_context():
        for i in range(n):
            audit.record(
                "decision.recorded" if i % 2 else "submission.created",
                "submission",
                i,
                actor_id=actor.id if actor else None,
                learner_id=learner.id if learner else None,
                after={"n": i},
            )
        db.session.commit()


def _body(html: str) -> str:
    return html.split("<tbody>")[1].split("</tbody>")[0]


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_iqa_filters_the_trail(app: Flask, client: FlaskClient, make: Factory) -> None:
    _seed(app, make)
    login(client, make.user(Role.IQA).email)
    page = client.get("/audit/").get_data(as_text=True)
    assert "Chain intact:" in page and "all 2 entries" in page
    assert "submission.created" in page and "decision.recorded" in page
    only = client.get("/audit/?actor=alan").get_data(as_text=True)
    assert "decision.recorded" in _body(only) and "submission.created" not in _body(only)
    assert "Done by: <strong>Alan Assessor</strong>" in only
    by_action = client.get("/audit/?action=submission.created").get_data(as_text=True)
    assert "1 entry" in by_action
    about = client.get("/audit/?learner=lily").get_data(as_text=True)
    assert "2 entries" in about and "About learner: <strong>Lily Learner</strong>" in about
    # Only learners are found by the learner search.
    assert "Nobody matches" in client.get("/audit/?learner=alan").get_data(as_text=True)
    subject = client.get("/audit/?subject_type=decision&subject_id=2").get_data(as_text=True)
    assert "1 entry" in subject and "decision.recorded" in _body(subject)


def test_times_are_london_time_and_dates_are_london_days(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    with app.app_context():
        # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
        entry = audit.record("sample.taken", "sample", 1, actor_id=None)
        db.session.commit()
        db.session.execute(
            text("UPDATE audit_entry SET at = :at WHERE id = :id"),
            {"at": datetime(2026, 6, 30, 23, 30), "id": entry.id},
        )
        db.session.commit()
    login(client, make.user(Role.ADMIN).email)
    page = client.get("/audit/").get_data(as_text=True)
    assert "When (London time)" in page and "1 July 2026, 00:30:00" in page
    assert "1 entry" in client.get("/audit/?since=2026-07-01&until=2026-07-01").get_data(
        as_text=True
    )
    assert "No entries match" in client.get("/audit/?until=2026-06-30").get_data(as_text=True)


def test_bad_filters_are_shown_next_to_the_field(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    _seed(app, make)
    login(client, make.user(Role.ADMIN).email)
    response = client.get("/audit/?since=2026-12-01&until=2026-11-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)
    response = client.get("/audit/?action=no.such.action")
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    response = client.get("/audit/?since=31/12/2026")
    assert response.status_code == 422
    response = client.get("/audit/?actor=" + "x" * 101)
    assert response.status_code == 422
    nobody = client.get("/audit/?actor=Nobody+Here")
    assert nobody.status_code == 200
    assert "Nobody matches “Nobody Here”" in nobody.get_data(as_text=True)
    assert "No entries match" in nobody.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "Siobhán O'Neill",
        "siobhan oneill",
        "SIOBH\u00c1N O\u2019NEILL",
        "O'Neill",
        "  Siobhan   O'Neill ",
        "siobhan.oneill@",
    ],
)
def test_a_name_search_ignores_accents_case_and_apostrophes(
    app: Flask, client: FlaskClient, make: Factory, query: str
) -> None:
    siobhan = make.learner(name="Siobhán O'Neill", email="siobhan.oneill@example.org")
    _add(app, 3, actor=siobhan, learner=siobhan)
    login(client, make.user(Role.IQA).email)
    page = client.get("/audit/", query_string={"learner": query}).get_data(as_text=True)
    assert "About learner: <strong>Siobhán O&#39;Neill</strong>" in page
    assert "3 entries" in page


def test_several_matches_are_listed_to_pick_from(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    siobhan = make.learner(name="Siobhán O'Neill")
    sean = make.learner(name="Se\u00e1n O\u2019Neill")
    other = make.learner(name="Priya Shah")
    _add(app, 2, actor=siobhan, learner=siobhan)
    _add(app, 3, actor=sean, learner=sean)
    _add(app, 4, actor=other, learner=other)
    login(client, make.user(Role.ADMIN).email)
    page = client.get("/audit/?learner=o'neill").get_data(as_text=True)
    # Both match: entries for either are shown, and each can be picked.
    assert "2 people match" in page and "5 entries" in page
    listed = page.split('<ul class="matches">')[1].split("</ul>")[0]
    picks = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', listed)
    assert [unescape(name).split(" (")[0] for _, name in picks] == [
        "Se\u00e1n O\u2019Neill",
        "Siobhán O'Neill",
    ]
    picked = client.get(unescape(picks[1][0])).get_data(as_text=True)
    assert "About learner: <strong>Siobhán O&#39;Neill</strong>" in picked
    assert "2 entries" in picked
    # The pick is kept (hidden id) when another filter is added by the form.
    assert f'name="learner_id" type="hidden" value="{siobhan.id}"' in picked
    narrowed = client.get(
        "/audit/",
        query_string={
            "learner": "Siobhán O'Neill",
            "learner_id": siobhan.id,
            "action": "decision.recorded",
        },
    ).get_data(as_text=True)
    assert "1 entry" in narrowed
    # A picked id that is not a learner is not honoured: the text is searched instead.
    staff = make.user(Role.ASSESSOR, name="Sam O'Neill")
    crafted = client.get(f"/audit/?learner=&learner_id={staff.id}").get_data(as_text=True)
    assert "Sam O" not in crafted and "9 entries" in crafted


def test_too_many_matches_ask_for_more(app: Flask, client: FlaskClient, make: Factory) -> None:
    for n in range(services.MAX_MATCHES + 1):
        make.learner(name=f"Jones {n:02d}")
    login(client, make.user(Role.ADMIN).email)
    page = client.get("/audit/?learner=jones").get_data(as_text=True)
    assert f"More than {services.MAX_MATCHES} people match" in page
    assert "No entries match" in page


def test_the_trail_pages_newest_first_by_cursor(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    _add(app, 120)
    login(client, make.user(Role.ADMIN).email)
    first = client.get("/audit/").get_data(as_text=True)
    assert "120 entries; showing 50." in _text(first)
    ids = [int(i) for i in re.findall(r'<th scope="row">(\d+)</th>', first)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 50
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and f"after={ids[-1]}" in older.group(1)
    second = client.get(unescape(older.group(1))).get_data(as_text=True)
    ids2 = [int(i) for i in re.findall(r'<th scope="row">(\d+)</th>', second)]
    assert ids2[0] == ids[-1] - 1 and len(ids2) == 50
    third = client.get(f"/audit/?after={ids2[-1]}").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row">', third)) == 20 and 'rel="next"' not in third


def test_a_date_range_pages_newest_first_by_time(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """Read through the (at, id) index; entries at the same moment are told apart by id."""
    _add(app, 130)
    with app.app_context():
        # Three moments in the range, about 43 entries each; ids and times disagree. (The
        # chain no longer verifies after this; only the order is under test.)
        db.session.execute(
            text(
                "UPDATE audit_entry SET at = CASE WHEN id % 3 = 0 THEN :a WHEN id % 3 = 1"
                " THEN :b ELSE :c END"
            ),
            {
                "a": datetime(2026, 3, 2, 9),
                "b": datetime(2026, 3, 5, 9),
                "c": datetime(2026, 3, 3, 9),
            },
        )
        db.session.commit()
        expected = [
            row[0]
            for row in db.session.execute(
                text("SELECT id FROM audit_entry ORDER BY at DESC, id DESC")
            )
        ]
    login(client, make.user(Role.ADMIN).email)
    seen: list[int] = []
    url = "/audit/?since=2026-03-01&until=2026-03-31"
    while url:
        page = client.get(url).get_data(as_text=True)
        assert "130 entries" in page
        seen += [int(i) for i in re.findall(r'<th scope="row">(\d+)</th>', page)]
        older = re.search(r'href="([^"]+)" rel="next"', page)
        url = unescape(older.group(1)) if older else ""
    assert seen == expected


@pytest.mark.parametrize("after", ["-1", "abc", "0", str(2**64), "1.5", "١٢", "9" * 40])
def test_bad_cursors_give_the_first_page_with_a_message(
    app: Flask, client: FlaskClient, make: Factory, after: str
) -> None:
    _add(app, 3)
    login(client, make.user(Role.ADMIN).email)
    response = client.get("/audit/", query_string={"after": after})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "not valid: showing the first page" in page
    assert len(re.findall(r'<th scope="row">', page)) == 3


def test_a_cursor_past_the_end_shows_the_newest(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    _add(app, 3)
    login(client, make.user(Role.ADMIN).email)
    page = client.get("/audit/?after=1").get_data(as_text=True)
    assert "There are no entries before that one: showing the newest." in page
    assert len(re.findall(r'<th scope="row">', page)) == 3


def test_a_break_in_new_entries_is_found_by_the_page(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    _seed(app, make)
    with app.app_context():
        db.session.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = 1"))
        db.session.commit()
    login(client, make.user(Role.ADMIN).email)
    page = client.get("/audit/").get_data(as_text=True)
    assert "The chain is broken at entry 1" in page
    assert "Found by the audit page" in page
    # It stays shown (and nothing more is checked) until a full check passes.
    _add(app, 2)
    again = client.get("/audit/").get_data(as_text=True)
    assert "The chain is broken at entry 1" in again


def test_a_change_to_a_checked_entry_shows_after_the_full_check(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """The page is honest that it does not recheck old entries: the command does."""
    _seed(app, make)
    login(client, make.user(Role.IQA).email)
    assert "Chain intact:" in client.get("/audit/").get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = 1"))
        db.session.commit()
    unchanged = client.get("/audit/").get_data(as_text=True)
    assert "Chain intact:" in unchanged
    assert "The whole chain has never been verified in full." in unchanged
    assert "shows only at the next full check" in unchanged
    with app.app_context():
        assert not verify_and_record("portfolio audit verify").intact
    found = client.get("/audit/").get_data(as_text=True)
    assert "The chain is broken at entry 1" in found
    assert "Found by portfolio audit verify" in found
    with app.app_context():
        db.session.execute(
            text("UPDATE audit_entry SET action = 'submission.created' WHERE id = 1")
        )
        db.session.commit()
        assert verify_and_record("portfolio audit verify").intact
    mended = _text(client.get("/audit/").get_data(as_text=True))
    assert "Chain intact: all 2 entries" in mended
    assert re.search(
        r"last verified in full on \d+ \w+ \d{4}, \d\d:\d\d \(London time\) by "
        r"portfolio audit verify : 2 entries",
        mended,
    )


def test_a_view_checks_a_bounded_number_of_new_entries(
    app: Flask, client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "CHECK_PER_VIEW", 10)
    _add(app, 25)
    login(client, make.user(Role.ADMIN).email)
    first = _text(client.get("/audit/").get_data(as_text=True))
    assert "Chain intact up to entry 10: 10 entries checked (this view checked 10 of them)" in (
        first
    )
    assert "15 newer entries not yet checked; a page view checks at most 10" in first
    assert "run portfolio audit verify" in first
    second = _text(client.get("/audit/").get_data(as_text=True))
    assert "5 newer entries not yet checked" in second
    third = _text(client.get("/audit/").get_data(as_text=True))
    assert "Chain intact: all 25 entries" in third and "(this view checked the 5 newest)" in third


def _grow(app: Flask, make: Factory, learners: int, each: int) -> list[User]:
    assessor = make.user(Role.ASSESSOR)
    made = [make.learner(assessor=assessor) for _ in range(learners)]
    for learner in made:
        _add(app, each, actor=assessor, learner=learner)
    return made


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?learner={name}",
        "?actor=assessor",
        "?action=decision.recorded",
        "?since=2020-01-01&until=2099-12-31",
        "?subject_type=submission&subject_id=1",
        "?after={after}",
    ],
)
def test_statements_do_not_grow_with_the_trail(
    app: Flask, client: FlaskClient, make: Factory, query: str
) -> None:
    login(client, make.user(Role.IQA).email)
    counts = []
    for learners, each in ((3, 4), (12, 40)):
        made = _grow(app, make, learners, each)
        url = "/audit/" + query.format(name=made[0].name, after=10**6)
        client.get(url)  # checks the new entries, moving the checkpoint on
        steady = len(count_request(app, lambda: client.get(url)))  # noqa: B023
        _add(app, learners)  # unchecked entries: a view checks them in one read
        fresh = len(count_request(app, lambda: client.get(url)))  # noqa: B023
        counts.append((steady, fresh))
    assert counts[0] == counts[1], counts


def test_the_page_stays_small(app: Flask, client: FlaskClient, make: Factory) -> None:
    _grow(app, make, 30, 10)
    login(client, make.user(Role.ADMIN).email)
    response = client.get("/audit/")
    page = response.get_data(as_text=True)
    # No list of every person: only the action and subject choices are drop-downs.
    assert page.count("<option") < 20
    assert len(response.data) < 200_000


@pytest.mark.parametrize(
    "filters",
    [
        services.AuditFilter(),
        services.AuditFilter(learner_ids=(1,)),
        services.AuditFilter(learner_ids=(1, 2, 3)),
        services.AuditFilter(actor_ids=(1,)),
        services.AuditFilter(action="decision.recorded"),
        services.AuditFilter(subject_type="decision", subject_id="7"),
        services.AuditFilter(since=datetime(2026, 1, 1, tzinfo=UTC).date()),
        services.AuditFilter(until=datetime(2026, 1, 1, tzinfo=UTC).date()),
        services.AuditFilter(action="a", learner_ids=(1,), since=datetime(2026, 1, 1).date()),
    ],
)
def test_the_page_query_reads_through_an_index(ctx: None, filters: services.AuditFilter) -> None:
    from tests.support.queries import full_scans

    query = services.entries_query(filters)
    if filters != services.AuditFilter():
        # Unfiltered, the first page is the last 51 rows by primary key: SQLite calls that
        # a SCAN though it stops after 51 rows; every later page searches by key.
        assert full_scans(query, ("audit_entry",)) == []
    assert full_scans(services.entries_query(filters, 500), ("audit_entry",)) == []


def test_distinct_choices_read_through_the_index(ctx: None) -> None:
    from sqlalchemy import select

    from tests.support.queries import plan

    _ = select  # the recursive query is built by the service
    for column in (AuditEntry.action, AuditEntry.subject_type):
        assert services._distinct(column) == []
    audit.record("b.thing", "beta", 1, actor_id=None)
    audit.record("a.thing", "alpha", 2, actor_id=None)
    audit.record("b.thing", "alpha", 3, actor_id=None)
    db.session.commit()
    assert services.actions() == ["a.thing", "b.thing"]
    assert services.subject_types() == ["alpha", "beta"]
    assert plan("SELECT 1") is not None


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.TUTOR])
def test_learners_assessors_and_tutors_may_not_read_it(
    client: FlaskClient, make: Factory, role: Role
) -> None:
    login(client, make.user(role).email)
    assert client.get("/audit/").status_code == 403
    # No filter opens it either.
    assert client.get("/audit/?learner=x&actor_id=1&after=5").status_code == 403
