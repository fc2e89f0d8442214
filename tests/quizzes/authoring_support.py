"""Shared by the question bank's view tests: its addresses, a signed-in tutor, questions as
the database holds them, and the editor's forms filled in as a tutor would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role
from portfolio.extensions import db
from portfolio.quizzes.models import Question, QuestionStatus
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form

QUIZ = "pts-a-rights"  # element pts-a, questions q1..q9
POINT = "pts-a.1"
ELEMENT_M = "pts-a.m1"  # a misconception of the element, from the rubric
QUIZ_M = "pts-a-rights.m-clock-at-payment"  # one of the quiz's own
OTHER_QUIZ_M = "pts-a-law.m-trader-chooses-remedy"  # another quiz's own: not allowed here
MANAGE = "/quizzes/manage"
NEW = f"{MANAGE}/{QUIZ}/questions/new"
CLASSIFY_Q = f"{QUIZ}.q8"  # classify: 3 categories, imported from the file


@dataclass(frozen=True)
class Stored:
    kind: str
    status: QuestionStatus
    definition: dict[str, Any]
    version: int
    revisions: list[tuple[int, str, int | None, str]]  # number, status, author, note


def find_question(app: Flask, question_id: str) -> Stored | None:
    with app.app_context():
        q = db.session.get(Question, question_id)
        if q is None:
            return None
        return Stored(
            q.kind.value,
            q.status,
            q.definition,
            q.version,
            [(r.number, r.status.value, r.author_id, r.note) for r in q.revisions],
        )


def load_question(app: Flask, question_id: str) -> Stored:
    found = find_question(app, question_id)
    assert found is not None, question_id
    return found


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Question)) or 0


@dataclass
class Tutor:
    client: FlaskClient
    id: int


def signed_in_tutor(app: Flask, make: Factory) -> Tutor:
    """A tutor, signed in on a client of their own."""
    user = make.user(Role.TUTOR, name="Tess Tutor")
    client = app.test_client()
    login(client, user.email)
    return Tutor(client, user.id)


def values(page: Any) -> dict[str, Any]:
    """What a form would send untouched, as a browser would send it."""
    values = read_form(page).values
    values.pop("csrf_token", None)
    return {name: v if len(v) > 1 else v[0] for name, v in values.items()}


def filled(client: FlaskClient, kind: str) -> dict[str, Any]:
    """The new-question form of `kind`, filled in as a tutor would: a valid question."""
    data = values(client.get(f"{NEW}?type={kind}"))
    data.update(stem=f"A new {kind} question?", marking_points=[POINT], action="save")
    if kind in ("single", "multiple"):
        data.update(
            {
                "options-0-text": "Repair or replacement",
                "options-0-correct": "y",
                "options-0-explanation": "Right.",
                "options-1-text": "A full refund",
                "options-1-misconception": QUIZ_M,
                "options-1-explanation": "Not after 30 days.",
            }
        )
        if kind == "multiple":
            data.update(
                {
                    "options-2-text": "Nothing at all",
                    "options-2-misconception": ELEMENT_M,
                    "options-2-explanation": "Rights remain.",
                }
            )
    elif kind == "true_false":
        data.update(answer="false", explanation="It is false.", misconception=QUIZ_M)
    elif kind == "order":
        for n, step in enumerate(("Listen", "Check the receipt", "Offer the remedy")):
            data[f"steps-{n}-text"] = step
        data.update(
            {
                "explanation": "Listen, check, offer.",
                "misconception": ELEMENT_M,
                "mistakes-0-placed": data["steps-2-key"],
                "mistakes-0-before": data["steps-0-key"],
                "mistakes-0-misconception": QUIZ_M,
                "mistakes-0-explanation": "Offering first skips listening.",
            }
        )
    else:
        data.update({"categories-0-label": "Complaint", "categories-1-label": "Query"})
        for n, (item, category, m) in enumerate(
            [("I am cross", 0, QUIZ_M), ("When do you close?", 1, ELEMENT_M)]
        ):
            data.update(
                {
                    f"items-{n}-text": item,
                    f"items-{n}-category": data[f"categories-{category}-key"],
                    f"items-{n}-misconception": m,
                    f"items-{n}-explanation": f"Because {n}.",
                }
            )
    return data


def edit_values(client: FlaskClient, question_id: str) -> dict[str, Any]:
    """What the edit page's form would send untouched."""
    return values(client.get(f"{MANAGE}/questions/{question_id}/edit"))
