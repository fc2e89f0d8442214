"""Acceptance, in real Chromium: an IQA opens the proposed sample (two decisions, each with why
it was chosen), takes it, and disagrees with the referral, with feedback; the assessor finds it
back in their queue with that feedback and decides again; the IQA sees the disagreement
resolved, and the audit trail lists the sample, the disagreement and the new decision. axe-core
runs on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portfolio.assessment.models import Outcome
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.factories import Factory
from tests.iqa.support import decided

pytestmark = pytest.mark.browser

WHY = "The account never gives the RA number, so pts-a.4 is met: accept it rather than refer."


def _seed(server: LiveServer) -> None:
    """Alan referred Lily's account and accepted Leo's, through the assessment service."""
    make, users = Factory(server.app), server.users
    with server.app.app_context():
        decided(make, users.assessor, users.learner, Outcome.REFERRED, title="Kettle refund")
        decided(make, users.assessor, users.learner2, title="Toaster return")


def test_iqa_samples_disagrees_and_the_assessor_decides_again(
    page: Page, live_server: LiveServer
) -> None:
    server, users, a11y = live_server, live_server.users, A11y()
    _seed(server)

    # 1. The IQA checks the sampling plans, then opens the proposed sample.
    sign_in(page, a11y, server, users.iqa.email, users.iqa.name)
    nav(page, "Quality assurance")
    expect(heading(page, "Internal quality assurance")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="Sampling plans").click()
    expect(heading(page, "Sampling plans")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="Change the plan for Alan Assessor").click()
    expect(heading(page, "Sampling plan for Alan Assessor")).to_be_visible()
    a11y.check(page)
    page.get_by_label("Percentage of decisions to sample").fill("150")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.locator("#percentage-error")).to_contain_text("Give a percentage from 0 to 100.")
    a11y.check(page)
    page.get_by_role("link", name="Cancel").click()
    expect(heading(page, "Sampling plans")).to_be_visible()

    nav(page, "Quality assurance")
    page.get_by_role("link", name="Propose a sample").click()
    expect(heading(page, "Proposed sample")).to_be_visible()
    a11y.check(page)
    proposal = page.get_by_role("table", name=re.compile("Decisions proposed"))
    expect(proposal.get_by_role("row")).to_have_count(3)  # a header and two decisions
    kettle = proposal.get_by_role("row").filter(has_text="Kettle refund")
    expect(kettle).to_contain_text("First decision sampled for Lily Learner")
    expect(kettle).to_contain_text("a referral (interim) decision")
    toaster = proposal.get_by_role("row").filter(has_text="Toaster return")
    expect(toaster).to_contain_text("an acceptance (final) decision")
    page.get_by_role("button", name="Take this sample").click()
    expect(heading(page, re.compile(r"^Sample \d+$"))).to_be_visible()
    expect(page.get_by_text("Sample taken: 2 decisions to review.")).to_be_visible()
    a11y.check(page)

    # 2. They review the referral as it was sampled, and disagree: feedback is required.
    page.get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Review “Kettle refund”")).to_be_visible()
    expect(page.get_by_text("Add the RA number and say which policy")).to_be_visible()
    a11y.check(page)
    verdict = page.get_by_role("group", name="Your verdict")
    verdict.get_by_role("radio", name="Disagree: reopen it for the assessor").check()
    page.get_by_role("button", name="Record verdict").click()
    expect(page.locator("#feedback-error")).to_contain_text(
        "Say what the assessor should look at again."
    )
    a11y.check(page)
    page.get_by_label("Feedback to the assessor").fill(WHY)
    page.get_by_role("button", name="Record verdict").click()
    expect(page.get_by_text("Disagreement recorded")).to_be_visible()
    kettle_item = page.get_by_role("row").filter(has_text="Kettle refund")
    expect(kettle_item).to_contain_text("Disagreed; back with the assessor")
    sample_url = page.url
    a11y.check(page)
    sign_out(page)

    # 3. The assessor finds it back in the queue, reads the IQA's feedback and decides again.
    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    nav(page, "Assessment queue")
    expect(heading(page, "Assessment queue")).to_be_visible()
    a11y.check(page)
    page.get_by_role("table").get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Assess “Kettle refund”")).to_be_visible()
    expect(page.get_by_text("Reopened by IQA")).to_be_visible()
    expect(page.get_by_text(WHY)).to_be_visible()
    a11y.check(page)
    for point in ("pts-a.1", "pts-a.4"):
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(point)}:"))
        group.get_by_role("radio", name="Met", exact=True).check()
        page.get_by_label(f"Comment on {point}").fill("The call log and RA number show this.")
    page.get_by_role("group", name="Decision").get_by_role("radio", name="Accepted").check()
    page.get_by_label("Feedback to the learner").fill(
        "Your account names the 30-day right to reject and the RA number you issued."
    )
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Accepted.")).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # 4. The IQA sees the disagreement resolved, beside their feedback.
    sign_in(page, a11y, server, users.iqa.email, users.iqa.name)
    page.goto(sample_url)
    kettle_item = page.get_by_role("row").filter(has_text="Kettle refund")
    expect(kettle_item).to_contain_text("Disagreed; the assessor has decided again: accepted")
    a11y.check(page)
    page.get_by_role("link", name="Kettle refund").click()
    expect(page.get_by_text("Resolved: Alan Assessor decided again")).to_be_visible()
    expect(page.get_by_text(WHY)).to_be_visible()
    a11y.check(page)

    # 5. The audit trail holds all of it.
    nav(page, "Audit trail")
    expect(heading(page, "Audit trail")).to_be_visible()
    entries = page.get_by_role("table").locator("tbody")
    for action in ("sample.taken", "iqa.disagreed"):
        expect(entries.get_by_role("cell", name=action, exact=True)).to_have_count(1)
    # The two seeded decisions, and the assessor's new one.
    expect(entries.get_by_role("cell", name="decision.recorded", exact=True)).to_have_count(3)
    a11y.check(page)
    nav(page, "Quality assurance")
    page.get_by_role("link", name=re.compile("Decisions awaiting countersignature")).click()
    expect(heading(page, "Decisions awaiting countersignature")).to_be_visible()
    a11y.check(page)
    assert len(a11y.distinct_pages()) >= 10
