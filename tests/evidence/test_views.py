"""The learner's evidence pages: drafts, two tabs, typed text kept, locked once submitted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role, User
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import ACCOUNT, Factory
from tests.helpers import read_form, send, text, version_of

NAME = "Lily Learner"


@dataclass
class Learner:
    client: FlaskClient
    user: User
    assessor: User


@pytest.fixture
def learner(app: Flask, make: Factory) -> Learner:
    assessor = make.user(Role.ASSESSOR)
    user = make.learner(assessor=assessor, name=NAME)
    client = app.test_client()
    login(client, user.email)
    return Learner(client, user, assessor)


@dataclass(frozen=True)
class Stored:
    title: str
    status: EvidenceStatus
    draft: dict[str, Any]
    claims: list[str]
    version: int
    submissions: list[tuple[int, str]]  # (number, content_hash)


def _stored(app: Flask, evidence_id: int) -> Stored:
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        return Stored(
            item.title,
            item.status,
            dict(item.draft),
            list(item.draft_claims),
            item.version,
            [(s.number, s.content_hash) for s in item.submissions],
        )


def _edit(client: FlaskClient, evidence_id: int, version: str, **fields: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "title": "Kettle refund",
        "claims": ["pts-a.1", "pts-a.4"],
        "next": "save",
        **ACCOUNT,
        **fields,
    }
    return send(client, f"/evidence/{evidence_id}/edit", {**data, "version": version})


def _declare(client: FlaskClient, evidence_id: int, name: str = NAME):  # type: ignore[no-untyped-def]
    return send(client, f"/evidence/{evidence_id}/submit", {"confirm": "y", "declared_name": name})


def test_starting_evidence_opens_its_draft(app: Flask, learner: Learner) -> None:
    response = send(
        learner.client,
        "/evidence/",
        {"title": "Kettle refund", "type_id": "reflective-account", "element_id": "pts-a"},
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(Evidence).where(Evidence.learner_id == learner.user.id))
        assert item is not None
        assert (item.title, item.element_id, item.status) == ("Kettle refund", "pts-a", "draft")
    assert response.headers["Location"] == f"/evidence/{item.id}/edit"


def test_starting_evidence_without_a_title_keeps_the_choices(app: Flask, learner: Learner) -> None:
    response = send(
        learner.client,
        "/evidence/",
        {"title": "", "type_id": "reflective-account", "element_id": "pts-b"},
    )
    assert response.status_code == 422
    form = read_form(response)
    assert "This field is required." in form.errors["title"]
    assert form.value("element_id") == "pts-b"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_a_saved_draft_comes_back_in_the_form(app: Flask, make: Factory, learner: Learner) -> None:
    item = make.evidence(learner.user, filled=False)
    url = f"/evidence/{item.id}/edit"
    response = _edit(learner.client, item.id, version_of(learner.client.get(url)))
    assert response.status_code == 302
    assert response.headers["Location"] == url
    form = read_form(learner.client.get(url))
    for section, typed in ACCOUNT.items():
        assert form.value(section) == typed
    assert sorted(form.all("claims")) == ["pts-a.1", "pts-a.4"]
    assert form.value("title") == "Kettle refund"
    stored = _stored(app, item.id)
    assert stored.draft == ACCOUNT and stored.claims == ["pts-a.1", "pts-a.4"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"action": "word " * 2000}, "action", "Field cannot be longer than 9600"),
    ],
    ids=["no-title", "far-too-long"],
)
def test_bad_input_keeps_what_was_typed_and_saves_nothing(
    app: Flask,
    make: Factory,
    learner: Learner,
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    item = make.evidence(learner.user, filled=False)
    before = _stored(app, item.id)
    url = f"/evidence/{item.id}/edit"
    typed = {**ACCOUNT, "outcome": "Typed but not yet saved.", **change}
    response = _edit(learner.client, item.id, version_of(learner.client.get(url)), **typed)
    assert response.status_code == 422
    form = read_form(response)
    assert message in form.errors[field]
    for section in ACCOUNT:
        assert form.value(section) == typed[section]
    assert form.value("title") == typed.get("title", "Kettle refund")
    assert sorted(form.all("claims")) == ["pts-a.1", "pts-a.4"]
    assert _stored(app, item.id) == before


def test_two_tabs_the_second_save_is_refused_and_shows_both(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    url = f"/evidence/{item.id}/edit"
    tab_one = version_of(learner.client.get(url))
    tab_two = version_of(learner.client.get(url))
    first = {**ACCOUNT, "outcome": "Written in the first tab and saved."}
    second = {**ACCOUNT, "outcome": "Written in the second tab, not saved."}

    assert _edit(learner.client, item.id, tab_one, **first).status_code == 302
    saved = _stored(app, item.id)

    response = _edit(learner.client, item.id, tab_two, title="Second title", **second)
    assert response.status_code == 409
    html = text(response)
    assert "This draft was saved somewhere else since you opened it" in html
    form = read_form(response)
    assert form.value("outcome") == second["outcome"]  # the typed text is kept
    assert form.value("title") == "Second title"
    assert first["outcome"] in html  # and the other saved version is shown
    assert _stored(app, item.id) == saved

    # Saving again from the conflict page knowingly keeps the second tab's text.
    again = _edit(learner.client, item.id, form.value("version") or "", **second)
    assert again.status_code == 302
    assert _stored(app, item.id).draft["outcome"] == second["outcome"]


def test_save_and_continue_goes_to_the_declaration(make: Factory, learner: Learner) -> None:
    item = make.evidence(learner.user, filled=False)
    url = f"/evidence/{item.id}/edit"
    response = _edit(learner.client, item.id, version_of(learner.client.get(url)), next="submit")
    assert response.headers["Location"] == f"/evidence/{item.id}/submit"


def test_the_declaration_must_match_the_name(app: Flask, make: Factory, learner: Learner) -> None:
    item = make.evidence(learner.user)
    response = _declare(learner.client, item.id, "Someone Else")
    assert response.status_code == 422
    form = read_form(response)
    assert (
        f"Type your full name exactly as on your account: {NAME}." in form.errors["declared_name"]
    )
    assert form.value("declared_name") == "Someone Else"
    stored = _stored(app, item.id)
    assert stored.status is EvidenceStatus.DRAFT and stored.submissions == []


def test_a_draft_with_problems_cannot_be_submitted(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user, claims=())
    assert "Claim at least one marking point" in text(
        learner.client.get(f"/evidence/{item.id}/submit")
    )
    response = _declare(learner.client, item.id)
    assert response.status_code == 422
    assert "Claim at least one marking point this evidence covers." in text(response)
    assert _stored(app, item.id).submissions == []


def test_submitted_evidence_is_locked_and_posts_change_nothing(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    url = f"/evidence/{item.id}/edit"
    version = version_of(learner.client.get(url))
    response = _declare(learner.client, item.id)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assessment/evidence/{item.id}"
    locked = _stored(app, item.id)
    assert locked.status is EvidenceStatus.SUBMITTED and len(locked.submissions) == 1

    edit = _edit(learner.client, item.id, version, title="Changed", action="Rewritten.")
    assert edit.status_code == 409
    assert "This evidence cannot be changed" in text(edit)
    again = _declare(learner.client, item.id)
    assert again.status_code == 409
    assert _stored(app, item.id) == locked
    # Opening the edit page shows the record instead.
    assert learner.client.get(url).headers["Location"] == f"/assessment/evidence/{item.id}"


def test_referred_evidence_is_revised_and_resubmitted_as_attempt_two(
    app: Flask, make: Factory, learner: Learner
) -> None:
    submission = make.submission(learner.user)
    with app.app_context():
        assessor = db.session.get(User, learner.assessor.id)
        found = db.session.get(Submission, submission.id)
        assert assessor is not None and found is not None
        assessment.record_decision(
            assessor,
            found,
            {
                "pts-a.1": assessment.PointMark(PointStatus.MET, ""),
                "pts-a.4": assessment.PointMark(PointStatus.NOT_YET_MET, "Show the RA form."),
            },
            Outcome.REFERRED,
            "Attach the RA form.",
        )
    item_id = submission.evidence_id
    record = text(learner.client.get(f"/assessment/evidence/{item_id}"))
    assert "Revise and resubmit" in record and "Attach the RA form." in record

    url = f"/evidence/{item_id}/edit"
    page = learner.client.get(url)
    assert page.status_code == 200
    assert "Your assessor referred this back." in text(page)
    revised = {**ACCOUNT, "outcome": ACCOUNT["outcome"] + " The signed RA form is attached."}
    assert _edit(learner.client, item_id, version_of(page), **revised).status_code == 302
    assert _declare(learner.client, item_id).status_code == 302

    stored = _stored(app, item_id)
    assert stored.status is EvidenceStatus.SUBMITTED
    assert [n for n, _ in stored.submissions] == [1, 2]
    assert stored.submissions[0][1] == submission.content_hash  # attempt 1 kept as signed
    with app.app_context():
        one, two = db.session.scalars(
            select(Submission).where(Submission.evidence_id == item_id).order_by(Submission.number)
        )
        assert one.content == ACCOUNT
        assert two.content == revised
    record = text(learner.client.get(f"/assessment/evidence/{item_id}"))
    assert "Attempt 2" in record and "Attempt 1" in record
    assert "Awaiting your assessor's decision." in record
