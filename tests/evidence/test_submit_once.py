"""A submit makes exactly one version: a double click, a replayed POST, a submit signed for a
draft that has since changed, and two submits at once."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.evidence import services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.conftest import csrf_token, login
from tests.factories import ACCOUNT, Factory
from tests.helpers import send, text

NAME = "Lily Learner"


@dataclass
class Learner:
    client: FlaskClient
    user: User


@pytest.fixture
def learner(app: Flask, make: Factory) -> Learner:
    user = make.learner(assessor=make.user(Role.ASSESSOR), name=NAME)
    client = app.test_client()
    login(client, user.email)
    return Learner(client, user)


def _signed_version(client: FlaskClient, evidence_id: int) -> str:
    """The draft version the submit page asks the learner to sign."""
    html = client.get(f"/evidence/{evidence_id}/submit").get_data(as_text=True)
    match = re.search(r'name="version" type="hidden" value="(\d+)"', html) or re.search(
        r'type="hidden" name="version" value="(\d+)"', html
    )
    assert match, "no version on the submit page"
    return match.group(1)


def _declaration(version: str) -> dict[str, object]:
    return {"confirm": "y", "declared_name": NAME, "version": version}


def _submissions(app: Flask, evidence_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (s.number, s.content["outcome"])
            for s in db.session.scalars(
                select(Submission)
                .where(Submission.evidence_id == evidence_id)
                .order_by(Submission.number)
            )
        ]


def test_a_double_clicked_submit_makes_one_submission(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    url = f"/evidence/{item.id}/submit"
    form = _declaration(_signed_version(learner.client, item.id))
    token = csrf_token(learner.client, url)

    first = learner.client.post(url, data={"csrf_token": token, **form})
    second = learner.client.post(url, data={"csrf_token": token, **form})

    assert first.status_code == 302
    assert second.status_code == 409
    assert "This evidence cannot be changed" in text(second)
    assert _submissions(app, item.id) == [(1, ACCOUNT["outcome"])]


def test_a_submit_replayed_after_a_referral_is_refused(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    url = f"/evidence/{item.id}/submit"
    form = _declaration(_signed_version(learner.client, item.id))
    assert send(learner.client, url, form).status_code == 302
    with app.app_context():
        submission = db.session.scalars(
            select(Submission).where(Submission.evidence_id == item.id)
        ).one()
        assessor = submission.evidence.learner.assessor
        assert assessor is not None
        assessment.record_decision(
            assessor,
            submission,
            {
                "pts-a.1": assessment.PointMark(PointStatus.MET, ""),
                "pts-a.4": assessment.PointMark(PointStatus.NOT_YET_MET, "Show the RA form."),
            },
            Outcome.REFERRED,
            "Add the RA form.",
        )

    # The same POST again (back button and resend, or a replay): the item is editable again,
    # but the version signed is not the draft as it stands, so nothing is submitted.
    replay = send(learner.client, url, form)
    assert replay.status_code == 409
    assert "Your draft changed since you opened this page" in text(replay)
    assert _submissions(app, item.id) == [(1, ACCOUNT["outcome"])]

    # Read again and signed again: attempt 2.
    again = send(learner.client, url, _declaration(_signed_version(learner.client, item.id)))
    assert again.status_code == 302
    assert [n for n, _ in _submissions(app, item.id)] == [1, 2]


def test_a_submit_signed_before_another_tab_saved_is_refused(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    signed = _signed_version(learner.client, item.id)
    changed = f"{ACCOUNT['outcome']} Added in another tab after the submit page was opened."
    with app.app_context():
        found = db.session.get(Evidence, item.id)
        assert found is not None
        services.save_draft(
            found,
            title=found.title,
            sections={**ACCOUNT, "outcome": changed},
            claims=["pts-a.1", "pts-a.4"],
            expected_version=found.version,
        )

    response = send(learner.client, f"/evidence/{item.id}/submit", _declaration(signed))

    assert response.status_code == 409
    html = text(response)
    assert "Your draft changed since you opened this page" in html
    assert changed in html  # the text as it now stands, to read before signing again
    assert _submissions(app, item.id) == []
    fresh = _signed_version(learner.client, item.id)
    assert fresh != signed
    assert f'value="{fresh}"' in response.get_data(as_text=True)
    ok = send(learner.client, f"/evidence/{item.id}/submit", _declaration(fresh))
    assert ok.status_code == 302
    assert _submissions(app, item.id) == [(1, changed)]


def test_two_submits_at_once_make_one_submission(
    app: Flask, make: Factory, learner: Learner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second click's request reads the draft, then the first click's commits before it
    writes: the ORM's version check refuses the second, which shows the locked page."""
    item = make.evidence(learner.user)
    form = _declaration(_signed_version(learner.client, item.id))
    real_submit = services.submit_evidence

    def first_click_commits_meanwhile(evidence: Evidence, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        table, submissions = Evidence.__table__, Submission.__table__
        with db.engine.begin() as other:
            other.execute(
                insert(submissions).values(
                    evidence_id=evidence.id,
                    number=1,
                    title=evidence.title,
                    content=dict(evidence.draft),
                    type_version=1,
                    rubric_version=1,
                    submitted_at=utcnow(),
                    declared_name=NAME,
                    content_hash="0" * 64,
                )
            )
            other.execute(
                update(table)
                .where(table.c.id == evidence.id)
                .values(status="submitted", version=table.c.version + 1)
            )
        return real_submit(evidence, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "submit_evidence", first_click_commits_meanwhile)
    response = send(learner.client, f"/evidence/{item.id}/submit", form)

    assert response.status_code == 409
    assert "This evidence cannot be changed" in text(response)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.evidence_id == item.id)
            )
            == 1
        )
        found = db.session.get(Evidence, item.id)
        assert found is not None and found.status is EvidenceStatus.SUBMITTED


def test_the_service_refuses_a_stale_signature(app: Flask, make: Factory) -> None:
    user = make.learner(name=NAME)
    item = make.evidence(user)
    with app.app_context():
        found = db.session.get(Evidence, item.id)
        person = db.session.get(User, user.id)
        assert found is not None and person is not None
        with pytest.raises(services.StaleDraft) as caught:
            services.submit_evidence(found, person, NAME, expected_version=found.version - 1)
        assert caught.value.current is found
        assert found.submissions == []
        submission = services.submit_evidence(found, person, NAME, expected_version=found.version)
        assert submission.number == 1
