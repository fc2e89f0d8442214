"""The whole journey in real Chromium: clicks and typing found by label and role, as a new user
would do it, with axe-core run on every page along the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.factories import ACCOUNT

pytestmark = pytest.mark.browser

MIN_PAGES_CHECKED = 12

# The pts-a quiz (content/quizzes/pts-a-rights.yaml): for each question in order, a phrase of its
# stem and what this learner picks. Q1 is answered wrongly on purpose; the rest are right.
WRONG_Q1 = "1 May, the day she paid"
WRONG_Q1_MISCONCEPTION = (
    "Believing the 30-day short-term right to reject starts on the day the customer pays"
)


def _radio(name: str) -> Callable[[Locator], None]:
    return lambda question: question.get_by_role("radio", name=name).check()


def _checkboxes(*names: str) -> Callable[[Locator], None]:
    def pick(question: Locator) -> None:
        for name in names:
            question.get_by_role("checkbox", name=re.compile(re.escape(name))).check()

    return pick


def _classify(*sorted_items: tuple[str, str]) -> Callable[[Locator], None]:
    def pick(question: Locator) -> None:
        for item, category in sorted_items:
            question.get_by_role("group", name=re.compile(re.escape(item))).get_by_role(
                "radio", name=category, exact=True
            ).check()

    return pick


QUIZ_ANSWERS: list[tuple[str, Callable[[Locator], None]]] = [
    ("On which day does the 30-day", _radio(WRONG_Q1)),
    ("45 days after it was delivered", _radio("One repair or replacement first")),
    ("14 months after it was bought", _radio("Statutory rights against the shop still apply")),
    ("unworn shirt", _radio("Check the policy and politely explain")),
    ("sofa you delivered on Friday", _radio("Log a complaint, as she is unhappy")),
    ("goodwill gestures of up to", _radio("Explain your limit, escalate with full notes")),
    ("No refunds on sale items", _radio("False")),
    (
        "Sort each contact",
        _classify(
            ("returns address", "Query"),
            ("which day my new sofa", "Query"),
            ("prefer a large", "Return"),
            ("cancel the lamp", "Return"),
            ("third time I've chased", "Complaint"),
            ("When is my engineer coming", "Complaint"),
        ),
    ),
    (
        "active listening and empathy",
        _checkboxes("Let her finish", "So a leg snapped", "That must have been frightening"),
    ),
]


def answer(page: Page, stem: str, pick: Callable[[Locator], None]) -> None:
    """Answer the question whose stem holds `stem`, found as a user finds it: by its group."""
    pick(page.get_by_role("group", name=re.compile(re.escape(stem))))


def answer_the_quiz(page: Page) -> None:
    """Every question of the test on one page, then submit it."""
    for stem, pick in QUIZ_ANSWERS:
        answer(page, stem, pick)
    page.get_by_role("button", name="Check my answers").click()


def test_the_whole_journey_in_a_browser(page: Page, live_server: LiveServer) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()
    page_title = "Returns, complaints and queries after the sale"
    added = (
        "## Check the dates first\n\n"
        "The short-term right to reject lasts **30 days** from delivery."
    )

    # 1. The tutor publishes the draft revision page, changing its text.
    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    nav(page, "Revision")
    expect(heading(page, "Revision pages")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name=page_title).click()
    expect(heading(page, page_title)).to_be_visible()
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name=f"Edit {page_title}").click()
    expect(heading(page, f"Edit “{page_title}”")).to_be_visible()
    a11y.check(page)
    body = page.get_by_label("Page text (Markdown)")
    body.fill(body.input_value().rstrip() + "\n\n" + added + "\n")
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved “{page_title}” (published).")).to_be_visible()
    expect(heading(page, page_title)).to_be_visible()
    expect(page.get_by_text("Published", exact=True)).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # 2. The learner reads the page, then takes the quiz with one wrong answer.
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    nav(page, "Revision")
    expect(heading(page, "Revision pages")).to_be_visible()
    page.get_by_role("link", name=page_title).click()
    expect(heading(page, page_title)).to_be_visible()
    expect(page.get_by_role("heading", name="Check the dates first")).to_be_visible()
    expect(page.locator(".prose strong", has_text="30 days").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    a11y.check(page)

    nav(page, "Quizzes")
    expect(heading(page, "Misconception quizzes")).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name="Test Customer rights and returns").click()
    expect(heading(page, "Customer rights and returns")).to_be_visible()
    a11y.check(page)
    answer_the_quiz(page)
    expect(heading(page, "Results: Customer rights and returns")).to_be_visible()
    expect(
        page.get_by_text(f"You scored {len(QUIZ_ANSWERS) - 1} out of {len(QUIZ_ANSWERS)}")
    ).to_be_visible()
    wrong = page.locator(".misconception")
    expect(wrong).to_have_count(1)
    expect(wrong.get_by_text("The misconception behind it")).to_be_visible()
    expect(wrong.get_by_text(WRONG_Q1_MISCONCEPTION)).to_be_visible()
    not_right = page.locator(".result.wrong")
    expect(not_right).to_have_count(1)
    expect(not_right.locator(".answer-lines").first).to_have_text(WRONG_Q1)
    a11y.check(page)

    # 3. A reflective account: start, save a draft, come back, claim, declare, submit.
    nav(page, "My evidence")
    expect(heading(page, "My evidence")).to_be_visible()
    a11y.check(page)
    page.get_by_label("Title", exact=True).fill("Kettle refund")
    page.get_by_label("Kind of evidence").select_option(label="Reflective account")
    page.get_by_label("Element").select_option(
        label="Post-transaction service: returns, complaints, queries and compliance"
    )
    page.get_by_role("button", name="Start").click()
    expect(heading(page, "Kettle refund")).to_be_visible()
    edit_url = page.url
    assert re.fullmatch(re.escape(server.url) + r"/evidence/\d+/edit", edit_url), edit_url
    a11y.check(page)
    for label, key in (
        ("Situation", "situation"),
        ("Action", "action"),
        ("Outcome", "outcome"),
        ("Reflection", "reflection"),
    ):
        page.get_by_label(label, exact=True).fill(ACCOUNT[key])
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    a11y.check(page)

    nav(page, "Home")
    expect(heading(page, f"Welcome, {users.learner.name}")).to_be_visible()
    nav(page, "My evidence")
    page.get_by_role("table").get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Kettle refund")).to_be_visible()
    assert page.url == edit_url
    for label, key in (
        ("Situation", "situation"),
        ("Action", "action"),
        ("Outcome", "outcome"),
        ("Reflection", "reflection"),
    ):
        expect(page.get_by_label(label, exact=True)).to_have_value(ACCOUNT[key])
    claims = page.get_by_role("group", name="Marking points this evidence covers")
    claims.get_by_role("checkbox", name=re.compile(r"^pts-a\.1:")).check()
    claims.get_by_role("checkbox", name=re.compile(r"^pts-a\.4:")).check()
    page.get_by_role("button", name="Save and continue to submit").click()
    expect(heading(page, "Submit “Kettle refund”")).to_be_visible()
    expect(page.get_by_text("stopped heating")).to_be_visible()
    a11y.check(page)
    page.get_by_label(re.compile("I declare that this evidence is my own work")).check()
    page.get_by_label("Your full name, as your signature").fill(users.learner.name)
    page.get_by_role("button", name="Sign and submit").click()
    expect(page.get_by_text("Submitted. Your assessor has been told")).to_be_visible()
    expect(heading(page, "Kettle refund")).to_be_visible()
    expect(page.get_by_text("Awaiting your assessor's decision.")).to_be_visible()
    record_url = page.url
    a11y.check(page)

    # Submitted evidence cannot be edited: the edit page sends the learner to the record,
    # and a forged save (with a valid CSRF token) is refused.
    page.goto(edit_url)
    expect(heading(page, "Kettle refund")).to_be_visible()
    assert page.url == record_url
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(page.get_by_role("link", name="Continue the draft")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.input_value()
    forged = page.request.post(
        edit_url,
        form={"csrf_token": token, "title": "Changed", "version": "99", "next": "save", **ACCOUNT},
    )
    assert forged.status == 409, forged.status
    assert "This evidence cannot be changed" in forged.text()
    sign_out(page)

    # 4. The assessor marks the claimed points and refers it back with feedback.
    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    nav(page, "Assessment queue")
    expect(heading(page, "Assessment queue")).to_be_visible()
    a11y.check(page)
    page.get_by_role("table").get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Assess “Kettle refund”")).to_be_visible()
    a11y.check(page)
    point1 = page.get_by_role("group", name=re.compile(r"^pts-a\.1:"))
    point1.get_by_role("radio", name="Met", exact=True).check()
    page.get_by_label("Comment on pts-a.1").fill("Rights named correctly.")
    point4 = page.get_by_role("group", name=re.compile(r"^pts-a\.4:"))
    point4.get_by_role("radio", name="Not yet met", exact=True).check()
    page.get_by_label("Comment on pts-a.4").fill("Show the completed RA form.")
    page.get_by_role("group", name="Decision").get_by_role("radio", name="Referred back").check()
    page.get_by_label("Feedback to the learner").fill("Attach the RA form and say who signed it.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Referred back.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # 5. The learner sees the referral and the feedback on the evidence record.
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    nav(page, "My evidence")
    row = page.get_by_role("row", name=re.compile("Kettle refund"))
    expect(row.get_by_text("Referred back")).to_be_visible()
    row.get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Kettle refund")).to_be_visible()
    expect(page.get_by_text("Your assessor referred this back.")).to_be_visible()
    a11y.check(page)  # the draft is editable again, with the referral notice
    page.get_by_role("link", name="Read the feedback").click()
    expect(heading(page, "Kettle refund")).to_be_visible()
    assert page.url == record_url
    expect(page.get_by_text("Referred back", exact=True).first).to_be_visible()
    expect(page.get_by_text("Attach the RA form and say who signed it.")).to_be_visible()
    expect(page.get_by_role("cell", name="Show the completed RA form.")).to_be_visible()
    expect(page.get_by_role("cell", name="Rights named correctly.")).to_be_visible()
    a11y.check(page)

    # 6. The portfolio PDF downloads for the learner...
    nav(page, "Home")
    expect(heading(page, f"Welcome, {users.learner.name}")).to_be_visible()
    page.get_by_role("link", name="Export my portfolio (PDF)").click()
    start_url = page.url
    page.get_by_role("button", name="Start the export").click()
    job_url = page.url
    pdf_link = page.get_by_role("link", name="Download portfolio-lily-learner.pdf")
    expect(pdf_link).to_be_visible(timeout=60_000)
    pdf_url = server(pdf_link.get_attribute("href") or "")
    with page.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    assert download.url == pdf_url
    assert download.suggested_filename == "portfolio-lily-learner.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    sign_out(page)

    # ...and is "not found" for another learner, even on the same assessor's caseload.
    sign_in(page, a11y, server, users.learner2.email, users.learner2.name)
    for url in (start_url, job_url, pdf_url):
        assert page.request.get(url).status == 404, url
    response = page.goto(start_url)
    assert response is not None and response.status == 404
    expect(heading(page, "Page not found")).to_be_visible()
    a11y.check(page)

    pages = a11y.distinct_pages()
    assert len(pages) >= MIN_PAGES_CHECKED, sorted(pages)
    assert all(url.startswith(server.url + "/") for url in a11y.checked), a11y.checked
