"""The personal-data check in real Chromium: a learner's draft with planted details is refused,
each detail is shown marked in place, one is replaced with a click, one dismissed with a
reason, the rest replaced together, and the account is submitted; axe-core runs on each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portfolio.auth.models import User
from portfolio.evidence import services
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, sign_in
from tests.factories import ACCOUNT, Factory

pytestmark = pytest.mark.browser

PLANTED = {
    **ACCOUNT,
    "situation": ACCOUNT["situation"] + " Her email was anita.patel@example.com.",
    "action": ACCOUNT["action"] + " Mrs Patel gave her order number ORD-55821 and SW1A 1AA.",
    "reflection": ACCOUNT["reflection"] + " You should always check the batch.",
}


def test_a_learner_settles_each_flag_then_submits(page: Page, live_server: LiveServer) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()
    draft = Factory(server.app).evidence(users.learner, title="Kettle refund", filled=False)
    with server.app.app_context():
        item = db.session.get(Evidence, draft.id)
        assert item is not None
        services.save_draft(
            item,
            title="Kettle refund",
            sections=PLANTED,
            claims=["pts-a.1"],
            expected_version=item.version,
        )

    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    page.goto(server(f"/evidence/{draft.id}/edit"))
    expect(page.get_by_text("Hints only: you claim, your assessor decides.")).to_be_visible()
    a11y.check(page)

    page.goto(server(f"/evidence/{draft.id}/submit"))
    checks = page.locator("#checks")
    expect(checks.locator("mark")).to_have_text(
        ["anita.patel@example.com", "Mrs Patel", "ORD-55821", "SW1A 1AA"]
    )
    expect(page.locator("#real-work mark")).to_have_text(["You should"])
    a11y.check(page)

    # Submitting now is refused, with a message for each detail.
    page.get_by_label("I declare").check()
    page.get_by_label("Your full name, as your signature").fill(users.learner.name)
    page.get_by_role("button", name="Sign and submit").click()
    expect(page.get_by_role("heading", name="Fix these before you submit")).to_be_visible()
    summary = page.locator(".error-summary")
    expect(
        summary.get_by_role("link", name=re.compile("looks like an email address"))
    ).to_be_visible()

    # One click replaces the email with its label.
    page.get_by_role("button", name="Replace with [email address]").click()
    expect(page.get_by_text("Replaced an email address in Situation")).to_be_visible()
    expect(checks.locator("mark")).to_have_count(3)

    # The order number is kept, with a reason; an empty reason is refused next to the field.
    order = checks.locator("li.flag", has=page.locator("mark", has_text="ORD-55821"))
    order.get_by_text("Not a personal detail? Dismiss it").click()
    order.get_by_role("button", name="Dismiss").click()  # the browser asks for a reason first
    expect(checks.locator("mark")).to_have_count(3)
    order.get_by_label("Why this is not a personal detail").fill("A made-up training order")
    order.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Your reason: A made-up training order")).to_be_visible()
    a11y.check(page)

    page.get_by_role("button", name="Replace all 2 with neutral labels").click()
    expect(page.get_by_text("Replaced 2 personal details with neutral labels.")).to_be_visible()
    expect(checks.locator("mark")).to_have_count(0)
    a11y.check(page)

    page.get_by_label("I declare").check()
    page.get_by_label("Your full name, as your signature").fill(users.learner.name)
    page.get_by_role("button", name="Sign and submit").click()
    expect(heading(page, "Kettle refund")).to_be_visible()
    expect(page.get_by_text("Checks at submission")).to_be_visible()
    with server.app.app_context():
        learner = db.session.get(User, users.learner.id)
        item = db.session.get(Evidence, draft.id)
        assert learner is not None and item is not None
        assert (
            "Customer A gave her order number ORD-55821 and [postcode]."
            in (item.submissions[-1].content["action"])
        )
