"""The checks on the submit page: planted personal details found, shown in place, replaced or
dismissed with a reason, submission refused until each is settled and the result recorded; and
the real-work warnings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.auth.models import Role, User
from portfolio.evidence import check_services
from portfolio.evidence import services as evidence_services
from portfolio.evidence.flags import FoundFlag
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import ACCOUNT, Factory
from tests.helpers import send, text

NAME = "Lily Learner"
PLANTED = {
    "situation": ACCOUNT["situation"]
    + " Her email was anita.patel@example.com and her phone 07700 900123.",
    "action": ACCOUNT["action"]
    + " Mrs Patel gave her postcode, SW1A 1AA, and her order number ORD-55821.",
    "outcome": ACCOUNT["outcome"] + " The refund went to card 4111 1111 1111 1111.",
    "reflection": ACCOUNT["reflection"]
    + " Next time I would check the batch first. You should always check the batch.",
}
DETAILS = [
    ("situation", "email", "anita.patel@example.com", "[email address]"),
    ("situation", "phone", "07700 900123", "[phone number]"),
    ("action", "name", "Mrs Patel", "Customer A"),
    ("action", "postcode", "SW1A 1AA", "[postcode]"),
    ("action", "order_number", "ORD-55821", "[order number]"),
    ("outcome", "card", "4111 1111 1111 1111", "[card number]"),
]


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


def _planted(app: Flask, make: Factory, learner: Learner, **sections: str) -> int:
    item = make.evidence(learner.user, filled=False)
    with app.app_context():
        found = db.session.get(Evidence, item.id)
        assert found is not None
        evidence_services.save_draft(
            found,
            title="Kettle refund",
            sections={**PLANTED, **sections},
            claims=["pts-a.1", "pts-a.4"],
            expected_version=found.version,
        )
    return item.id


def _load(app: Flask, evidence_id: int) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
    """(draft, version, dismissals) as stored."""
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        return dict(item.draft), item.version, list(item.dismissals or [])


def _flags(app: Flask, evidence_id: int) -> list[FoundFlag]:
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        result = check_services.check_evidence(item)
        return [*result.personal_data, *result.real_work]


def _flag(app: Flask, evidence_id: int, text: str) -> FoundFlag:
    return next(f for f in _flags(app, evidence_id) if f.text == text)


def _redact(client: FlaskClient, evidence_id: int, flag: FoundFlag, version: int):  # type: ignore[no-untyped-def]
    url = f"/evidence/{evidence_id}/flags/{flag.id}/redaction"
    return send(client, url, {"version": str(version)})


def _dismiss(client: FlaskClient, evidence_id: int, flag: FoundFlag, version: int, reason: str):  # type: ignore[no-untyped-def]
    url = f"/evidence/{evidence_id}/flags/{flag.id}/dismissal"
    return send(client, url, {"version": str(version), "reason": reason})


def _declare(client: FlaskClient, evidence_id: int):  # type: ignore[no-untyped-def]
    return send(client, f"/evidence/{evidence_id}/submit", {"confirm": "y", "declared_name": NAME})


def test_the_planted_details_are_found_and_shown_in_place(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    found = [(f.path, f.kind, f.text, f.label) for f in _flags(app, item_id) if f.label]
    assert found == DETAILS
    page = learner.client.get(f"/evidence/{item_id}/submit")
    html = text(page)
    assert "Personal details check" in html
    for _, _, detail, label in DETAILS:
        assert f"<mark>{detail}</mark>" in html
        assert f"Replace with {label}" in html
    assert "Replace all 6 with neutral labels" in html
    assert 'name="reason"' in html and "Why this is not a personal detail" in html


def test_submitting_is_refused_with_a_message_per_detail(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    response = _declare(learner.client, item_id)
    assert response.status_code == 422
    html = text(response)
    for _, _, detail, label in DETAILS:
        assert f"“{detail}” looks like" in html
        assert f"Replace it with {label}, or dismiss it with a reason." in html
    with app.app_context():
        refused = pytest.raises(evidence_services.SubmitRefused)
        item = db.session.get(Evidence, item_id)
        user = db.session.get(User, learner.user.id)
        assert item is not None and user is not None
        with refused as caught:
            evidence_services.submit_evidence(item, user, NAME)
        fields = [p.field for p in caught.value.problems]
        assert fields == [path for path, *_ in DETAILS]
        assert db.session.scalars(select(Submission)).all() == []


def test_replace_puts_the_label_in_the_draft_and_keeps_no_copy(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    email = _flag(app, item_id, "anita.patel@example.com")
    response = _redact(learner.client, item_id, email, version)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/evidence/{item_id}/submit#checks"
    draft, new_version, dismissals = _load(app, item_id)
    assert "anita.patel@example.com" not in draft["situation"]
    assert "Her email was [email address] and her phone 07700 900123." in draft["situation"]
    assert draft["action"] == PLANTED["action"]
    assert new_version > version
    assert dismissals == [
        {
            "status": "fixed",
            "check": "personal_data",
            "kind": "email",
            "field": "situation",
            "field_label": "Situation",
            "label": "[email address]",
            "at": dismissals[0]["at"],
        }
    ]
    page = text(learner.client.get(f"/evidence/{item_id}/submit"))
    assert "Replaced an email address in Situation with [email address]." in page
    assert "<mark>anita.patel@example.com</mark>" not in page


def test_a_stale_page_is_refused_and_nothing_changes(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    before, version, _ = _load(app, item_id)
    phone = _flag(app, item_id, "07700 900123")
    response = _redact(learner.client, item_id, phone, version - 1)
    assert response.status_code == 409
    assert "This draft changed after this page was drawn" in text(response)
    assert _load(app, item_id)[0] == before
    dismissed = _dismiss(learner.client, item_id, phone, version - 1, "A shop number")
    assert dismissed.status_code == 409
    assert _load(app, item_id)[2] == []


def test_a_double_submitted_replace_changes_the_draft_once(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    patel = _flag(app, item_id, "Mrs Patel")
    assert _redact(learner.client, item_id, patel, version).status_code == 303
    assert _redact(learner.client, item_id, patel, version).status_code == 409
    draft, _, dismissals = _load(app, item_id)
    assert draft["action"].count("Customer A") == 1
    assert len(dismissals) == 1


def test_replace_all_settles_every_open_detail(app: Flask, make: Factory, learner: Learner) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    response = send(
        learner.client, f"/evidence/{item_id}/flags/redaction", {"version": str(version)}
    )
    assert response.status_code == 303
    draft, _, dismissals = _load(app, item_id)
    for path, _, detail, label in DETAILS:
        assert detail not in draft[path] and label in draft[path]
    assert len(dismissals) == 6
    page = text(learner.client.get(f"/evidence/{item_id}/submit"))
    assert "Replaced 6 personal details with neutral labels." in page
    assert "No personal details found." in page


def test_dismissing_needs_a_reason(app: Flask, make: Factory, learner: Learner) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    order = _flag(app, item_id, "ORD-55821")
    for reason, message in [
        ("", "Say why you are keeping it"),
        ("   ", "Say why you are keeping it"),
        ("x" * 301, "Keep the reason to 300 characters or fewer."),
    ]:
        response = _dismiss(learner.client, item_id, order, version, reason)
        assert response.status_code == 422
        html = text(response)
        assert message in html
        assert f'id="reason-{order.id}-error"' in html
        assert _load(app, item_id)[2] == []
    kept = "A made-up order number from a training scenario, not a real one"
    response = _dismiss(learner.client, item_id, order, version, f"  {kept}  ")
    assert response.status_code == 303
    _, _, dismissals = _load(app, item_id)
    assert [(d["id"], d["status"], d["text"], d["reason"]) for d in dismissals] == [
        (order.id, "dismissed", "ORD-55821", kept)
    ]
    page = text(learner.client.get(f"/evidence/{item_id}/submit"))
    assert "Dismissed, with your reasons" in page and kept in page
    assert "<mark>ORD-55821</mark>" not in page


def test_once_all_are_settled_the_submission_records_the_checks(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    reason = "A made-up order number from a training scenario"
    order = _flag(app, item_id, "ORD-55821")
    assert _dismiss(learner.client, item_id, order, version, reason).status_code == 303
    _, version, _ = _load(app, item_id)
    send(learner.client, f"/evidence/{item_id}/flags/redaction", {"version": str(version)})

    response = _declare(learner.client, item_id)
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, item_id)
        assert item is not None and item.status is EvidenceStatus.SUBMITTED
        submission = item.submissions[-1]
        checks = submission.checks
        recorded = [(c["path"], c["kind"], c["status"]) for c in checks["personal_data"]]
        assert sorted(recorded) == sorted(
            [(p, k, "fixed") for p, k, d, _ in DETAILS if d != "ORD-55821"]
            + [("action", "order_number", "dismissed")]
        )
        dismissed = next(c for c in checks["personal_data"] if c["status"] == "dismissed")
        assert (dismissed["text"], dismissed["reason"]) == ("ORD-55821", reason)
        assert [(c["kind"], c["text"], c["status"]) for c in checks["real_work"]] == [
            ("second_person", "You should", "open")
        ]
        assert checks["checked_at"]
        # The fixed details are gone from everything stored, the record included.
        stored = json.dumps([submission.content, checks, item.dismissals])
        for _, _, detail, _ in DETAILS[:4] + DETAILS[5:]:
            assert detail not in stored
        # Fixes went with this submission; the dismissal stays, as its text does.
        assert [d["status"] for d in item.dismissals] == ["dismissed"]

    record = text(learner.client.get(f"/assessment/evidence/{item_id}"))
    assert "Checks at submission" in record
    assert (
        f"“ORD-55821” kept as written (order number); the learner\u2019s reason: {reason}" in record
    )
    assert "email replaced with “[email address]”" in record
    assert "Real-work wording, Reflection: “You should”" in record


def test_real_work_warnings_are_shown_with_why_and_do_not_block(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    page = text(learner.client.get(f"/evidence/{item_id}/submit"))
    assert "Real-work check" in page
    assert "<mark>You should</mark> always check the batch." in page
    assert "This reads as advice to someone else" in page
    assert "<mark>I would</mark>" not in page  # "Next time I would" is reflection
    flags = _flags(app, item_id)
    assert [f.text for f in flags if f.check == "real_work"] == ["You should"]


def test_a_dismissal_that_no_longer_matches_is_ignored(
    app: Flask, make: Factory, learner: Learner
) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    order = _flag(app, item_id, "ORD-55821")
    _dismiss(learner.client, item_id, order, version, "Made up for training")
    with app.app_context():
        item = db.session.get(Evidence, item_id)
        assert item is not None
        evidence_services.save_draft(
            item,
            title=item.title,
            sections={**item.draft, "action": ACCOUNT["action"] + " Her order number ORD-99999."},
            claims=item.draft_claims,
            expected_version=item.version,
        )
    orders = [f for f in _flags(app, item_id) if f.kind == "order_number"]
    assert [(f.text, f.dismissed) for f in orders] == [("ORD-99999", False)]


def test_names_typed_elsewhere_and_in_the_title_are_found(
    app: Flask, make: Factory, learner: Learner
) -> None:
    make.evidence(learner.user, title="Call from Priya")  # just a title: no name pattern
    other = make.evidence(learner.user, filled=False)
    with app.app_context():
        item = db.session.get(Evidence, other.id)
        assert item is not None
        evidence_services.save_draft(
            item,
            title="Faulty toaster for Mr Okafor",
            sections={**ACCOUNT, "situation": "The customer, Grace Okafor, rang. " * 8},
            claims=[],
            expected_version=item.version,
        )
    item_id = _planted(app, make, learner, outcome=ACCOUNT["outcome"] + " Grace was pleased.")
    grace = _flag(app, item_id, "Grace")
    assert (grace.kind, grace.label, grace.path) == ("name", "Customer B", "outcome")
    title = [f for f in _flags(app, other.id) if f.path == "title"]
    assert [(f.text, f.label) for f in title] == [("Mr Okafor", "Customer A")]
    with app.app_context():
        found = db.session.get(Evidence, other.id)
        assert found is not None
        check_services.redact_flag(found, title[0].id, found.version)
        assert found.title == "Faulty toaster for Customer A"


def test_a_cell_of_a_rows_section_is_checked_and_fixed(
    app: Flask, make: Factory, learner: Learner
) -> None:
    with app.app_context():
        user = db.session.get(User, learner.user.id)
        assert user is not None
        item = evidence_services.start_evidence(user, "return-authorisation", "pts-a", "RA")
        evidence_services.save_draft(
            item,
            title="RA",
            sections={
                "order_reference": "ORD-55821-913",
                "ra_number": "RA-XXXX-482",
                "items": [{"description": "Kettle for Mrs Patel", "quantity": "1"}],
            },
            claims=[],
            expected_version=item.version,
        )
        result = check_services.check_evidence(item)
        found = [(f.path, f.text) for f in result.personal_data]
        assert found == [
            ("order_reference", "ORD-55821-913"),
            ("items[0].description", "Mrs Patel"),
        ]
        check_services.redact_all(item, item.version)
        assert item.draft["items"][0]["description"] == "Kettle for Customer A"
        assert item.draft["order_reference"] == "[order number]"
        assert item.draft["ra_number"] == "RA-XXXX-482"


def test_submitted_evidence_refuses_check_actions(
    app: Flask, make: Factory, learner: Learner
) -> None:
    submission = make.submission(learner.user)
    response = send(
        learner.client,
        f"/evidence/{submission.evidence_id}/flags/redaction",
        {"version": "1"},
    )
    assert response.status_code == 409
    assert "This evidence cannot be changed" in text(response)


def test_another_learners_draft_is_not_found(app: Flask, make: Factory, learner: Learner) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    email = _flag(app, item_id, "anita.patel@example.com")
    other = app.test_client()
    login(other, make.learner().email)
    assert _redact(other, item_id, email, version).status_code == 404
    assert _dismiss(other, item_id, email, version, "mine").status_code == 404
    assert _load(app, item_id)[1] == version


def test_an_unknown_flag_is_not_found(app: Flask, make: Factory, learner: Learner) -> None:
    item_id = _planted(app, make, learner)
    _, version, _ = _load(app, item_id)
    url = f"/evidence/{item_id}/flags/0123456789abcdef0123/redaction"
    assert send(learner.client, url, {"version": str(version)}).status_code == 404
    assert send(learner.client, url, {}).status_code == 400  # no version: a malformed form
