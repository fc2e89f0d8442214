"""The question bank in the browser, after a question exists: editing and publishing, stale
saves, history, differences and restores, drafts kept from learners, new misconceptions, and
unknown ids."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portfolio.auth.models import Role, User
from portfolio.extensions import db
from portfolio.quizzes import authoring
from portfolio.quizzes.models import Attempt, QuestionStatus
from portfolio.quizzes.spec import question_from_data
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import main_of, read_form, send, text, version_of
from tests.quizzes.authoring_support import (
    CLASSIFY_Q,
    ELEMENT_M,
    MANAGE,
    NEW,
    POINT,
    QUIZ,
    QUIZ_M,
    Tutor,
    edit_values,
    filled,
    load_question,
    signed_in_tutor,
)


@pytest.fixture
def tutor(app: Flask, make: Factory) -> Tutor:
    return signed_in_tutor(app, make)


# --- Editing ------------------------------------------------------------------------------------


def test_the_editor_shows_the_stored_rows_and_two_blank_ones(tutor: Tutor) -> None:
    form = read_form(tutor.client.get(f"{MANAGE}/questions/{CLASSIFY_Q}/edit"))
    assert [form.value(f"categories-{n}-label") for n in range(5)] == [
        "Complaint",
        "Query",
        "Return",
        "",
        "",
    ]
    assert form.value("categories-0-key") == "complaint"
    assert form.value("items-0-category") == "query"
    assert form.value("status") == "published"
    assert form.all("marking_points") == ["pts-a.2"]
    assert form.value("type") is None  # the type is fixed once the question exists


def test_a_tutor_edits_and_publishes_a_new_revision(app: Flask, tutor: Tutor) -> None:
    data = edit_values(tutor.client, CLASSIFY_Q)
    before = load_question(app, CLASSIFY_Q)
    data.update({"stem": "Sort each contact.", "note": "Shorter stem", "action": "save"})
    response = send(tutor.client, f"{MANAGE}/questions/{CLASSIFY_Q}/edit", data)
    assert response.status_code == 302, read_form(response).errors
    after = load_question(app, CLASSIFY_Q)
    assert after.definition["stem"] == "Sort each contact."
    assert after.definition["items"] == before.definition["items"]  # untouched rows kept
    assert after.revisions[-1] == (2, "published", tutor.id, "Shorter stem")
    assert after.version == before.version + 1


def test_a_stale_save_is_refused_showing_both_versions(
    app: Flask, tutor: Tutor, make: Factory
) -> None:
    url = f"{MANAGE}/questions/{CLASSIFY_Q}/edit"
    mine = edit_values(tutor.client, CLASSIFY_Q)
    other = app.test_client()
    login(other, make.user(Role.TUTOR).email)
    theirs = edit_values(other, CLASSIFY_Q)
    theirs.update(stem="Their wording.", action="save")
    assert send(other, url, theirs).status_code == 302

    mine.update(stem="My wording.", action="save")
    response = send(tutor.client, url, mine)
    assert response.status_code == 409
    page = text(response)
    assert "Someone else saved this question while you were editing" in page
    assert "Their wording." in page  # their version, below the form
    assert read_form(response).value("stem") == "My wording."  # mine, kept in the form
    assert load_question(app, CLASSIFY_Q).definition["stem"] == "Their wording."
    # Saving again, knowingly, replaces theirs.
    mine["version"] = version_of(response)
    assert send(tutor.client, url, mine).status_code == 302
    assert load_question(app, CLASSIFY_Q).definition["stem"] == "My wording."


def test_history_revision_diff_and_restore(app: Flask, tutor: Tutor) -> None:
    base = f"{MANAGE}/questions/{CLASSIFY_Q}"
    data = edit_values(tutor.client, CLASSIFY_Q)
    data.update({"categories-2-label": "Return of goods", "status": "draft", "action": "save"})
    assert send(tutor.client, f"{base}/edit", data).status_code == 302

    history = text(tutor.client.get(f"{base}/history"))
    assert "Revision 2</a> (current)" in history and "Tess Tutor" in history
    assert f'href="{base}/diff?from=1&to=2"' in history

    diff = text(tutor.client.get(f"{base}/diff?from=1&to=2"))
    assert '<del><span class="visually-hidden">Removed: </span>status: published</del>' in diff
    assert '<ins><span class="visually-hidden">Added: </span>status: draft</ins>' in diff
    assert "label: Return of goods</ins>" in diff and "label: Return</del>" in diff
    # Newest against the one before. The <main> is compared: the header's sign-out form
    # carries a CSRF token stamped to the second, so two whole pages may differ.
    assert main_of(text(tutor.client.get(f"{base}/diff"))) == main_of(diff)

    revision = text(tutor.client.get(f"{base}/revisions/1"))
    assert "Revision 1 of question q8" in revision and "<li>Return</li>" in revision
    assert "label: Return" in revision  # the file format too

    version = load_question(app, CLASSIFY_Q).version
    response = send(tutor.client, f"{base}/revisions/1/restore", {"version": version})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/history"
    restored = load_question(app, CLASSIFY_Q)
    assert restored.revisions[-1] == (3, "published", tutor.id, "Restored revision 1")
    assert restored.definition["categories"][2]["label"] == "Return"
    # A restore from a history opened before that save is refused.
    stale = send(tutor.client, f"{base}/revisions/2/restore", {"version": version})
    assert "Nothing was restored" in text(tutor.client.get(stale.headers["Location"]))
    assert len(load_question(app, CLASSIFY_Q).revisions) == 3


def test_drafts_are_not_given_to_learners_until_published(
    app: Flask, tutor: Tutor, make: Factory
) -> None:
    assert send(tutor.client, f"{NEW}?type=true_false", filled(tutor.client, "true_false"))
    new_id = f"{QUIZ}.q10"

    def learner_is_given_it() -> bool:
        learner = make.learner()
        client = app.test_client()
        login(client, learner.email)
        response = send(client, f"/quizzes/{QUIZ}/attempts", {"mode": "practice"})
        assert response.status_code == 302
        with app.app_context():
            attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner.id))
            assert attempt is not None
            return new_id in [entry["question"] for entry in attempt.layout]

    assert not learner_is_given_it()
    data = edit_values(tutor.client, new_id)
    data.update(status="published", action="save")
    assert send(tutor.client, f"{MANAGE}/questions/{new_id}/edit", data).status_code == 302
    assert learner_is_given_it()


# --- Misconceptions -----------------------------------------------------------------------------


def test_a_tutor_adds_a_misconception_and_can_then_name_it(app: Flask, tutor: Tutor) -> None:
    url = f"{MANAGE}/{QUIZ}/misconceptions"
    described = "Believing a gift receipt gives no rights"
    # The bank says how many the quiz has and links to their page, which holds the form.
    bank = text(tutor.client.get(f"{MANAGE}?quiz={QUIZ}"))
    assert f'href="{url}">See and add misconceptions' in bank
    before = text(tutor.client.get(url))
    assert "<h1>Misconceptions of “Customer rights and returns”</h1>" in before
    counted = re.search(r"([\d,]+) misconceptions?\.", before)
    assert counted is not None
    response = send(tutor.client, url, {"text": described})
    assert response.status_code == 302
    assert response.headers["Location"] == url
    new_id = f"{QUIZ}.m-believing-a-gift-receipt-gives-no-rights"
    after = text(tutor.client.get(url))
    assert new_id in after and f"Added the misconception {new_id}" in after
    assert f"{int(counted.group(1)) + 1} misconceptions." in after
    assert f'value="{new_id}"' in text(tutor.client.get(f"{NEW}?type=true_false"))

    again = send(tutor.client, url, {"text": described.upper()})
    assert again.status_code == 422
    form = read_form(again)
    assert "already has that misconception" in form.errors["text"]
    assert '<a href="#text">' in text(again)  # from the summary at the top
    kept = re.search(r'<input[^>]*id="text"[^>]*value="([^"]*)"', text(again))
    assert kept and kept.group(1) == described.upper()  # what the tutor typed, kept
    empty = read_form(send(tutor.client, url, {"text": "  "}))
    assert empty.errors["text"].endswith("Describe the misconception.")


# --- Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{MANAGE}/no-such-quiz/questions/new?type=single",
        f"{MANAGE}/questions/{QUIZ}.q999/edit",
        f"{MANAGE}/questions/{QUIZ}.q999/history",
        f"{MANAGE}/questions/{QUIZ}.q999/revisions/1",
        f"{MANAGE}/questions/{CLASSIFY_Q}/revisions/99",
        f"{MANAGE}/questions/{QUIZ}.q999/diff",
        f"{MANAGE}/questions/{CLASSIFY_Q}/diff?from=1&to=99",
    ],
)
def test_unknown_ids_are_not_found(tutor: Tutor, path: str) -> None:
    assert tutor.client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"{MANAGE}/no-such-quiz/misconceptions",
        f"{MANAGE}/questions/{QUIZ}.q999/revisions/1/restore",
        f"{MANAGE}/questions/{CLASSIFY_Q}/revisions/99/restore",
    ],
)
def test_posting_to_unknown_ids_is_not_found(tutor: Tutor, path: str) -> None:
    assert send(tutor.client, path, {"text": "x", "version": "1"}).status_code == 404


def test_a_question_made_by_a_tutor_round_trips_through_the_editor(
    app: Flask, tutor: Tutor
) -> None:
    """Opening a saved question and saving it untouched stores the same definition."""
    with app.app_context():
        author = db.session.get(User, tutor.id)
        quiz = authoring.get_quiz(QUIZ)
        assert author is not None and quiz is not None
        spec = question_from_data(
            {
                "id": "x",
                "type": "order",
                "scenario": "A customer phones.",
                "stem": "Order these.",
                "marking_points": [POINT, "pts-a.3"],
                "steps": [{"id": f"s{n}", "text": f"Step {n}"} for n in (1, 2, 3, 4)],
                "explanation": "Because.",
                "misconception": ELEMENT_M,
                "mistakes": [
                    {"placed": "s4", "before": "s2", "misconception": QUIZ_M, "explanation": "No."}
                ],
            }
        )
        made = authoring.create_question(author, quiz, spec, QuestionStatus.PUBLISHED)
        question_id, definition = made.id, made.definition
    data = edit_values(tutor.client, question_id)
    data["action"] = "save"
    assert send(tutor.client, f"{MANAGE}/questions/{question_id}/edit", data).status_code == 302
    assert load_question(app, question_id).definition == definition
