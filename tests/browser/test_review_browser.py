"""Acceptance, in real Chromium: a learner practises a quiz and gets a question wrong, reads the
misconception behind it with a page to revise, and finds it on My misconceptions; the tutor sees
it in the quiz analytics; a day later the learner is asked it again in a review, answers right,
and it leaves the list, which the tutor's analytics show too. axe-core runs on every page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portfolio.auth.models import User
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.marking import right_answer
from portfolio.quizzes.models import Attempt, AttemptMode, HeldMisconception
from portfolio.quizzes.spec import QuestionKind, QuestionSpec
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.browser.test_journey_browser import QUIZ_ANSWERS, WRONG_Q1_MISCONCEPTION, answer
from tests.factories import Factory
from tests.quizzes.support import right, wrong

pytestmark = pytest.mark.browser

QUIZ = "pts-a-rights"
TITLE = "Customer rights and returns"
MISCONCEPTION_ID = "pts-a-rights.m-clock-at-payment"
Q1_STEM = "On which day does the 30-day"

# Classmates who finished the test before: the question numbers each got wrong. One holds the
# same misconception as our learner (question 1); scores 3, 4, 6, 7, 9, 9 leave our learner
# (8 of 9) in the middle, so the top and bottom 27% (two attempts each of seven) are certain:
# question 1 is right for both at the top and one of the two at the bottom.
CLASSMATES = [{1, 2, 3, 4, 5, 6}, {2, 3, 4, 5, 6}, {2, 3, 4}, {5, 6}, set(), set()]


def _seed_classmates(server: LiveServer) -> None:
    make = Factory(server.app)
    with server.app.app_context():
        quiz = quizzes.get_quiz(QUIZ)
        assert quiz is not None
        for wrong_numbers in CLASSMATES:
            person = db.session.get(User, make.learner().id)
            assert person is not None
            responses = {}
            for n, question in enumerate(quiz.questions, start=1):
                spec = question.spec
                if n not in wrong_numbers:
                    responses[question.id] = right(spec)
                elif n == 1:
                    responses[question.id] = wrong(spec, MISCONCEPTION_ID, only=True)
                else:
                    responses[question.id] = wrong(spec)
            attempt = quizzes.start_attempt(person, quiz, AttemptMode.TEST)
            quizzes.submit_attempt(attempt, responses)


def _move_time_on(server: LiveServer, days: int = 1) -> None:
    """A day passes for the learner: what they were shown, and when it falls due, move back."""
    with server.app.app_context():
        rows = db.session.scalars(
            select(HeldMisconception).where(HeldMisconception.user_id == server.users.learner.id)
        ).all()
        assert [r.misconception_id for r in rows] == [MISCONCEPTION_ID]
        for row in rows:
            assert row.due_at is not None
            row.due_at -= timedelta(days=days)
            row.last_seen_at -= timedelta(days=days)
        db.session.commit()


def _review_question(server: LiveServer, url: str) -> QuestionSpec:
    attempt_id = int(url.rstrip("/").rsplit("/", 1)[1])
    with server.app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None and attempt.mode is AttemptMode.REVIEW
        (shown,) = quizzes.shown_questions(attempt)
        return shown.spec


def _enter(page: Page, spec: QuestionSpec, response: dict[str, Any]) -> None:
    """Give `response` by label and role, as a learner who has revised would."""
    question = page.get_by_role("group", name=re.compile(re.escape(spec.stem[:40])))
    text = {c.id: c.text for c in spec.choices}
    if spec.kind is QuestionKind.TRUE_FALSE:
        name = "True" if response["choice"] == "true" else "False"
        question.get_by_role("radio", name=name, exact=True).check()
    elif spec.kind is QuestionKind.SINGLE:
        question.get_by_role("radio", name=text[response["choice"]], exact=True).check()
    elif spec.kind is QuestionKind.MULTIPLE:
        for choice in response["choices"]:
            question.get_by_role("checkbox", name=text[choice], exact=True).check()
    elif spec.kind is QuestionKind.ORDER:
        for position, step in enumerate(response["order"], start=1):
            question.get_by_role("combobox", name=text[step], exact=True).select_option(
                str(position)
            )
    else:
        labels = {c.id: c.label for c in spec.categories}
        for item, category in response["items"].items():
            question.get_by_role("group", name=text[item], exact=True).get_by_role(
                "radio", name=labels[category], exact=True
            ).check()


def _question_rows(page: Page) -> dict[str, list[str]]:
    """The quiz's item-analysis table as stem -> [answered, facility, discrimination]."""
    rows = page.get_by_role("table", name=TITLE).locator("tbody tr")
    return {
        " ".join(row.locator("th").inner_text().split()): [
            cell.inner_text() for cell in row.locator("td").all()
        ]
        for row in rows.all()
    }


def _tutor_sees(
    page: Page, a11y: A11y, server: LiveServer, holding: str, share: str
) -> dict[str, list[str]]:
    users = server.users
    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    page.get_by_role("link", name="Quiz analytics").click()
    expect(heading(page, "Quiz analytics")).to_be_visible()
    a11y.check(page)
    held = page.get_by_role("region", name="Misconceptions learners hold now")
    row = held.get_by_role("row", name=re.compile(re.escape(WRONG_Q1_MISCONCEPTION)))
    expect(row.get_by_role("cell", name=holding, exact=True)).to_be_visible()
    groups = page.get_by_role("region", name="Misconceptions by learner group")
    by_group = groups.get_by_role("table").get_by_role(
        "row", name=re.compile(re.escape(WRONG_Q1_MISCONCEPTION))
    )
    # Nobody is in a learner group: every learner counts under "No group".
    expect(by_group.get_by_role("cell", name=f"{holding} ({share})", exact=True)).to_be_visible()
    # Questions are shown a quiz at a time: choose this one.
    page.get_by_role("navigation", name="Quizzes").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("table", name=TITLE)).to_be_visible()
    a11y.check(page)
    rows = _question_rows(page)
    sign_out(page)
    return rows


def test_practice_shows_a_misconception_and_a_later_review_clears_it(
    page: Page, live_server: LiveServer
) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()
    _seed_classmates(server)
    total = len(QUIZ_ANSWERS)

    # 1. Practice: feedback after each question; question 1 is answered wrongly.
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    nav(page, "Quizzes")
    expect(heading(page, "Misconception quizzes")).to_be_visible()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name=f"Practice {TITLE}").click()
    for number, (stem, pick) in enumerate(QUIZ_ANSWERS, start=1):
        expect(heading(page, TITLE)).to_be_visible()
        expect(page.get_by_text(f"Question {number} of {total}.")).to_be_visible()
        a11y.check(page)
        answer(page, stem, pick)
        page.get_by_role("button", name="Check my answer").click()
        expect(heading(page, f"{TITLE}: question {number} of {total}")).to_be_visible()
        if number == 1:
            expect(page.get_by_text("Not right")).to_be_visible()
            behind = page.locator(".misconception")
            expect(behind).to_have_count(1)
            expect(behind.get_by_text("The misconception behind it")).to_be_visible()
            expect(behind.get_by_text(WRONG_Q1_MISCONCEPTION)).to_be_visible()
            revise = behind.get_by_role("link").first
            expect(revise).to_be_visible()
            a11y.check(page)
            title = revise.inner_text()
            revise.click()
            expect(heading(page, title)).to_be_visible()
            a11y.check(page)
            page.go_back()
            expect(heading(page, f"{TITLE}: question 1 of {total}")).to_be_visible()
        else:
            expect(page.get_by_text("Correct", exact=True)).to_be_visible()
            expect(page.locator(".misconception")).to_have_count(0)
            a11y.check(page)
        if number < total:
            page.get_by_role("link", name="Next question").click()
    page.get_by_role("link", name="See your results").click()
    expect(heading(page, f"Results: {TITLE}")).to_be_visible()
    expect(page.get_by_text(f"You scored {total - 1} out of {total}")).to_be_visible()
    a11y.check(page)

    page.get_by_role("link", name="See my misconceptions").click()
    expect(heading(page, "My misconceptions")).to_be_visible()
    card = page.locator(".misconception-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", name=WRONG_Q1_MISCONCEPTION)).to_be_visible()
    expect(card.get_by_text("Asked again in a review from")).to_be_visible()
    expect(page.get_by_role("heading", name="Cleared")).to_have_count(0)
    a11y.check(page)
    # Nothing is asked again the same day: feedback just read would be remembered.
    nav(page, "Quizzes")
    expect(page.get_by_text("Nothing is due now. Your next review is due on")).to_be_visible()
    expect(page.get_by_role("button", name="Start review")).to_have_count(0)
    a11y.check(page)
    sign_out(page)

    # 2. The tutor: two of the seven who took the quiz hold it. Question 1: answered by
    # seven, right for five; it separates the strongest from the weakest.
    before = _tutor_sees(page, a11y, server, "2 of 7", "29%")
    q1 = next(cells for stem, cells in before.items() if Q1_STEM in stem)
    assert q1 == ["7", "71%", "+0.50"]

    # 3. A day later the learner is asked again, in a review, and answers right.
    _move_time_on(server)
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    expect(page.get_by_text("1 misconception due for review.")).to_be_visible()
    nav(page, "Quizzes")
    review_card = page.get_by_role("region", name="Review")
    expect(review_card.get_by_text("1 misconception is due to be asked again.")).to_be_visible()
    a11y.check(page)
    review_card.get_by_role("button", name="Start review").click()
    expect(heading(page, "Review of your misconceptions")).to_be_visible()
    expect(page.get_by_text("Question 1 of 1.")).to_be_visible()
    a11y.check(page)
    spec = _review_question(server, page.url)
    assert MISCONCEPTION_ID in spec.misconceptions()
    _enter(page, spec, right_answer(spec))
    page.get_by_role("button", name="Check my answer").click()
    expect(heading(page, "Review of your misconceptions: question 1 of 1")).to_be_visible()
    expect(page.get_by_text("Correct", exact=True)).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="See your results").click()
    expect(heading(page, "Results: Review of your misconceptions")).to_be_visible()
    expect(page.get_by_text("You scored 1 out of 1")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="See my misconceptions").click()
    expect(heading(page, "My misconceptions")).to_be_visible()
    expect(page.locator(".misconception-card")).to_have_count(0)
    expect(page.get_by_text("You have no misconceptions on your list.")).to_be_visible()
    expect(page.get_by_role("heading", name="Cleared")).to_be_visible()
    expect(
        page.get_by_role("listitem").filter(
            has_text=re.compile(re.escape(WRONG_Q1_MISCONCEPTION) + " — cleared")
        )
    ).to_be_visible()
    a11y.check(page)
    nav(page, "Quizzes")
    expect(page.get_by_text("Nothing is due now. Your next review is due on")).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # 4. The tutor: one holder left, and the reviewed question's facility counts the review
    # answer (discrimination stays with finished sittings of the quiz).
    after = _tutor_sees(page, a11y, server, "1 of 7", "14%")
    stem = " ".join(spec.stem.split())
    answered, facility, discrimination = before[stem]
    right_before = round(int(answered) * int(facility.rstrip("%")) / 100)
    share = round((right_before + 1) / (int(answered) + 1) * 100)
    assert after[stem] == [str(int(answered) + 1), f"{share}%", discrimination]
    assert all(url.startswith(server.url + "/") for url in a11y.checked), a11y.checked
