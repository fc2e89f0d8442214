"""Acceptance, in real Chromium: an assessor works an overdue item from the queue, beside the
evidence, using the comment bank; a referral of praise alone is refused by its field; the IQA
sees what is still overdue and the learner when to expect a decision. axe-core runs on every
page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portfolio.assessment import comment_bank
from portfolio.assessment.models import PointStatus
from portfolio.assessment.services import PointMark
from portfolio.auth.models import User
from portfolio.db import utcnow
from portfolio.evidence.models import Submission
from portfolio.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.factories import Factory

pytestmark = pytest.mark.browser

BANKED = "Show the returns log entry with the RA number."


def _set_scene(server: LiveServer) -> None:
    make = Factory(server.app)
    users = server.users
    late = make.submission(users.learner, title="Kettle refund")
    also_late = make.submission(users.learner2, title="Sofa complaint")
    make.submission(users.learner2, title="Late delivery")  # just sent: on time
    with server.app.app_context():
        for submission in (late, also_late):
            found = db.session.get(Submission, submission.id)
            assert found is not None
            found.submitted_at = utcnow() - timedelta(days=30)
            found.evidence.awaiting_since = found.submitted_at  # the clock ran from then
        assessor = db.session.get(User, users.assessor.id)
        assert assessor is not None
        comment_bank.add_to_bank(
            assessor, {"pts-a.4": PointMark(PointStatus.NOT_YET_MET, BANKED, save_to_bank=True)}
        )
        db.session.commit()


def _side_by_side(page: Page) -> bool:
    evidence = page.get_by_role("region", name="The evidence").bounding_box()
    decision = page.get_by_role("region", name="Your decision").bounding_box()
    assert evidence is not None and decision is not None
    return bool(decision["x"] > evidence["x"] + evidence["width"] / 2)


def test_an_assessor_marks_an_overdue_item_with_the_comment_bank(
    page: Page, live_server: LiveServer
) -> None:
    a11y = A11y()
    users = live_server.users
    _set_scene(live_server)

    sign_in(page, a11y, live_server, users.assessor.email, users.assessor.name)
    nav(page, "Assessment queue")
    expect(heading(page, "Assessment queue")).to_be_visible()
    late = page.get_by_role("row", name=re.compile("Kettle refund"))
    expect(late.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(late.get_by_text(re.compile(r"Overdue by \d+ working days"))).to_be_visible()
    fresh = page.get_by_role("row", name=re.compile("Late delivery"))
    expect(fresh.get_by_text(re.compile(r"Due in \d working days"))).to_be_visible()
    a11y.check(page)

    late.get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Assess “Kettle refund”")).to_be_visible()
    assert _side_by_side(page)
    point1 = page.get_by_role("group", name=re.compile(r"^pts-a\.1:"))
    expect(point1.get_by_text("Claimed by the learner.")).to_be_visible()
    point1.get_by_role("radio", name="Met", exact=True).check()
    page.get_by_role("group", name=re.compile(r"^pts-a\.3:")).get_by_role(
        "radio", name="Not applicable"
    ).check()
    page.get_by_role("group", name=re.compile(r"^pts-a\.4:")).get_by_role(
        "radio", name="Not yet met", exact=True
    ).check()
    # The bank's comment goes into the box with one click, after what is typed.
    box = page.get_by_label("Comment on pts-a.4")
    box.fill("The RA form is not attached.")
    page.get_by_text("Saved comments for pts-a.4 (1)").click()
    page.get_by_role("button", name="Use saved comment 1 for pts-a.4").click()
    expect(box).to_have_value(f"The RA form is not attached.\n{BANKED}")
    expect(box).to_be_focused()
    page.get_by_label("Save this comment to the bank (pts-a.1)").check()
    page.get_by_label("Comment on pts-a.1").fill("Rights named correctly.")
    a11y.check(page)

    page.get_by_role("group", name="Decision").get_by_role("radio", name="Referred back").check()
    page.get_by_label("Feedback to the learner").fill("Well done!")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("A referral must say what the learner needs to do")).to_have_count(2)
    expect(page.get_by_label("Feedback to the learner")).to_have_value("Well done!")
    expect(box).to_have_value(f"The RA form is not attached.\n{BANKED}")
    a11y.check(page)
    page.get_by_label("Feedback to the learner").fill("Attach the RA form and say who signed it.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Referred back.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Kettle refund"))).to_have_count(0)

    page.get_by_role("link", name="Your saved comments").click()
    expect(heading(page, "Your saved comments")).to_be_visible()
    expect(page.get_by_role("cell", name="Rights named correctly.")).to_be_visible()
    a11y.check(page)

    # On a phone the evidence and the decision are stacked.
    page.set_viewport_size({"width": 400, "height": 900})
    nav_link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Assessment queue"
    )
    nav_link.click()
    page.get_by_role("link", name="Sofa complaint").click()
    expect(heading(page, "Assess “Sofa complaint”")).to_be_visible()
    assert not _side_by_side(page)
    a11y.check(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_out(page)

    # The IQA is told what is still overdue, and by whom.
    sign_in(page, a11y, live_server, users.iqa.email, users.iqa.name)
    overdue = page.get_by_role("region", name="Decisions overdue")
    row = overdue.get_by_role("row", name=re.compile("Sofa complaint"))
    expect(row.get_by_role("cell", name="Leo Learner")).to_be_visible()
    expect(row.get_by_role("cell", name="Alan Assessor")).to_be_visible()
    expect(overdue.get_by_text("Kettle refund")).to_have_count(0)
    sign_out(page)

    # The learner sees when to expect a decision on what is waiting.
    sign_in(page, a11y, live_server, users.learner2.email, users.learner2.name)
    nav(page, "My evidence")
    row = page.get_by_role("row", name=re.compile("Late delivery"))
    expect(row.get_by_text(re.compile(r"Expect a decision by \d+ \w+ \d{4}"))).to_be_visible()
    a11y.check(page)


def test_without_script_the_bank_is_text_to_copy(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        _set_scene(live_server)
        users = live_server.users
        page.goto(live_server("/auth/login"))
        page.get_by_label("Email").fill(users.assessor.email)
        page.get_by_label("Password").fill(users.password)
        page.get_by_role("button", name="Sign in").click()
        page.goto(live_server("/assessment/queue"))
        page.get_by_role("link", name="Kettle refund").click()
        page.get_by_text("Saved comments for pts-a.4 (1)").click()
        expect(page.get_by_text(BANKED)).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Use"))).to_have_count(0)
    finally:
        context.close()
