"""Marking in the browser: one decision per submission, errors by their fields, tampering
refused, and the tracking grid the learner and assessor read. (Refusals in depth, the comment
bank and the queue's clock: test_marking_views.py.)"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.assessment.models import Decision
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry
from portfolio.evidence.models import EvidenceStatus, Submission
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import ACCOUNT, Factory
from tests.helpers import read_form, send, text, version_of


@dataclass
class World:
    app: Flask
    make: Factory
    assessor: FlaskClient
    learner: FlaskClient
    learner_user: User
    submission: Submission

    @property
    def mark_url(self) -> str:
        return f"/assessment/submissions/{self.submission.id}"


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    submission = make.submission(learner)  # pts-a, claims pts-a.1 (p1) and pts-a.4 (p4)
    assessor_client, learner_client = app.test_client(), app.test_client()
    login(assessor_client, assessor.email)
    login(learner_client, learner.email)
    return World(app, make, assessor_client, learner_client, learner, submission)


@dataclass(frozen=True)
class Recorded:
    outcome: str
    feedback: str
    points: dict[str, tuple[str, str]]
    status: EvidenceStatus


def _recorded(world: World, submission_id: int | None = None) -> list[Recorded]:
    submission_id = submission_id or world.submission.id
    with world.app.app_context():
        found = db.session.get(Submission, submission_id)
        assert found is not None
        return [
            Recorded(
                d.outcome.value,
                d.feedback,
                {p.marking_point_id: (p.status.value, p.comment) for p in d.points},
                found.evidence.status,
            )
            for d in db.session.scalars(
                select(Decision).where(Decision.submission_id == submission_id)
            )
        ]


def opened(client: FlaskClient, url: str) -> dict[str, str]:
    """The hidden fields of the marking page at `url`, as a browser sends them back."""
    form = read_form(client.get(url))
    return {name: form.value(name) or "" for name in ("submission_id", "version")}


def mark(client: FlaskClient, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Open the marking page, then send it with `data`, as an assessor does."""
    return send(client, url, {**opened(client, url), **data})


def _status(world: World) -> EvidenceStatus:
    with world.app.app_context():
        found = db.session.get(Submission, world.submission.id)
        assert found is not None
        return found.evidence.status


ACCEPT = {
    "p1_status": "met",
    "p1_comment": "Rights named correctly.",
    "p4_status": "met",
    "p4_comment": "",
    "outcome": "accepted",
    "feedback": "",
}
REFER = {
    "p1_status": "met",
    "p1_comment": "Rights named correctly.",
    "p4_status": "not_yet_met",
    "p4_comment": "Show the completed RA form.",
    "outcome": "referred",
    "feedback": "Attach the RA form and say who signed it.",
}


def test_the_queue_links_each_waiting_submission(world: World) -> None:
    queue = text(world.assessor.get("/assessment/queue"))
    assert f'href="{world.mark_url}"' in queue
    assert "Kettle refund" in queue and "Lily Learner" in queue


def test_a_decision_is_recorded_and_leaves_the_queue(world: World) -> None:
    response = mark(world.assessor, world.mark_url, REFER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/assessment/queue"
    assert _recorded(world) == [
        Recorded(
            "referred",
            "Attach the RA form and say who signed it.",
            {
                "pts-a.1": ("met", "Rights named correctly."),
                "pts-a.4": ("not_yet_met", "Show the completed RA form."),
            },
            EvidenceStatus.REFERRED,
        )
    ]
    queue = world.assessor.get("/assessment/queue").get_data(as_text=True)
    assert f'href="{world.mark_url}"' not in queue
    assert "Nothing is waiting for you." in queue


def test_a_double_submitted_decision_is_recorded_once(world: World) -> None:
    page = opened(world.assessor, world.mark_url)
    first = send(world.assessor, world.mark_url, {**page, **ACCEPT})
    second = send(world.assessor, world.mark_url, {**page, **ACCEPT})
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == "/assessment/queue"
    recorded = _recorded(world)
    assert len(recorded) == 1
    assert recorded[0].outcome == "accepted"
    assert recorded[0].status is EvidenceStatus.ACCEPTED
    # Opened again, the page says it is decided and shows the record.
    again = world.assessor.get(world.mark_url)
    assert again.headers["Location"] == f"/assessment/evidence/{world.submission.evidence_id}"
    assert "already been decided" in text(world.assessor.get(again.headers["Location"]))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"p4_comment": "  "}, "p4_comment", "Say what is missing for this point."),
        ({"feedback": ""}, "feedback", "A referral must tell the learner what to do."),
        ({"p4_status": ""}, "p4_status", "The learner claimed this point: mark it."),
        ({"outcome": ""}, "outcome", "Choose accept or refer back."),
    ],
    ids=["not-yet-met-without-comment", "referral-without-feedback", "claimed-unmarked", "none"],
)
def test_marking_errors_show_by_their_fields_and_keep_the_input(
    world: World, change: dict[str, str], field: str, message: str
) -> None:
    data = {**REFER, **change}
    response = mark(world.assessor, world.mark_url, data)
    assert response.status_code == 422
    form = read_form(response)
    assert message in form.errors[field]
    for name, typed in data.items():
        if typed.strip():
            assert form.value(name) == typed, name
    assert _recorded(world) == []
    assert _status(world) is EvidenceStatus.SUBMITTED


def _refusals(world: World) -> list[dict[str, object]]:
    with world.app.app_context():
        return [
            e.after or {}
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "decision.refused")
            )
        ]


@pytest.mark.parametrize(
    "tampered",
    [
        # pts-a has five points (p1..p5); p6 exists only on a pts-b form.
        {"p6_status": "met", "p6_comment": "smuggled"},
        {"pts-b.1": "met"},
        {"assessor_id": "1"},
        {"learner_id": "1"},
        {"status": "accepted"},
        {"signer": "Someone Else"},
        {"submission_id": "999"},
        {"version": ""},
    ],
    ids=["other-point", "point-id", "assessor", "learner", "status", "signer", "id", "version"],
)
def test_a_tampered_form_is_refused_and_logged(world: World, tampered: dict[str, str]) -> None:
    response = mark(world.assessor, world.mark_url, {**ACCEPT, **tampered})
    assert response.status_code == 400
    assert "the form had been changed" in text(response)
    assert _recorded(world) == []
    assert _status(world) is EvidenceStatus.SUBMITTED
    assert [r["reason"] for r in _refusals(world)] == ["tampered_form"]


def test_a_tampered_field_alone_does_not_stand_in_for_a_claimed_point(world: World) -> None:
    tampered = {**ACCEPT, "p4_status": "", "p6_status": "met", "p6_comment": "pts-b.1"}
    response = mark(world.assessor, world.mark_url, tampered)
    assert response.status_code == 400
    assert _recorded(world) == []
    assert _status(world) is EvidenceStatus.SUBMITTED


def test_an_invalid_status_value_is_refused(world: World) -> None:
    response = mark(world.assessor, world.mark_url, {**ACCEPT, "p2_status": "exceeded"})
    assert response.status_code == 422
    assert "p2_status" in read_form(response).errors
    assert _recorded(world) == []


def _cells(html: str) -> dict[str, list[str]]:
    """The first grid table's rows: marking point id -> the text of each evidence cell."""
    table = html.split('<table class="grid">')[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        point = re.search(r"<th scope=\"row\"><strong>([^<]+)</strong>", row)
        if point:
            cells = re.findall(r"<td class=\"cell-[a-z_]+\">([^<]*)</td>", row)
            rows[point.group(1)] = cells
    return rows


def test_the_grid_shows_claims_then_the_latest_decision(world: World) -> None:
    grid_url = f"/assessment/learners/{world.learner_user.id}"
    cells = _cells(world.learner.get(grid_url).get_data(as_text=True))
    assert cells["pts-a.1"] == ["Claimed"] and cells["pts-a.4"] == ["Claimed"]
    assert cells["pts-a.2"] == ["—"]

    mark(world.assessor, world.mark_url, REFER)
    html = world.assessor.get(grid_url).get_data(as_text=True)
    cells = _cells(html)
    assert cells["pts-a.1"] == ["Met"] and cells["pts-a.4"] == ["Not yet met"]
    assert "1 of 5 marking points met" in html

    # The learner revises and resubmits; the new attempt awaits a decision.
    item_id = world.submission.evidence_id
    edit_url = f"/evidence/{item_id}/edit"
    version = version_of(world.learner.get(edit_url))
    send(
        world.learner,
        edit_url,
        {
            "title": "Kettle refund",
            "version": version,
            "next": "save",
            "claims": ["pts-a.1", "pts-a.4", "pts-a.5"],
            **ACCOUNT,
        },
    )
    send(
        world.learner,
        f"/evidence/{item_id}/submit",
        {"confirm": "y", "declared_name": "Lily Learner"},
    )
    cells = _cells(world.learner.get(grid_url).get_data(as_text=True))
    assert (cells["pts-a.1"], cells["pts-a.4"], cells["pts-a.5"]) == (
        ["Claimed"],
        ["Claimed"],
        ["Claimed"],
    )

    with world.app.app_context():
        latest = db.session.scalar(
            select(Submission.id).where(Submission.evidence_id == item_id, Submission.number == 2)
        )
    response = mark(
        world.assessor,
        f"/assessment/submissions/{latest}",
        {
            "p1_status": "met",
            "p4_status": "met",
            "p5_status": "not_yet_met",
            "p5_comment": "No follow-up call recorded.",
            "outcome": "accepted",
        },
    )
    assert response.status_code == 302
    html = world.learner.get(grid_url).get_data(as_text=True)
    cells = _cells(html)
    assert (cells["pts-a.1"], cells["pts-a.4"], cells["pts-a.5"]) == (
        ["Met"],
        ["Met"],
        ["Not yet met"],
    )
    assert "2 of 5 marking points met" in html
    # Attempt 1's decision is kept on the record.
    record = text(world.learner.get(f"/assessment/evidence/{item_id}"))
    assert "Show the completed RA form." in record and "No follow-up call recorded." in record
