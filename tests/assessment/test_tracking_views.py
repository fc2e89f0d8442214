"""The tracking pages in the browser: each CSV download is the screen's tables cell for cell,
safe to open in a spreadsheet; sign-off from the learner page; who may see what."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from portfolio.assessment.models import ElementSignOff
from portfolio.auth.models import Role, User
from portfolio.extensions import db
from tests.assessment.support import MET, NA, NOT_YET, decide
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_tables, send, text

POINTS = [f"pts-a.{n}" for n in range(1, 6)]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _h1(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match
    return unescape(match.group(1)).strip()


def csv_rows(response: TestResponse) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "no byte order mark: Excel would misread UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _spreadsheet_safe(value: str) -> str:
    return f"'{value}" if value.startswith(DANGEROUS) else value


def assert_csv_is_the_screen(page: TestResponse, download: TestResponse) -> None:
    """The CSV holds the page's title, then each table on the page (a blank line before it):
    the same caption, headings, rows and cell labels, a cell a formula could start neutralised."""
    assert page.status_code == 200 and download.status_code == 200
    html = page.get_data(as_text=True)
    tables = read_tables(html)
    assert tables, "no table on the page"
    expected = [[_h1(html)]]
    for table in tables:
        expected += [[], *table]
    assert csv_rows(download) == [[_spreadsheet_safe(v) for v in row] for row in expected]


@dataclass
class World:
    app: Flask
    make: Factory
    assessor: User
    learner: User
    other: User  # another assessor's learner

    def client(self, user: User) -> FlaskClient:
        client = self.app.test_client()
        login(client, user.email)
        return client

    def decide(self, submission_id: int, marks: dict, **kwargs: object) -> int:  # type: ignore[type-arg]
        with self.app.app_context():
            assessor = db.session.get(User, self.assessor.id)
            assert assessor is not None
            return decide(submission_id, marks, assessor=assessor, **kwargs)  # type: ignore[arg-type]

    def complete(self, learner: User | None = None) -> None:
        submission = self.make.submission(learner or self.learner, claims=tuple(POINTS))
        self.decide(submission.id, dict.fromkeys(POINTS, MET))

    def sign_offs(self) -> int:
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(ElementSignOff)) or 0


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    other = make.learner(assessor=make.user(Role.ASSESSOR), name="Olly Other")
    return World(app, make, assessor, learner, other)


def _page(world: World) -> str:
    return f"/assessment/learners/{world.learner.id}"


def test_the_learner_csv_is_the_learner_page(world: World) -> None:
    one = world.make.submission(world.learner, title="Kettle refund", claims=("pts-a.1",))
    world.decide(one.id, {"pts-a.1": MET, "pts-a.2": NOT_YET, "pts-a.3": NA})
    world.make.submission(world.learner, title="Sofa complaint, “urgent”", claims=("pts-a.4",))
    world.make.submission(
        world.learner, element_id="pts-b", title="Returns log", claims=("pts-b.1",)
    )
    trainee = world.make.submission(world.learner, element_id="pts-b", claims=("pts-b.1",))
    world.decide(trainee.id, {"pts-b.1": MET}, needs_countersignature=True)

    for viewer in (world.learner, world.assessor, world.make.user(Role.IQA)):
        client = world.client(viewer)
        page = client.get(_page(world))
        assert_csv_is_the_screen(page, client.get(f"{_page(world)}/tracking.csv"))

    tables = read_tables(page.get_data(as_text=True))
    assert tables[0][1] == [
        "Marking point",
        "E1: Kettle refund",
        "E2: Sofa complaint, “urgent”",
        "Met",
    ]
    assert [row[1:] for row in tables[0][2:]] == [
        ["Met", "—", "Yes"],
        ["Not yet met", "—", "No"],
        ["Not applicable", "—", "No"],
        ["—", "Claimed", "No"],
        ["—", "—", "No"],
    ]
    assert tables[1][1][1:3] == ["E3: Returns log", "E4: Kettle refund"]
    assert tables[1][2][1:] == ["Claimed", "Met, awaiting countersignature", "No"]
    assert tables[1][0][0].endswith("0 of 6 marking points met, 0 not yet met, 6 outstanding")


def test_the_download_is_an_attachment_with_a_safe_name(world: World) -> None:
    person = world.make.learner(assessor=world.assessor, name='Zoë "Z" O\'Neil/../x')
    response = world.client(world.assessor).get(f"/assessment/learners/{person.id}/tracking.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="tracking-zo-z-o-neil-x.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert csv_rows(response)[0] == ['Zoë "Z" O\'Neil/../x: tracking']

    cohort = world.client(world.assessor).get("/assessment/cohort.csv")
    assert cohort.headers["Content-Disposition"] == (
        'attachment; filename="cohort-tracking-mine-every-group.csv"'
    )


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+SUM(A1)", "-2+3", "@cmd"])
def test_a_cell_a_spreadsheet_would_run_arrives_as_text(world: World, name: str) -> None:
    person = world.make.learner(assessor=world.assessor, name=name)
    world.make.submission(person, title=name, claims=("pts-a.1",))
    client = world.client(world.assessor)
    rows = csv_rows(client.get("/assessment/cohort.csv"))
    assert [f"'{name}", "In progress"] == next(r[:2] for r in rows if r and r[0] == f"'{name}")
    assert not any(v.startswith(DANGEROUS) for row in rows for v in row)
    learner_csv = csv_rows(client.get(f"/assessment/learners/{person.id}/tracking.csv"))
    assert learner_csv[0] == [f"'{name}: tracking"]
    # The screen shows the name as it is.
    assert f">{name}</a></th>" in text(client.get("/assessment/cohort"))


def test_the_cohort_csv_is_the_cohort_page(world: World) -> None:
    bea = world.make.learner(assessor=world.assessor, name="Bea Learner")
    world.make.cohort("Evening", bea, world.other)
    world.complete(bea)
    part = world.make.submission(world.learner, claims=("pts-a.1", "pts-a.2"))
    world.decide(part.id, {"pts-a.1": MET, "pts-a.2": NOT_YET})
    client = world.client(world.assessor)
    send(client, f"/assessment/learners/{bea.id}/elements/pts-a/sign-off", {})

    page = client.get("/assessment/cohort")
    assert_csv_is_the_screen(page, client.get("/assessment/cohort.csv"))
    html = page.get_data(as_text=True)
    assert _h1(html) == "Cohort tracking: my learners, every group"
    pts_a = read_tables(html)[0]
    assert pts_a[0][0].endswith(": 1 of 2 learners have met every marking point, 1 signed off")
    assert pts_a[1] == ["Learner", *POINTS, "Points met", "Sign-off"]
    bea_row, lily_row, foot = pts_a[2], pts_a[3], pts_a[4]
    assert bea_row[0] == "Bea Learner" and bea_row[1:6] == ["Met"] * 5
    assert bea_row[6] == "5 of 5" and bea_row[7].startswith("Signed off by Alan Assessor on ")
    not_started = ["Not started"] * 3
    assert lily_row == [
        "Lily Learner",
        "Met",
        "In progress",
        *not_started,
        "1 of 5",
        "Not yet complete",
    ]
    assert foot == [
        "Learners who have met it",
        "2 of 2",
        "1 of 2",
        "1 of 2",
        "1 of 2",
        "1 of 2",
        "1 of 2 complete",
        "1 signed off",
    ]
    assert "Olly Other" not in html  # another assessor's learner

    iqa = world.client(world.make.user(Role.IQA))
    for query in ("", "?group=none", f"?group={_group_id(world, 'Evening')}"):
        page = iqa.get(f"/assessment/cohort{query}")
        assert_csv_is_the_screen(page, iqa.get(f"/assessment/cohort.csv{query}"))
    evening = iqa.get(f"/assessment/cohort?group={_group_id(world, 'Evening')}")
    rows = [r[0] for r in read_tables(evening.get_data(as_text=True))[0][2:-1]]
    assert rows == ["Bea Learner", "Olly Other"]
    assert _h1(evening.get_data(as_text=True)) == "Cohort tracking: all learners, group Evening"


def _group_id(world: World, name: str) -> int:
    from portfolio.auth import services as accounts

    with world.app.app_context():
        group = accounts.find_cohort(name)
        assert group is not None
        return group.id


def test_the_cohort_chooser(world: World) -> None:
    assessor = world.client(world.assessor)
    html = text(assessor.get("/assessment/cohort"))
    assert '<select id="learners"' not in html  # an assessor sees only their own
    assert '<select id="group" name="group">' in html
    assert assessor.get("/assessment/cohort?learners=all").status_code == 400
    assert assessor.get("/assessment/cohort?learners=everyone").status_code == 400
    assert assessor.get("/assessment/cohort?group=999999").status_code == 404
    for group in ("evening", "99999999999999999999", "²", "-1"):
        assert assessor.get(f"/assessment/cohort?group={group}").status_code == 404
    assert assessor.get("/assessment/cohort.csv?group=999999").status_code == 404

    both = world.client(world.make.user(Role.ASSESSOR, Role.IQA))
    html = text(both.get("/assessment/cohort"))
    assert '<option value="mine" selected>My learners</option>' in html
    assert "No learners match" in html and "<table" not in html
    html = text(both.get("/assessment/cohort?learners=all"))
    assert "Lily Learner" in html and "Olly Other" in html
    assert 'href="/assessment/cohort.csv?learners=all"' in html

    nav = text(world.client(world.make.user(Role.ADMIN)).get("/"))
    assert 'href="/assessment/cohort">Cohort tracking</a>' in nav
    assert "Cohort tracking" not in text(world.client(world.learner).get("/"))


def test_the_assessor_signs_off_a_complete_element(world: World) -> None:
    assessor = world.client(world.assessor)
    html = text(assessor.get(_page(world)))
    assert "Sign off this element" not in html
    world.complete()
    html = text(assessor.get(_page(world)))
    assert html.count("Sign off this element") == 1
    action = f"/assessment/learners/{world.learner.id}/elements/pts-a/sign-off"
    assert f'<form method="post" action="{action}">' in html
    # Only the learner's assessor is offered it.
    for viewer in (world.learner, world.make.user(Role.IQA)):
        assert "Sign off this element" not in text(world.client(viewer).get(_page(world)))

    response = send(assessor, action, {})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{_page(world)}#element-pts-a"
    with world.app.app_context():
        stored = db.session.scalars(select(ElementSignOff)).one()
        day = f"{stored.signed_at.day} {stored.signed_at:%B %Y}"
    signed = f"Signed off by Alan Assessor on {day}"
    html = text(assessor.get(_page(world)))
    assert "Signed off: " in html  # the flash
    assert f"<strong>{signed}.</strong>" in html
    assert "Sign off this element" not in html
    assert f"{signed.lower()}</caption>" in html
    learner_home = text(world.client(world.learner).get("/"))
    assert f"<td>{signed}</td>" in learner_home
    assert f"<strong>{signed}.</strong>" in text(world.client(world.learner).get(_page(world)))

    # A second press (another tab) is refused, and says why.
    again = send(assessor, action, {})
    assert again.status_code == 302
    assert "already signed off" in text(assessor.get(_page(world)))
    assert world.sign_offs() == 1


def test_an_incomplete_element_is_not_signed_off(world: World) -> None:
    submission = world.make.submission(world.learner, claims=tuple(POINTS))
    world.decide(submission.id, dict.fromkeys(POINTS, MET) | {"pts-a.5": NOT_YET})
    assessor = world.client(world.assessor)
    send(assessor, f"/assessment/learners/{world.learner.id}/elements/pts-a/sign-off", {})
    assert "Not every marking point of this element is met yet." in text(assessor.get(_page(world)))
    assert world.sign_offs() == 0


def test_sign_off_is_hidden_from_everyone_else(world: World) -> None:
    world.complete()
    url = f"/assessment/learners/{world.learner.id}/elements/pts-a/sign-off"
    other_assessor = world.client(world.make.user(Role.ASSESSOR))
    assert send(other_assessor, url, {}).status_code == 404
    # An IQA who also assesses may see the learner, but not sign for another's caseload.
    assert send(world.client(world.make.user(Role.ASSESSOR, Role.IQA)), url, {}).status_code == 404
    assessor = world.client(world.assessor)
    missing = f"/assessment/learners/{world.learner.id}/elements/no-such-element/sign-off"
    assert send(assessor, missing, {}).status_code == 404
    assert (
        send(
            assessor, f"/assessment/learners/{world.other.id}/elements/pts-a/sign-off", {}
        ).status_code
        == 404
    )
    assert assessor.post(url).status_code == 400  # no CSRF token
    assert world.sign_offs() == 0
