"""The question bank in real Chromium: a tutor writes a classify question as a draft, sees a
fault next to its field and fixes it, publishes, edits again, reads the history and the
differences; a learner is then given the question in a practice attempt. axe-core runs on
every page visited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out

pytestmark = pytest.mark.browser

QUIZ_TITLE = "Customer rights and returns"
STEM = "Sort each contact by what the customer wants."
NEW_STEM = "Sort each contact by what the customer wants and how they feel."
ITEMS = [
    ("A customer says her new kettle is faulty and she is fed up", "Complaint"),
    ("A customer asks what time the shop closes on Sunday", "Query"),
]
MISCONCEPTION = "pts-a-rights.m-label-by-keyword"


def _answer_anything(page: Page) -> None:
    """Give some complete answer to the practice question on the page, whatever its type."""
    form = page.locator("main form")
    selects = form.locator("select")
    for n in range(selects.count()):
        selects.nth(n).select_option(str(n + 1))  # order: positions 1, 2, 3 ...
    seen: set[str | None] = set()
    radios = form.locator("input[type=radio]")
    for n in range(radios.count()):
        name = radios.nth(n).get_attribute("name")
        if name not in seen:
            seen.add(name)
            radios.nth(n).check()
    boxes = form.locator("input[type=checkbox]")
    if boxes.count():
        boxes.first.check()
    page.get_by_role("button", name="Check my answer").click()


def test_a_tutor_writes_and_publishes_a_question_a_learner_then_answers(
    page: Page, live_server: LiveServer
) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()

    # The tutor opens the bank and starts a classify question in one quiz.
    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    nav(page, "Question bank")
    expect(heading(page, "Question bank")).to_be_visible()
    a11y.check(page)
    quiz = page.get_by_role("region", name=QUIZ_TITLE, exact=True)
    quiz.get_by_label("Type of new question").select_option("classify")
    quiz.get_by_role("button", name=f"New question in {QUIZ_TITLE}").click()
    expect(heading(page, f"New question in “{QUIZ_TITLE}”")).to_be_visible()
    a11y.check(page)

    page.get_by_label("Question", exact=True).fill(STEM)
    page.get_by_label(re.compile(r"^pts-a\.2: ")).check()
    for n, label in ((1, "Complaint"), (2, "Query")):
        page.get_by_role("group", name=f"Category {n}").get_by_label("Category label").fill(label)
    for n, (item, _) in enumerate(ITEMS, start=1):
        row = page.get_by_role("group", name=f"Item {n}")
        row.get_by_label("Item text").fill(item)
        row.get_by_label("Right category").select_option(label=f"Category {n} (not filled in yet)")
        row.get_by_label("Misconception a wrong category reveals").select_option(MISCONCEPTION)
    page.get_by_role("group", name="Item 1").get_by_label("Explanation").fill(
        "She is unhappy with the product, so it is a complaint whatever words she uses."
    )
    # A third item row, without JavaScript: what was typed stays.
    page.get_by_role("button", name="Add another row to Items to sort").click()
    expect(page.get_by_role("group", name="Item 3")).to_be_visible()
    expect(page.get_by_role("group", name="Item 1").get_by_label("Item text")).to_have_value(
        ITEMS[0][0]
    )
    # The category choices now read as the tutor named them.
    expect(page.get_by_role("group", name="Item 2").get_by_label("Right category")).to_have_value(
        "c2"
    )
    a11y.check(page)

    # Saving with item 2's explanation missing shows the fault next to that field.
    page.get_by_role("button", name="Save").last.click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    item2 = page.get_by_role("group", name="Item 2")
    expect(item2.locator("p.error")).to_have_text(re.compile("Enter the "))
    expect(item2.get_by_label("Explanation")).to_have_attribute("aria-invalid", "true")
    expect(item2.get_by_label("Item text")).to_have_value(ITEMS[1][0])
    a11y.check(page)
    item2.get_by_label("Explanation").fill("Asking for information is a query.")
    page.get_by_role("button", name="Save").last.click()
    expect(page.get_by_text(f"Created question q10 in “{QUIZ_TITLE}” (draft).")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(re.escape(STEM)))
    expect(row.get_by_role("cell", name="Draft")).to_be_visible()
    a11y.check(page)

    # Publish it, after a preview that shows it as a learner sees it.
    row.get_by_role("link", name=f"Edit question q10 of {QUIZ_TITLE}").click()
    expect(heading(page, f"Edit question q10 in “{QUIZ_TITLE}”")).to_be_visible()
    a11y.check(page)
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview (not saved)")
    expect(preview.get_by_role("group", name=f"1. {STEM}")).to_be_visible()
    expect(preview.get_by_role("group", name=ITEMS[0][0])).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name="Save").last.click()
    expect(page.get_by_text("Saved question q10 as revision 2 (published).")).to_be_visible()

    # Edit it again, then read the history and what changed.
    page.get_by_role("link", name=f"Edit question q10 of {QUIZ_TITLE}").click()
    page.get_by_label("Question", exact=True).fill(NEW_STEM)
    page.get_by_label("Note for the history").fill("Clearer stem")
    page.get_by_role("button", name="Save").last.click()
    expect(page.get_by_text("Saved question q10 as revision 3 (published).")).to_be_visible()
    page.get_by_role("link", name=f"History of question q10 of {QUIZ_TITLE}").click()
    expect(heading(page, re.compile("History of question q10"))).to_be_visible()
    expect(page.get_by_role("cell", name="Clearer stem")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name=re.compile("Compare with revision 2")).click()
    expect(heading(page, re.compile("Changes to question q10"))).to_be_visible()
    expect(page.locator("del", has_text=STEM)).to_be_visible()
    expect(page.locator("ins", has_text=NEW_STEM)).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="revision 2", exact=True).click()
    expect(heading(page, re.compile("Revision 2 of question q10"))).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # The learner's practice attempt gives them the published question, after the file's nine.
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    nav(page, "Quizzes")
    a11y.check(page)
    page.get_by_role("button", name=f"Practice {QUIZ_TITLE}").click()
    for _ in range(9):
        expect(page.get_by_role("button", name="Check my answer")).to_be_visible()
        a11y.check(page)
        _answer_anything(page)
        a11y.check(page)
        page.get_by_role("link", name="Next question").click()
    question = page.get_by_role("group", name=f"10. {NEW_STEM}")
    expect(question).to_be_visible()
    a11y.check(page)
    for item, category in ITEMS:
        question.get_by_role("group", name=item).get_by_label(category).check()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.get_by_text("Correct", exact=True)).to_be_visible()
    a11y.check(page)
    assert len(a11y.distinct_pages()) >= 10


def test_a_tutor_names_a_new_misconception_for_a_quiz(page: Page, live_server: LiveServer) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()
    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    nav(page, "Question bank")
    page.get_by_role("link", name=f"See and add misconceptions of {QUIZ_TITLE}").click()
    expect(heading(page, f"Misconceptions of “{QUIZ_TITLE}”")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=MISCONCEPTION)).to_have_count(1)
    a11y.check(page)

    # Sent empty: the fault next to the field, and in the summary at the top.
    page.get_by_role("button", name="Add the misconception").click()
    field = page.get_by_label("New misconception")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("p.error")).to_have_text(re.compile("Describe the misconception."))
    a11y.check(page)

    field.fill("Believing a gift receipt gives no rights")
    page.get_by_role("button", name="Add the misconception").click()
    added = f"{MISCONCEPTION.split('.')[0]}.m-believing-a-gift-receipt-gives-no-rights"
    expect(page.get_by_text(f"Added the misconception {added}")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=added)).to_have_count(1)
    a11y.check(page)
    page.get_by_role("link", name=f"Back to the questions of “{QUIZ_TITLE}”").click()
    expect(page.get_by_role("region", name=QUIZ_TITLE, exact=True)).to_be_visible()
