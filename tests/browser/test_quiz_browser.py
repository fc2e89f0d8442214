"""Misconceptions in real Chromium: a wrong answer lands on the learner's list, the tutor sees
it on the analytics page and sends a revision page to the learners who hold it, and the
learner finds the suggestion on their home page. axe-core runs on every page visited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.browser.test_journey_browser import WRONG_Q1_MISCONCEPTION, answer_the_quiz

pytestmark = pytest.mark.browser


def test_a_misconception_is_listed_analysed_and_sent_a_page(
    page: Page, live_server: LiveServer
) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()

    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    nav(page, "Quizzes")
    page.get_by_role("button", name="Test Customer rights and returns").click()
    answer_the_quiz(page)
    page.get_by_role("link", name="See my misconceptions").click()
    expect(heading(page, "My misconceptions")).to_be_visible()
    card = page.locator(".misconception-card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", name=WRONG_Q1_MISCONCEPTION)).to_be_visible()
    expect(card.get_by_role("link").first).to_be_visible()  # a page to revise from
    a11y.check(page)
    sign_out(page)

    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    page.get_by_role("link", name="Quiz analytics").click()
    expect(heading(page, "Quiz analytics")).to_be_visible()
    a11y.check(page)
    held = page.get_by_role("region", name="Misconceptions learners hold now")
    row = held.get_by_role("row", name=re.compile(re.escape(WRONG_Q1_MISCONCEPTION)))
    expect(row.get_by_role("cell", name="1 of 1")).to_be_visible()
    # The learner is in no group: the heatmap and its table show them there.
    groups = page.get_by_role("region", name="Misconceptions by learner group")
    expect(
        groups.get_by_role("img", name="Heatmap of misconceptions by learner group")
    ).to_be_visible()
    by_group = groups.get_by_role("row", name=re.compile(re.escape(WRONG_Q1_MISCONCEPTION)))
    expect(by_group.get_by_role("cell", name="1 of 1 (100%)")).to_be_visible()
    row.get_by_role("button", name=re.compile("^Send to 1")).click()
    expect(page.get_by_text("Sent to 1 learner.")).to_be_visible()
    sign_out(page)

    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    notice = page.locator(".notice", has_text="Your tutor suggests reading")
    expect(notice).to_be_visible()
    expect(notice.get_by_text(WRONG_Q1_MISCONCEPTION)).to_be_visible()
    a11y.check(page)
