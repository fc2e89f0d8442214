"""The question bank in the browser: the list, creating each type through its form, faults
shown next to the field with the input kept, adding rows and previewing without saving."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for

from portfolio.core.links import path_links
from portfolio.quizzes.authoring_views import question_addresses
from portfolio.quizzes.models import QuestionStatus
from portfolio.quizzes.spec import question_from_data
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text
from tests.quizzes.authoring_support import (
    CLASSIFY_Q,
    MANAGE,
    NEW,
    OTHER_QUIZ_M,
    POINT,
    QUIZ,
    QUIZ_M,
    Tutor,
    count,
    filled,
    find_question,
    load_question,
    signed_in_tutor,
)


@pytest.fixture
def tutor(app: Flask, make: Factory) -> Tutor:
    return signed_in_tutor(app, make)


# --- The bank -----------------------------------------------------------------------------------


def test_the_banks_addresses_are_url_fors(app: Flask) -> None:
    """The bank builds each row's links from one url_for per kind of link: the same text."""
    ids = [
        "pts-a-rights.q1",
        "pts-a.q-2",
        "odd id/with?#&%=+@:;,!$'()*~é",
        "IDMARK0IDMARK",
        "987654321987",
        "{}",
    ]
    with app.test_request_context("/quizzes/manage"):
        expected = {
            i: (
                url_for("quizzes.question_edit", question_id=i),
                url_for("quizzes.question_history", question_id=i),
            )
            for i in ids
        }
        assert question_addresses(ids) == expected
        assert path_links("quizzes.send", "misconception_id", ids) == {
            i: url_for("quizzes.send", misconception_id=i) for i in ids
        }


def test_the_bank_lists_every_quiz_and_question(app: Flask, tutor: Tutor) -> None:
    page = text(tutor.client.get(MANAGE))
    assert "<h1>Question bank</h1>" in page
    assert "Customer rights and returns" in page
    assert f'href="{MANAGE}/questions/{CLASSIFY_Q}/edit"' in page
    assert f'href="{MANAGE}/questions/{CLASSIFY_Q}/history"' in page
    assert "Classify" in page and "True or false" in page and "Quiz file" in page
    assert f'action="{NEW}"' in page  # the type choice for a new question
    assert f'href="{MANAGE}/pts-a-rights/misconceptions">See and add misconceptions' in page
    # Tutors reach it from the main navigation.
    assert f'<a href="{MANAGE}">Question bank</a>' in page


def test_without_a_type_the_tutor_chooses_one(tutor: Tutor) -> None:
    page = text(tutor.client.get(NEW))
    for kind in ("single", "multiple", "true_false", "order", "classify"):
        assert f'href="{NEW}?type={kind}"' in page
    assert tutor.client.get(f"{NEW}?type=essay").status_code == 400


# --- Creating -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["single", "multiple", "true_false", "order", "classify"])
def test_a_tutor_creates_each_type(app: Flask, tutor: Tutor, kind: str) -> None:
    data = filled(tutor.client, kind)
    response = send(tutor.client, f"{NEW}?type={kind}", data)
    assert response.status_code == 302, read_form(response).errors
    # To the bank narrowed to the quiz, so its section is on the page whatever its size.
    assert response.headers["Location"] == f"{MANAGE}?quiz={QUIZ}#quiz-{QUIZ}"
    stored = load_question(app, f"{QUIZ}.q10")
    assert (stored.kind, stored.status) == (kind, QuestionStatus.DRAFT)
    assert stored.revisions == [(1, "draft", tutor.id, "Created")]
    definition = stored.definition
    assert definition["stem"] == f"A new {kind} question?"
    assert definition["marking_points"] == [POINT]
    spec = question_from_data(definition)
    if kind in ("single", "multiple"):
        assert [(o.id, o.correct, o.misconception) for o in spec.choices][:2] == [
            ("a", True, None),
            ("b", False, QUIZ_M),
        ]
    elif kind == "order":
        assert [s.text for s in spec.choices] == ["Listen", "Check the receipt", "Offer the remedy"]
        [mistake] = spec.mistakes
        assert (mistake.placed, mistake.before) == (spec.choices[2].id, spec.choices[0].id)
    elif kind == "classify":
        assert [c.label for c in spec.categories] == ["Complaint", "Query"]
        assert [i.category for i in spec.choices] == [c.id for c in spec.categories]
    else:
        assert (spec.answer, spec.misconception) == (False, QUIZ_M)
    shown = text(tutor.client.get(response.headers["Location"]))
    assert "Created question q10 in “Customer rights and returns” (draft)." in shown


BAD = [
    ("single", {"stem": ""}, "stem", "Enter the "),
    ("single", {"marking_points": []}, "marking_points", "name at least one marking point"),
    ("single", {"options-1-text": ""}, "options-1-text", "Enter the "),
    ("single", {"options-1-misconception": ""}, "options-1", "must name the misconception"),
    (
        "single",
        {"options-1-correct": "y", "options-1-misconception": ""},
        "options",
        "exactly one correct option",
    ),
    ("multiple", {"options-1-correct": "y", "options-2-correct": "y"}, "options", "one wrong"),
    ("true_false", {"answer": ""}, "answer", "'answer' must be true or false"),
    ("true_false", {"misconception": ""}, "misconception", "Choose the "),
    ("order", {"steps-1-text": "listen"}, "steps", "a learner cannot tell them apart"),
    ("order", {"explanation": ""}, "explanation", "Enter the "),
    ("order", {"mistakes-0-placed": "s1", "mistakes-0-before": "s3"}, "mistakes-0", "already"),
    ("classify", {"items-1-category": ""}, "items-1-category", "Choose the right category."),
    ("classify", {"categories-1-label": ""}, "categories", "between 2 and 4 entries, not 1"),
    ("classify", {"items-0-misconception": OTHER_QUIZ_M}, "items-0-misconception", "unknown"),
    ("classify", {"items-0-explanation": ""}, "items-0-explanation", "Enter the "),
]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"), BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD]
)
def test_bad_input_is_shown_next_to_its_field_and_kept(
    app: Flask, tutor: Tutor, kind: str, changes: dict[str, Any], field: str, message: str
) -> None:
    data = {**filled(tutor.client, kind), **changes}
    if "marking_points" in changes and not changes["marking_points"]:
        del data["marking_points"]
    before = count(app)
    response = send(tutor.client, f"{NEW}?type={kind}", data)
    assert response.status_code == 422
    form = read_form(response)
    assert message in form.errors.get(field, ""), form.errors
    assert set(form.errors) == {field}, form.errors
    page = text(response)
    assert "There is a problem" in page and f'href="#{field}"' in page
    # What was typed is still there to correct.
    assert form.value("stem") == data["stem"]
    for name, value in data.items():
        if name.endswith(("-text", "-label", "-explanation")) and value:
            assert form.value(name) == value, name
    assert count(app) == before


def test_blank_rows_are_ignored_and_a_fault_points_at_its_own_row(app: Flask, tutor: Tutor) -> None:
    data = filled(tutor.client, "classify")
    # The second item row is left blank; a third row, missing its category, follows it.
    moved = {k.replace("items-1-", "items-2-"): v for k, v in data.items() if "items-1-" in k}
    data.update({k.replace("items-2-", "items-1-"): "" for k in moved})
    data.update(moved, **{"items-2-category": ""})
    form = read_form(send(tutor.client, f"{NEW}?type=classify", data))
    assert set(form.errors) == {"items-2-category"}, form.errors
    assert form.value("items-2-text") == "When do you close?"
    data["items-2-category"] = data["categories-1-key"]
    assert send(tutor.client, f"{NEW}?type=classify", data).status_code == 302
    items = load_question(app, f"{QUIZ}.q10").definition["items"]
    assert [i["text"] for i in items] == ["I am cross", "When do you close?"]


def test_another_row_is_added_and_what_was_typed_kept(app: Flask, tutor: Tutor) -> None:
    data = filled(tutor.client, "classify")
    before = count(app)
    response = send(tutor.client, f"{NEW}?type=classify", {**data, "action": "add:items"})
    assert response.status_code == 200
    form = read_form(response)
    assert not form.errors
    assert form.value("items-0-text") == "I am cross"
    assert form.value("categories-1-label") == "Query"
    assert form.value("items-2-text") == ""  # the new blank row
    assert form.value("items-2-key") not in (data["items-0-key"], data["items-1-key"])
    assert form.value("categories-2-label") is None  # only the list asked for grew
    assert 'Add another row<span class="visually-hidden"> to Items to sort' in text(response)
    assert count(app) == before
    assert (
        send(tutor.client, f"{NEW}?type=classify", {**data, "action": "add:x"}).status_code == 400
    )


def test_preview_shows_the_learners_view_and_saves_nothing(app: Flask, tutor: Tutor) -> None:
    data = filled(tutor.client, "classify")
    before = count(app)
    response = send(tutor.client, f"{NEW}?type=classify", {**data, "action": "preview"})
    assert response.status_code == 200
    page = text(response)
    assert "Preview (not saved)" in page
    assert "<legend>1. A new classify question?</legend>" in page  # the learner's macro
    assert "<legend>I am cross</legend>" in page
    assert read_form(response).value("items-1-text") == "When do you close?"
    assert count(app) == before
    bad = send(tutor.client, f"{NEW}?type=classify", {**data, "stem": "", "action": "preview"})
    assert bad.status_code == 422 and "Preview (not saved)" not in text(bad)


def test_saving_needs_a_csrf_token(app: Flask, tutor: Tutor) -> None:
    data = filled(tutor.client, "single")
    response = tutor.client.post(f"{NEW}?type=single", data=data)
    assert response.status_code == 400
    assert find_question(app, f"{QUIZ}.q10") is None


def test_learners_see_no_question_bank_link(app: Flask, make: Factory) -> None:
    client = app.test_client()
    login(client, make.learner().email)
    assert "Question bank" not in text(client.get("/"))
