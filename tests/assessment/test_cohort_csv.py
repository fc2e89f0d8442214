"""The whole-centre cohort CSV: a fixed number of SQL statements however many learners and
however many cursor batches it crosses, memory that does not grow with the learners, and the
database connection handed back when a download is abandoned half-way.

Learners and their work are written with bulk inserts of the rows the services write (the
factories' password hashing and services would make thousands of learners slow); the CSV is
checked against the whole-matrix CSV in test_centre_scale.py and test_tracking_views.py."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass
from itertools import islice

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from portfolio.assessment import cohort, progress
from portfolio.assessment.models import Decision, ElementSignOff, Outcome, PointDecision
from portfolio.auth.models import Role, User, UserRole
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission, submission_claim
from portfolio.extensions import db
from tests.assessment.support import MET, NOT_YET
from tests.conftest import login
from tests.factories import Factory
from tests.support.queries import count_request

URL = "/assessment/cohort.csv?learners=all"


@dataclass
class Centre:
    app: Flask
    assessor: int
    iqa: User
    learners: int = 0

    def grow(self, count: int) -> None:
        """`count` more learners, each with an accepted item of pts-a (two points met, one
        claimed), a referred one of pts-b, and every fifth with pts-b signed off."""
        with self.app.app_context():
            first = self.learners
            people = db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "email": f"bulk{n}@example.org",
                        "name": f"Bulk {n:05d}",
                        "password_hash": "x",
                        "assessor_id": self.assessor,
                    }
                    for n in range(first, first + count)
                ],
            ).all()
            db.session.execute(
                insert(UserRole), [{"user_id": p, "role": Role.LEARNER} for p in people]
            )
            work = [(p, e) for p in people for e in ("pts-a", "pts-b")]
            items = db.session.scalars(
                insert(Evidence).returning(Evidence.id, sort_by_parameter_order=True),
                [
                    {
                        "learner_id": p,
                        "element_id": e,
                        "type_id": "reflective-account",
                        "type_version": 1,
                        "title": "Kettle refund",
                        "status": EvidenceStatus.ACCEPTED
                        if e == "pts-a"
                        else EvidenceStatus.REFERRED,
                    }
                    for p, e in work
                ],
            ).all()
            sent = db.session.scalars(
                insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
                [
                    {
                        "evidence_id": i,
                        "number": 1,
                        "title": "Kettle refund",
                        "content": {},
                        "type_version": 1,
                        "rubric_version": 1,
                        "declared_name": "Bulk",
                        "content_hash": "0" * 64,
                    }
                    for i in items
                ],
            ).all()
            points = {"pts-a": ("pts-a.1", "pts-a.2", "pts-a.3"), "pts-b": ("pts-b.1",)}
            db.session.execute(
                insert(submission_claim),
                [
                    {"submission_id": s, "marking_point_id": point}
                    for s, (_, e) in zip(sent, work, strict=True)
                    for point in points[e]
                ],
            )
            decided = db.session.scalars(
                insert(Decision).returning(Decision.id, sort_by_parameter_order=True),
                [
                    {
                        "submission_id": s,
                        "assessor_id": self.assessor,
                        "outcome": Outcome.ACCEPTED if e == "pts-a" else Outcome.REFERRED,
                        "feedback": "" if e == "pts-a" else "Add the returns form.",
                    }
                    for s, (_, e) in zip(sent, work, strict=True)
                ],
            ).all()
            db.session.execute(
                insert(PointDecision),
                [
                    {"decision_id": d, "marking_point_id": point, "status": status}
                    for d, (_, e) in zip(decided, work, strict=True)
                    for point, status in (
                        (("pts-a.1", MET), ("pts-a.2", MET))
                        if e == "pts-a"
                        else (("pts-b.1", NOT_YET),)
                    )
                ],
            )
            db.session.execute(
                insert(ElementSignOff),
                [
                    {
                        "learner_id": p,
                        "element_id": "pts-b",
                        "assessor_id": self.assessor,
                        "rubric_version": 1,
                        "snapshot": {},
                    }
                    for n, p in enumerate(people, first)
                    if n % 5 == 0
                ],
            )
            progress.rebuild_progress()  # as the services keep them, decision by decision
            db.session.commit()
        self.learners += count

    def client(self) -> FlaskClient:
        client = self.app.test_client()
        login(client, self.iqa.email)
        return client


@pytest.fixture
def centre(app: Flask, make: Factory) -> Centre:
    return Centre(app, make.user(Role.ASSESSOR, name="Alan Assessor").id, make.user(Role.IQA))


def _download(client: FlaskClient) -> bytes:
    response = client.get(URL)
    assert response.status_code == 200 and response.is_streamed
    return response.get_data()


def test_the_statements_are_fixed_however_many_batches_the_learners_fill(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cohort, "BATCH", 7)  # 40 learners: several batches of every cursor
    client = centre.client()
    centre.grow(3)
    small = count_request(centre.app, lambda: _download(client))
    centre.grow(37)
    body = b""

    def run() -> None:
        nonlocal body
        body = _download(client)

    large = count_request(centre.app, run)
    assert len(large) == len(small), "\n".join(s[:100] for s in large)
    text = body.decode("utf-8-sig")
    assert text.count("\r\nBulk 00039,") == 2  # a row in each element's table
    assert ": 0 of 40 learners have met every marking point, 8 signed off" in text
    assert "\r\nLearners who have met it,40 of 40,40 of 40,0 of 40," in text


def _peak_while_downloading(client: FlaskClient) -> int:
    """The Python memory the download itself took at its peak (the test client's response
    read a chunk at a time and dropped, as a WSGI server sends it)."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        response = client.get(URL, buffered=False)
        lines = sum(chunk.count(b"\n") for chunk in response.response)
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines > 0
    return peak - base


def test_memory_does_not_grow_with_the_learners(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small cursor batches, so the smaller centre fills them as the larger one does.
    monkeypatch.setattr(cohort, "BATCH", 50)
    client = centre.client()
    centre.grow(200)
    _download(client)  # statements compiled and cached, templates loaded
    small = _peak_while_downloading(client)
    centre.grow(1800)
    large = _peak_while_downloading(client)
    # Ten times the learners: a memory figure, not a time.
    assert large < 1.5 * small, (small, large)


def test_a_download_abandoned_half_way_hands_its_connection_back(centre: Centre) -> None:
    centre.grow(30)
    client = centre.client()
    with centre.app.app_context():
        pool = db.engine.pool
    response = client.get(URL, buffered=False)
    chunks = list(islice(response.response, 20))
    assert b"Bulk 00005" in b"".join(chunks)
    assert pool.checkedout() == 1  # the download holds its cursors open
    response.close()
    gc.collect()  # an unclosed cursor would warn here (a ResourceWarning, an error in tests)
    assert pool.checkedout() == 0
    # The same connection serves the next download whole.
    assert _download(client).count(b"\r\nBulk 00029,") == 2
