"""Autosave: the draft form sent while typing, saved by the Save button's path, answered in JSON;
stale copies, bad input, other learners, submitted work and signed-out sessions refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.core.localtime import london
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.conftest import csrf_token, login
from tests.factories import ACCOUNT, Factory
from tests.helpers import send, text, version_of

JSON = "application/json"


@dataclass
class Learner:
    client: FlaskClient
    user: User


@pytest.fixture
def learner(app: Flask, make: Factory) -> Learner:
    user = make.learner(assessor=make.user(Role.ASSESSOR), name="Lily Learner")
    client = app.test_client()
    login(client, user.email)
    return Learner(client, user)


def _draft(app: Flask, evidence_id: int) -> tuple[dict[str, Any], str, int]:
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        return dict(item.draft), item.title, item.version


def _autosave(
    client: FlaskClient,
    evidence_id: int,
    version: int | str,
    *,
    token: str | None = None,
    accept: str = JSON,
    **fields: object,
) -> TestResponse:
    """What autosave.js sends: the whole draft form, the version, the token in a header."""
    data: dict[str, object] = {
        "title": "Kettle refund",
        "claims": ["pts-a.1", "pts-a.4"],
        **ACCOUNT,
        **fields,
        "version": str(version),
    }
    headers = {"Accept": accept}
    if token != "":
        headers["X-CSRFToken"] = token or csrf_token(client, "/")
    return client.post(f"/evidence/{evidence_id}/autosave", data=data, headers=headers)


def test_the_edit_page_carries_autosave(make: Factory, learner: Learner) -> None:
    item = make.evidence(learner.user)
    html = text(learner.client.get(f"/evidence/{item.id}/edit"))
    assert f'data-autosave-url="/evidence/{item.id}/autosave"' in html
    assert 'src="/static/js/autosave.js" defer' in html
    assert 'role="status" aria-live="polite" data-autosave-status' in html


def test_the_script_is_served(client: FlaskClient) -> None:
    response = client.get("/static/js/autosave.js")
    assert response.status_code == 200
    assert "X-CSRFToken" in response.get_data(as_text=True)
    response.close()


def test_an_autosave_saves_and_returns_the_new_version(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    typed = {**ACCOUNT, "outcome": "Half a sentence typed so far and"}
    response = _autosave(learner.client, item.id, item.version, **typed)

    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] > item.version
    saved_at = datetime.fromisoformat(body["saved_at"])
    assert body["saved_label"] == f"Saved at {london(saved_at):%H:%M}"
    assert isinstance(body["coverage"], list)
    draft, _, version = _draft(app, item.id)
    assert draft["outcome"] == typed["outcome"]
    assert version == body["version"]
    # Answers with evidence text in them are never kept in a shared cache.
    assert response.headers["Cache-Control"] == "no-store"


def test_each_autosave_carries_on_from_the_version_it_was_given(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    first = _autosave(learner.client, item.id, item.version, outcome="One.").get_json()
    second = _autosave(learner.client, item.id, first["version"], outcome="One. Two.")
    assert second.status_code == 200
    assert _draft(app, item.id)[0]["outcome"] == "One. Two."
    # And the Save button, given the version autosave returned, saves too.
    page = learner.client.get(f"/evidence/{item.id}/edit")
    assert version_of(page) == str(second.get_json()["version"])
    saved = send(
        learner.client,
        f"/evidence/{item.id}/edit",
        {
            "title": "Kettle refund",
            "claims": ["pts-a.1"],
            **ACCOUNT,
            "next": "save",
            "version": second.get_json()["version"],
        },
    )
    assert saved.status_code == 302


def test_a_stale_autosave_is_refused_with_the_other_version(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    opened = item.version  # both tabs opened the draft at this version
    tab_one = {**ACCOUNT, "outcome": "Saved from the first tab."}
    assert _autosave(learner.client, item.id, opened, **tab_one).status_code == 200
    before = _draft(app, item.id)

    response = _autosave(
        learner.client, item.id, opened, title="Second tab title", outcome="From tab two."
    )

    assert response.status_code == 409
    body = response.get_json()
    assert "saved in another tab or device" in body["error"]
    current = body["current"]
    assert current["version"] == before[2]
    assert current["draft"]["outcome"] == tab_one["outcome"]
    assert current["title"] == "Kettle refund"
    # Labelled as the form labels them, title and claims included, to show beside the page's.
    assert {"label": "Outcome", "text": tab_one["outcome"]} in current["fields"]
    assert current["fields"][0] == {"label": "Title", "text": "Kettle refund"}
    claims = current["fields"][-1]
    assert claims["label"] == "Marking points this evidence covers"
    assert [line.split(":")[0] for line in claims["text"].splitlines()] == ["pts-a.1", "pts-a.4"]
    datetime.fromisoformat(current["saved_at"])
    assert _draft(app, item.id) == before  # nothing saved

    # "Keep mine": the same text again with the version the other tab made takes over.
    kept = _autosave(learner.client, item.id, current["version"], outcome="From tab two.")
    assert kept.status_code == 200
    assert _draft(app, item.id)[0]["outcome"] == "From tab two."


def test_over_long_input_is_refused_and_nothing_saved(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    before = _draft(app, item.id)
    response = _autosave(
        learner.client, item.id, item.version, situation="word " * 5000, outcome="Changed."
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"].startswith("Not saved")
    (problem,) = body["problems"]
    assert problem["field"] == "situation" and problem["label"] == "Situation"
    assert problem["messages"] and all(isinstance(m, str) for m in problem["messages"])
    assert _draft(app, item.id) == before


def test_another_learners_draft_is_not_found(app: Flask, make: Factory, learner: Learner) -> None:
    other = make.evidence(make.learner())
    before = _draft(app, other.id)
    response = _autosave(learner.client, other.id, other.version, outcome="Overwritten?")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not found."}
    assert _draft(app, other.id) == before
    assert _autosave(learner.client, 999999, 1).status_code == 404


def test_submitted_evidence_is_refused(app: Flask, make: Factory, learner: Learner) -> None:
    submission = make.submission(learner.user)
    before = _draft(app, submission.evidence_id)
    response = _autosave(learner.client, submission.evidence_id, before[2], outcome="Changed.")
    assert response.status_code == 409
    body = response.get_json()
    assert "submitted" in body["error"] and "current" not in body
    assert _draft(app, submission.evidence_id) == before


def test_anonymous_gets_401_json_not_the_sign_in_page(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    anonymous = app.test_client()
    response = _autosave(anonymous, item.id, item.version, outcome="Lost?")
    assert response.status_code == 401
    assert response.mimetype == JSON
    assert "signed out" in response.get_json()["error"]
    assert _draft(app, item.id)[0]["outcome"] == ACCOUNT["outcome"]


def test_an_expired_session_gets_401_and_saves_after_signing_in_again(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    token = csrf_token(learner.client, "/")
    with app.app_context():
        user = db.session.get(User, learner.user.id)
        assert user is not None
        accounts.end_sessions(user)  # e.g. signed out everywhere from another device

    refused = _autosave(learner.client, item.id, item.version, token=token, outcome="Kept?")
    assert refused.status_code == 401
    assert _draft(app, item.id)[0]["outcome"] == ACCOUNT["outcome"]

    login(learner.client, learner.user.email)  # "sign in again in another tab"
    # Signing in started a new CSRF token: the page's old one is refused with the new one in
    # the answer, and autosave.js sends the draft again with it.
    stale = _autosave(learner.client, item.id, item.version, token=token, outcome="Kept.")
    assert stale.status_code == 400
    again = _autosave(
        learner.client, item.id, item.version, token=stale.get_json()["csrf_token"], outcome="Kept."
    )
    assert again.status_code == 200
    assert _draft(app, item.id)[0]["outcome"] == "Kept."


def test_the_csrf_token_is_required_and_a_stale_one_is_replaced(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item = make.evidence(learner.user)
    before = _draft(app, item.id)
    missing = _autosave(learner.client, item.id, item.version, token="", outcome="No token.")
    assert missing.status_code == 400
    wrong = _autosave(learner.client, item.id, item.version, token="forged", outcome="Forged.")
    assert wrong.status_code == 400
    assert _draft(app, item.id) == before
    # The JSON answer hands the page a fresh token to retry with (autosave.js does).
    fresh = wrong.get_json()["csrf_token"]
    retried = _autosave(learner.client, item.id, item.version, token=fresh, outcome="Retried.")
    assert retried.status_code == 200


def test_other_roles_are_forbidden_in_json(app: Flask, make: Factory, learner: Learner) -> None:
    item = make.evidence(learner.user)
    assessor = app.test_client()
    login(assessor, make.user(Role.ASSESSOR).email)
    response = _autosave(assessor, item.id, item.version, outcome="Assessor typing.")
    assert response.status_code == 403
    assert response.get_json() == {"error": "You do not have access to that."}


def test_a_browser_without_json_still_gets_pages(app: Flask, make: Factory) -> None:
    # Only requests asking for JSON get JSON: a page request keeps the sign-in redirect.
    anonymous = app.test_client()
    response = anonymous.get("/evidence/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
