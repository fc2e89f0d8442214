"""The queue with its turnaround clock, the marking page (every point, not applicable, the
comment bank, generic praise) and a reopened item back in the queue. (Decisions refused:
test_refusal_views.py.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.assessment import caseload
from portfolio.assessment import services as assessment
from portfolio.assessment.models import (
    CommentBankEntry,
    Decision,
    Outcome,
    PointDecision,
)
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.assessment.support import backdate
from tests.assessment.test_views import ACCEPT, REFER, mark
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text

TODAY = date(2026, 3, 12)  # a Thursday


@dataclass
class World:
    app: Flask
    make: Factory
    assessor_user: User
    assessor: FlaskClient
    learner: FlaskClient
    submission: Submission
    learner_id: int

    @property
    def url(self) -> str:
        return f"/assessment/submissions/{self.submission.id}"

    def client(self, email: str) -> FlaskClient:
        client = self.app.test_client()
        login(client, email)
        return client

    def submitted_on(self, submission: Submission, day: date) -> None:
        with self.app.app_context():
            backdate(submission.id, datetime(day.year, day.month, day.day, 10, tzinfo=UTC))

    def decisions(self) -> list[tuple[str, str, dict[str, str]]]:
        """(outcome, feedback, point statuses) of every decision on the submission."""
        with self.app.app_context():
            return [
                (
                    d.outcome.value,
                    d.feedback,
                    {p.marking_point_id: p.status.value for p in d.points},
                )
                for d in db.session.scalars(
                    select(Decision).where(Decision.submission_id == self.submission.id)
                )
            ]

    def state(self) -> tuple[int, int, EvidenceStatus, int]:
        with self.app.app_context():
            evidence = db.session.get(Evidence, self.submission.evidence_id)
            assert evidence is not None
            return (
                db.session.scalar(select(func.count()).select_from(Decision)) or 0,
                db.session.scalar(select(func.count()).select_from(PointDecision)) or 0,
                evidence.status,
                evidence.version,
            )

    def audit(self, action: str) -> list[AuditEntry]:
        with self.app.app_context():
            entries = list(
                db.session.scalars(
                    select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
                )
            )
            db.session.expunge_all()
            return entries


def make_world(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> World:
    """An assessor, their learner, and the learner's item submitted on Monday 9 March 2026
    (due Wednesday 18 March), with today Thursday 12 March."""
    monkeypatch.setattr(caseload, "today", lambda: TODAY)
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    submission = make.submission(learner)  # pts-a, claims pts-a.1 (p1) and pts-a.4 (p4)
    world = World(app, make, assessor, app.test_client(), app.test_client(), submission, learner.id)
    login(world.assessor, assessor.email)
    login(world.learner, learner.email)
    world.submitted_on(submission, date(2026, 3, 9))  # due Wednesday 18 March
    return world


@pytest.fixture
def world(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(app, make, monkeypatch)


def _row(html: str, title: str) -> str:
    return next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if title in r)


def test_the_queue_shows_each_clock_and_marks_what_is_due_or_late(world: World) -> None:
    learner = world.make.learner(assessor=world.assessor_user, name="Ben Learner")
    late = world.make.submission(learner, title="Late one")
    world.submitted_on(late, date(2026, 3, 2))  # due Wednesday 11 March
    soon = world.make.submission(learner, title="Due soon")
    world.submitted_on(soon, date(2026, 3, 4))  # due Friday 13 March
    html = text(world.assessor.get("/assessment/queue"))

    titles = re.findall(r'<a href="/assessment/submissions/\d+">([^<]+)</a>', html)
    assert titles == ["Late one", "Due soon", "Kettle refund"]
    row = _row(html, "Late one")
    assert 'class="clock-overdue"' in row
    assert '<strong class="badge badge-overdue">Overdue</strong> Overdue by 1 working day' in row
    assert "<td>2 March 2026</td>" in row and "<td>11 March 2026</td>" in row
    row = _row(html, "Due soon")
    assert '<strong class="badge badge-due_soon">Due soon</strong> Due in 1 working day' in row
    row = _row(html, "Kettle refund")
    assert 'class="clock-on_time"' in row and "badge" not in row
    assert "Due in 4 working days" in row and "18 March 2026" in row
    # The learners, each with their work counted.
    learners = html.split("<h2>Your learners</h2>")[1]
    ben = _row(learners, ">Ben Learner<")
    assert re.findall(r"<td>(.*?)</td>", ben) == [
        "2",
        '<strong class="overdue">1</strong>',
        "0",
        "0",
    ]
    assert re.findall(r"<td>(.*?)</td>", _row(learners, ">Lily Learner<")) == ["1", "0", "0", "0"]


def test_the_learner_sees_when_to_expect_a_decision(world: World) -> None:
    listing = text(world.learner.get("/evidence/"))
    assert "Expect a decision by 18 March 2026" in _row(listing, "Kettle refund")
    record_url = f"/assessment/evidence/{world.submission.evidence_id}"
    record = text(world.learner.get(record_url))
    assert "Awaiting your assessor's decision. Expect a decision by Wednesday 18 March 2026." in (
        record
    )
    mark(world.assessor, world.url, ACCEPT)
    assert "Expect a decision" not in text(world.learner.get("/evidence/"))
    assert "Expect a decision" not in text(world.learner.get(record_url))


def test_the_marking_page_lists_every_point_beside_the_evidence(world: World) -> None:
    html = text(world.assessor.get(world.url))
    assert '<div class="two-col">' in html
    assert "stopped heating" in html  # the evidence itself
    legends = re.findall(r"<legend>(pts-a\.\d): ", html)
    assert legends == ["pts-a.1", "pts-a.2", "pts-a.3", "pts-a.4", "pts-a.5"]
    assert html.count("Claimed by the learner.") == 2
    assert html.count("Not claimed: mark it only if the evidence shows it.") == 3
    assert html.count('value="not_applicable"') == 5
    assert "Decision due Wednesday 18 March 2026: due in 4 working days." in html
    form = read_form(html)
    assert form.value("submission_id") == str(world.submission.id)
    assert form.value("p2_status") == ""  # unclaimed: "Not assessed" until marked


def test_an_unclaimed_point_may_be_marked_and_any_point_not_applicable(world: World) -> None:
    response = mark(
        world.assessor,
        world.url,
        {
            **ACCEPT,
            "p4_status": "not_applicable",
            "p3_status": "met",
            "p5_status": "not_applicable",
        },
    )
    assert response.status_code == 302
    assert world.decisions() == [
        (
            "accepted",
            "",
            {
                "pts-a.1": "met",
                "pts-a.3": "met",
                "pts-a.4": "not_applicable",
                "pts-a.5": "not_applicable",
            },
        )
    ]


def test_the_comment_bank_offers_saved_comments_and_keeps_new_ones(world: World) -> None:
    response = mark(world.assessor, world.url, {**REFER, "p4_save": "y"})
    assert response.status_code == 302
    with world.app.app_context():
        saved = [(e.marking_point_id, e.text) for e in db.session.scalars(select(CommentBankEntry))]
    assert saved == [("pts-a.4", "Show the completed RA form.")]

    # The next item's marking page offers it under pts-a.4's comment box, with a Use button
    # the script reveals (hidden without it: the text is there to copy).
    learner = world.make.learner(assessor=world.assessor_user, name="Ben Learner")
    html = text(world.assessor.get(f"/assessment/submissions/{world.make.submission(learner).id}"))
    bank = html.split("Saved comments for pts-a.4 (1)")[1].split("</details>")[0]
    assert '<span class="comment-bank-text">Show the completed RA form.</span>' in bank
    assert 'data-use-comment="p4_comment" hidden>Use<span class="visually-hidden"> saved' in bank
    assert "Saved comments for pts-a.1" not in html
    assert html.count("Save this comment to the bank (pts-a.") == 5
    assert '<script src="/static/js/comment-bank.js" defer></script>' in html

    # The assessor's own entries can be removed; someone else's cannot.
    page = text(world.assessor.get("/assessment/comments"))
    assert "Show the completed RA form." in page
    entry = re.search(r'action="(/assessment/comments/\d+/delete)"', page)
    assert entry is not None
    other = world.client(world.make.user(Role.ASSESSOR).email)
    assert send(other, entry[1], {}).status_code == 404
    response = send(world.assessor, entry[1], {})
    assert response.status_code == 302 and response.headers["Location"] == "/assessment/comments"
    assert "You have not saved any comments yet." in text(
        world.assessor.get("/assessment/comments")
    )


@pytest.mark.parametrize("praise", ["Well done!", "good work, keep it up", "Excellent."])
def test_a_referral_of_only_praise_is_refused_beside_the_feedback(
    world: World, praise: str
) -> None:
    response = mark(world.assessor, world.url, {**REFER, "feedback": praise})
    assert response.status_code == 422
    form = read_form(response)
    assert form.errors["feedback"] == (
        "Error: A referral must say what the learner needs to do: general praise does not say "
        "what is missing or how to show it."
    )
    assert form.value("feedback") == praise and form.value("p4_status") == "not_yet_met"
    assert world.decisions() == []


def test_praise_on_a_point_not_yet_met_is_refused_beside_its_comment(world: World) -> None:
    response = mark(world.assessor, world.url, {**REFER, "p4_comment": "Great effort!"})
    assert response.status_code == 422
    assert read_form(response).errors["p4_comment"] == (
        "Error: Say what is missing for this point: general praise does not say what is "
        "missing or how to show it."
    )
    assert world.decisions() == []


def test_an_acceptance_of_only_praise_is_recorded_with_a_warning(world: World) -> None:
    response = mark(world.assessor, world.url, {**ACCEPT, "feedback": "Well done, great job!"})
    assert response.status_code == 302
    assert world.decisions()[0][:2] == ("accepted", "Well done, great job!")
    queue = text(world.assessor.get("/assessment/queue"))
    assert '<p class="flash flash-warning">Your feedback was only general praise.' in queue


def test_a_reopened_item_is_back_in_the_queue_with_the_decision_it_replaces(
    world: World,
) -> None:
    mark(world.assessor, world.url, {**ACCEPT, "feedback": "Rights and remedy both named."})
    with world.app.app_context():
        decision = assessment.decision_for(db.session.get(Submission, world.submission.id))  # type: ignore[arg-type]
        assert decision is not None
        assessment.reopen_decision(decision)
        db.session.commit()
    row = _row(text(world.assessor.get("/assessment/queue")), "Kettle refund")
    assert '<strong class="badge badge-reopened">Reopened by IQA</strong>' in row
    html = text(world.assessor.get(world.url))
    reopened = html.split('<h2 id="reopened-title">Reopened by IQA</h2>')[1].split("</section>")[0]
    assert "Rights and remedy both named." in reopened and "It no longer stands" in reopened
    record = text(world.learner.get(f"/assessment/evidence/{world.submission.evidence_id}"))
    assert "Reopened by the internal quality assurer" in record
    assert "Expect a decision by" in record
    response = mark(world.assessor, world.url, REFER)
    assert response.status_code == 302
    assert [d[0] for d in world.decisions()] == ["accepted", "referred"]
    assert Outcome.REFERRED.value == "referred"
