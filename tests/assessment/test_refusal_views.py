"""Decisions refused through the marking page: outside the caseload, already decided, made at
the same moment twice (the second refused with both shown; a double click recorded once), or
from a page out of date. Each refusal is in the audit trail and changes nothing else."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import insert, update

from portfolio.assessment.models import Decision, PointDecision, PointStatus
from portfolio.auth.models import Role
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.assessment.support import decide
from tests.assessment.test_marking_views import World, make_world
from tests.assessment.test_views import ACCEPT, REFER, opened
from tests.factories import Factory
from tests.helpers import read_form, send, text


@pytest.fixture
def world(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(app, make, monkeypatch)


def test_a_decision_outside_the_caseload_is_refused_and_logged(world: World) -> None:
    before = world.state()
    other = world.client(world.make.user(Role.ASSESSOR, name="Olga Other").email)
    assert other.get(world.url).status_code == 404
    data = {"submission_id": str(world.submission.id), "version": str(before[3]), **ACCEPT}
    assert send(other, world.url, data).status_code == 404
    assert send(other, "/assessment/submissions/999999", data).status_code == 404
    assert world.state() == before
    refusals = world.audit("decision.refused")
    assert [(e.subject_id, e.after["reason"]) for e in refusals] == [  # type: ignore[index]
        (str(world.submission.id), "outside_caseload"),
        ("999999", "outside_caseload"),
    ]
    assert [e.learner_id for e in refusals] == [world.learner_id, None]


def test_a_decided_item_refuses_a_second_decision_showing_both(world: World) -> None:
    page = opened(world.assessor, world.url)
    # Someone else decided it meanwhile (say, the assessor the learner had before).
    colleague = world.make.user(Role.ASSESSOR, name="Bea Colleague")
    with world.app.app_context():
        decide(
            world.submission.id,
            {"pts-a.1": PointStatus.MET, "pts-a.4": PointStatus.MET},
            assessor=colleague,
        )
    before = world.state()
    response = send(world.assessor, world.url, {**page, **REFER})
    assert response.status_code == 409
    html = text(response)
    assert "This submission has already been decided." in html
    # The decision that stands, who made it and when...
    first = html.split('<h3 id="first-title">The decision recorded first</h3>')[1]
    assert "Recorded by Bea Colleague on" in first and "<strong>Accepted</strong>" in first
    # ...and this assessor's own marks and feedback, kept, with nothing to send again.
    form = read_form(response)
    assert form.value("feedback") == REFER["feedback"]
    assert form.value("p4_status") == "not_yet_met"
    assert form.value("p4_comment") == REFER["p4_comment"]
    assert "Record decision</button>" not in html
    assert world.state() == before
    (refusal,) = world.audit("decision.refused")
    assert refusal.after is not None and refusal.after["reason"] == "already_decided"


def test_two_people_deciding_at_once_the_second_is_refused(world: World) -> None:
    other_tab = world.client(world.assessor_user.email)
    first_page = opened(world.assessor, world.url)
    second_page = opened(other_tab, world.url)
    assert send(world.assessor, world.url, {**first_page, **ACCEPT}).status_code == 302
    response = send(other_tab, world.url, {**second_page, **REFER})
    assert response.status_code == 409
    html = text(response)
    assert "Recorded by Alan Assessor" in html
    assert read_form(response).value("feedback") == REFER["feedback"]
    assert [d[0] for d in world.decisions()] == ["accepted"]


def test_a_double_click_records_once_even_when_the_requests_race(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first click's request writes its decision after the second's checks pass: the
    database refuses the second, which then finds the same decision and reports success."""
    page = opened(world.assessor, world.url)
    original = evidence_services.mark_decided

    def first_click_lands(submission: Submission, status: EvidenceStatus) -> None:
        decision, point, item = (
            Decision.__table__,
            PointDecision.__table__,
            Evidence.__table__,
        )
        with db.engine.begin() as other:
            decision_id = other.execute(
                insert(decision).values(
                    submission_id=submission.id,
                    assessor_id=world.assessor_user.id,
                    outcome="accepted",
                    feedback="",
                    decided_at=utcnow(),
                    needs_countersignature=False,
                )
            ).inserted_primary_key[0]
            other.execute(
                insert(point),
                [
                    {
                        "decision_id": decision_id,
                        "marking_point_id": "pts-a.1",
                        "status": "met",
                        "comment": "Rights named correctly.",
                    },
                    {
                        "decision_id": decision_id,
                        "marking_point_id": "pts-a.4",
                        "status": "met",
                        "comment": "",
                    },
                ],
            )
            other.execute(
                update(item)
                .where(item.c.id == submission.evidence_id)
                .values(status="accepted", version=item.c.version + 1)
            )
        original(submission, status)

    monkeypatch.setattr(evidence_services, "mark_decided", first_click_lands)
    response = send(world.assessor, world.url, {**page, **ACCEPT})
    assert response.status_code == 302 and response.headers["Location"] == "/assessment/queue"
    assert len(world.decisions()) == 1
    assert world.audit("decision.recorded") == []  # the other request's, written by hand here
    (refusal,) = world.audit("decision.refused")
    assert refusal.after is not None and refusal.after["reason"] == "already_decided"


def test_a_page_out_of_date_is_refused_until_read_again(world: World) -> None:
    page = opened(world.assessor, world.url)
    before = world.state()
    stale = {**page, "version": str(int(page["version"]) - 1)}
    response = send(world.assessor, world.url, {**stale, **ACCEPT})
    assert response.status_code == 409
    assert "changed since you opened it" in text(response)
    assert world.state() == before
    # The page sent back carries the item's current version: sending it again records.
    form = read_form(response)
    assert form.value("version") == page["version"]
    assert send(world.assessor, world.url, {**page, **ACCEPT}).status_code == 302
