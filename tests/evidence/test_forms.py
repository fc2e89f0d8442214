"""Evidence forms built from the type files, through the pages: every shipped type renders,
saves and comes back as typed; rows are added and blank ones dropped; bad dates and numbers
are kept and reported beside their field; over-long input is refused and changes nothing;
and submitted values are shown formatted to the assessor and in the PDF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.auth.models import Role, User
from portfolio.data import DataSet
from portfolio.evidence.models import Evidence, Submission
from portfolio.evidence.spec import EvidenceTypeSpec, FieldType, SectionSpec
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
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


def _start(client: FlaskClient, type_id: str, title: str = "My evidence") -> int:
    response = send(
        client, "/evidence/", {"title": title, "type_id": type_id, "element_id": "pts-a"}
    )
    assert response.status_code == 302, text(response)
    match = re.fullmatch(r"/evidence/(\d+)/edit", response.headers["Location"])
    assert match
    return int(match.group(1))


def _draft(app: Flask, evidence_id: int) -> tuple[dict[str, Any], int]:
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        return dict(item.draft), item.version


def _save(client: FlaskClient, evidence_id: int, data: dict[str, object], **extra: object):  # type: ignore[no-untyped-def]
    url = f"/evidence/{evidence_id}/edit"
    version = version_of(client.get(url))
    posted = {"title": "My evidence", "claims": ["pts-a.4"], "next": "save", **data, **extra}
    return send(client, url, {**posted, "version": version})


# --- A value of each type, as a learner would type it ------------------------------------------


def _value(field: SectionSpec) -> str | list[str]:
    kind = field.type
    if field.is_text:
        return " ".join(["typed"] * max(field.min_words, 1))
    if kind is FieldType.CHOICE:
        return field.options[-1].id
    if kind is FieldType.MULTI_CHOICE:
        return [o.id for o in field.options[:2]]
    if kind is FieldType.DATE:
        return "2026-03-14"
    if kind is FieldType.NUMBER:
        return "2"
    if kind is FieldType.MONEY:
        return "12.50"
    return "yes"


def _typed(spec: EvidenceTypeSpec) -> tuple[dict[str, object], dict[str, Any]]:
    """(form data, the draft it should be stored as)."""
    data: dict[str, object] = {}
    draft: dict[str, Any] = {}
    for section in spec.sections:
        if section.type is FieldType.ROWS:
            rows = []
            for n in range(max(section.min_rows, 1)):
                row = {c.id: _value(c) for c in section.columns}
                data.update({f"{section.id}-{n}-{k}": v for k, v in row.items()})
                rows.append(row)
            draft[section.id] = rows
        else:
            data[section.id] = draft[section.id] = _value(section)
    return data, draft


def _types(shipped_data: DataSet) -> dict[str, EvidenceTypeSpec]:
    return {t.id: t for t in shipped_data.evidence_types}


SHIPPED = [
    "reflective-account",
    "return-authorisation",
    "service-interaction-log",
    "complaint-handling-record",
    "feedback-review",
]


@pytest.mark.parametrize("type_id", SHIPPED)
def test_each_shipped_type_renders_saves_comes_back_and_submits(
    app: Flask, learner: Learner, shipped_data: DataSet, type_id: str
) -> None:
    spec = _types(shipped_data)[type_id]
    evidence_id = _start(learner.client, type_id)
    url = f"/evidence/{evidence_id}/edit"
    page = learner.client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for section in spec.sections:
        assert f'id="{section.id}"' in html, section.id  # every section has its field
        assert section.label in text(html)
    data, draft = _typed(spec)

    assert _save(learner.client, evidence_id, data).status_code == 302
    stored, _ = _draft(app, evidence_id)
    assert stored == draft
    form = read_form(learner.client.get(url))
    for name, value in data.items():
        assert form.all(name) == (value if isinstance(value, list) else [value]), name

    submit = learner.client.get(f"/evidence/{evidence_id}/submit")
    assert "Fix these before you submit" not in text(submit), text(submit)
    declared = send(
        learner.client,
        f"/evidence/{evidence_id}/submit",
        {"confirm": "y", "declared_name": NAME, "version": version_of(submit)},
    )
    assert declared.status_code == 302, text(declared)
    with app.app_context():
        submission = db.session.scalar(
            select(Submission).where(Submission.evidence_id == evidence_id)
        )
        assert submission is not None and submission.content == draft


def test_the_choices_of_a_type_are_offered_when_starting(learner: Learner) -> None:
    form = text(learner.client.get("/evidence/"))
    for title in ("Reflective account", "Return authorisation form", "Feedback review"):
        assert f">{title}</option>" in form


def test_every_field_has_a_hint_from_its_prompt_guidance_and_limits(learner: Learner) -> None:
    evidence_id = _start(learner.client, "return-authorisation")
    html = text(learner.client.get(f"/evidence/{evidence_id}/edit"))

    def hint(field_id: str) -> str:
        match = re.search(rf'<p class="hint" id="{re.escape(field_id)}-hint">(.*?)</p>', html)
        assert match, field_id
        return match.group(1)

    assert hint("ra_number") == (
        "The return authorisation number from the form or the returns system. "
        "Keep only the last three characters, for example RA-XXXX-482. (Up to 5 words.)"
    )
    assert hint("reason_details").endswith("(10 to 200 words.)")
    assert hint("refund_date").endswith("For example, 14/3/2026.")
    assert hint("items-0-quantity") == "A number from 1 to 999."
    assert hint("items-0-price") == "In pounds and pence, for example 24.99."
    assert "up to 10" in hint("items")
    assert re.search(r"<label for=\"refund_date\">Refund date \(optional\)</label>", html)
    assert re.search(r'aria-describedby="items-0-price-hint"[^>]*inputmode="decimal"', html)


# --- Rows --------------------------------------------------------------------------------------

ROW = {
    "contact_date": "2026-03-02",
    "channel": "email",
    "request": "Asked for the returns address.",
    "classification": "query",
    "classification_reason": "A request for information, with no sign of unhappiness.",
    "time_received": "09:05",
    "time_answered": "09:40",
    "sla_met": "yes",
    "escalated": "no",
    "next_step": "Answered by email",
}


def _row(n: int, **cells: str) -> dict[str, str]:
    return {f"interactions-{n}-{k}": v for k, v in {**ROW, **cells}.items()}


def test_add_a_row_saves_and_comes_back_with_another_blank_row(
    app: Flask, learner: Learner
) -> None:
    evidence_id = _start(learner.client, "service-interaction-log")
    url = f"/evidence/{evidence_id}/edit"
    first = read_form(learner.client.get(url))
    assert first.value("interactions-0-request") == ""  # one blank row to fill in
    assert first.value("interactions-1-request") is None

    response = _save(learner.client, evidence_id, _row(0), add_row="interactions")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}?add=interactions&blank=1#interactions-1"
    stored, _ = _draft(app, evidence_id)
    assert stored["interactions"] == [ROW]
    page = learner.client.get(response.headers["Location"])
    assert "A blank row has been added to Interactions." in text(page)
    form = read_form(page)
    assert form.value("interactions-0-request") == ROW["request"]
    assert form.all("interactions-0-channel") == ["email"]
    assert form.value("interactions-1-request") == ""
    assert form.value("interactions-2-request") is None

    # Adding again with the blank row still blank: one more blank row, none saved.
    blank = {f"interactions-1-{k}": "" for k in ("request", "classification_reason")}
    response = _save(learner.client, evidence_id, {**_row(0), **blank}, add_row="interactions")
    assert "blank=2" in response.headers["Location"]
    form = read_form(learner.client.get(response.headers["Location"]))
    assert form.value("interactions-2-request") == ""
    assert _draft(app, evidence_id)[0]["interactions"] == [ROW]


def test_blank_rows_are_dropped_on_save_and_the_rest_keep_their_order(
    app: Flask, learner: Learner
) -> None:
    evidence_id = _start(learner.client, "service-interaction-log")
    posted = {
        "interactions-0-request": "",
        "interactions-0-time_received": "",
        **_row(1, request="First"),
        "interactions-2-request": "  ",  # spaces only: blank too
        "interactions-2-time_received": "",
        **_row(3, request="Second"),
    }
    assert _save(learner.client, evidence_id, posted).status_code == 302
    stored, _ = _draft(app, evidence_id)
    assert [r["request"] for r in stored["interactions"]] == ["First", "Second"]
    form = read_form(learner.client.get(f"/evidence/{evidence_id}/edit"))
    assert form.value("interactions-0-request") == "First"
    assert form.value("interactions-1-request") == "Second"
    assert form.value("interactions-2-request") == ""


def test_no_blank_row_or_add_button_once_the_maximum_is_reached(
    app: Flask, learner: Learner
) -> None:
    evidence_id = _start(learner.client, "feedback-review")  # at most 6 methods
    rows: dict[str, object] = {}
    for n in range(6):
        rows |= {f"methods-{n}-method": "complaint_log", f"methods-{n}-how": f"Way {n}"}
    assert _save(learner.client, evidence_id, rows).status_code == 302
    page = learner.client.get(f"/evidence/{evidence_id}/edit")
    form = read_form(page)
    assert form.value("methods-5-how") == "Way 5" and form.value("methods-6-how") is None
    assert 'value="methods"' not in page.get_data(as_text=True)  # no "Add a row" button


# --- Bad input ---------------------------------------------------------------------------------

RA_TYPED = {
    "ra_number": "RA-XXXX-482",
    "delivered_on": "2026-03-02",
    "returned_on": "31/02/2026",
    "items-0-description": "Kettle",
    "items-0-quantity": "about 3",
    "items-0-price": "£24.999",
    "items-0-condition": "damaged",
    "reason": "fault",
    "refund_amount": "£24.99",
    "refund_date": "14 March 2026",
}


def test_bad_dates_and_numbers_are_kept_and_reported_beside_their_field(
    app: Flask, learner: Learner
) -> None:
    evidence_id = _start(learner.client, "return-authorisation")
    url = f"/evidence/{evidence_id}/edit"
    assert _save(learner.client, evidence_id, RA_TYPED).status_code == 302
    stored, _ = _draft(app, evidence_id)
    assert stored["returned_on"] == "31/02/2026" and stored["items"][0]["quantity"] == "about 3"
    form = read_form(learner.client.get(url))
    for name in ("returned_on", "items-0-quantity", "items-0-price", "refund_date"):
        assert form.value(name) == RA_TYPED[name]  # kept exactly as typed

    submit = learner.client.get(f"/evidence/{evidence_id}/submit")
    shown = read_form(submit).errors
    assert "must be a real date, like 14/3/2026." in shown["returned_on"]
    assert "Item 1: Quantity must be a number, like 12." in shown["items"]
    assert "Item 1: Price paid each must be an amount in pounds and pence" in shown["items"]
    assert "refund_date" not in shown  # "14 March 2026" is a real date
    page = text(submit)
    assert f'href="{url}?check=1#items-0-quantity"' in page
    assert "14 March 2026" in page and "£24.99" in page and "Faulty" in page
    refused = send(
        learner.client,
        f"/evidence/{evidence_id}/submit",
        {"confirm": "y", "declared_name": NAME, "version": version_of(submit)},
    )
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Submission)).all() == []

    # Following a problem's link: the edit page shows each one beside its field.
    checked = learner.client.get(f"{url}?check=1")
    assert checked.status_code == 200
    errors = read_form(checked).errors
    assert "Quantity must be a number" in errors["items-0-quantity"]
    assert "must be a real date" in errors["returned_on"]
    assert "Outcome" in errors["outcome"]
    html = checked.get_data(as_text=True)
    # A typed date a picker cannot show is offered as text, so it is not blanked.
    assert re.search(r'id="returned_on"[^>]*type="text"', html)
    assert re.search(r'id="delivered_on"[^>]*type="date"', html)


def _too_many_rows() -> dict[str, object]:
    rows: dict[str, object] = {}
    for n in range(7):
        rows |= {f"methods-{n}-method": "complaint_log", f"methods-{n}-how": f"Way {n}"}
    return rows


@pytest.mark.parametrize(
    ("type_id", "typed", "field", "message"),
    [
        (
            "return-authorisation",
            {"ra_number": "RA " * 40},
            "ra_number",
            "Field cannot be longer than 60 characters (about 5 words). Nothing was saved",
        ),
        (
            "service-interaction-log",
            _row(0, classification_reason="because " * 200),
            "interactions-0-classification_reason",
            "Field cannot be longer than 960 characters",
        ),
        (
            "return-authorisation",
            {"refund_date": "the fourteenth of March in the year 2026!!"},
            "refund_date",
            "This is too long to be a date: at most 40 characters. Nothing was saved.",
        ),
        (
            "return-authorisation",
            {"items-0-price": "9" * 41},
            "items-0-price",
            "This is too long to be an amount",
        ),
        ("return-authorisation", {"reason": "hacked"}, "reason", "Choose from the options shown."),
        (
            "service-interaction-log",
            _row(0, channel="carrier-pigeon"),
            "interactions-0-channel",
            "Choose from the options shown.",
        ),
        ("feedback-review", _too_many_rows(), "methods", "can have at most 6 rows; remove 1."),
    ],
    ids=["text", "row-cell", "date", "money-cell", "choice", "row-choice", "rows"],
)
def test_bad_input_is_refused_beside_its_field_and_changes_nothing(
    app: Flask, learner: Learner, type_id: str, typed: dict[str, object], field: str, message: str
) -> None:
    evidence_id = _start(learner.client, type_id)
    before = _draft(app, evidence_id)
    response = _save(learner.client, evidence_id, typed)
    assert response.status_code == 422
    form = read_form(response)
    assert message in form.errors[field]
    summary = re.search(r'class="error-summary".*?</div>', text(response), re.S)
    assert summary is not None and message in summary.group(0)  # in the summary too
    # Everything typed is still there (a radio cannot show a value no option has).
    for name, value in typed.items():
        if not (name == field and "options" in message):
            assert form.value(name) == value, name
    assert _draft(app, evidence_id) == before


# --- Shown everywhere ----------------------------------------------------------------------------


def test_submitted_content_is_shown_formatted_to_the_assessor_and_in_the_pdf(
    app: Flask, learner: Learner, shipped_data: DataSet
) -> None:
    spec = _types(shipped_data)["return-authorisation"]
    data, _ = _typed(spec)
    data |= {"reason": "not_as_described", "refund_amount": "1200", "refund_date": "3/3/2026"}
    evidence_id = _start(learner.client, "return-authorisation", "Toaster return")
    assert _save(learner.client, evidence_id, data).status_code == 302
    submit = learner.client.get(f"/evidence/{evidence_id}/submit")
    declared = send(
        learner.client,
        f"/evidence/{evidence_id}/submit",
        {"confirm": "y", "declared_name": NAME, "version": version_of(submit)},
    )
    assert declared.status_code == 302

    assessor = app.test_client()
    login(assessor, learner.assessor.email)
    with app.app_context():
        submission = db.session.scalar(select(Submission))
        assert submission is not None
        from portfolio.export.services import portfolio_html

        user = db.session.get(User, learner.user.id)
        assert user is not None
        pdf_html = portfolio_html(user)
    pages = [
        text(assessor.get(f"/assessment/submissions/{submission.id}")),
        text(assessor.get(f"/assessment/evidence/{evidence_id}")),
        text(pdf_html),
    ]
    for page in pages:
        assert "Not as described" in page  # the option's label, not its id
        assert "£1,200.00" in page and "3 March 2026" in page and "14 March 2026" in page
        assert '<th scope="col">Quantity</th>' in page  # rows as a table with headers
        assert '<td class="pre">£12.50</td>' in page
        assert "not_as_described" not in page
