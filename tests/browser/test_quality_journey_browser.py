"""Issue 6's acceptance in one journey, in real Chromium: an assessor works the queue, refers an
item, marks the resubmission and signs off the element; an IQA takes the proposed sample and
disagrees with one decision; the assessor acts on it; the audit view shows all of it; and
`portfolio audit verify` passes, then fails once a row is altered in the database. axe-core
runs on every page."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from playwright.sync_api import Page, expect
from sqlalchemy import text

from portfolio import create_app
from portfolio.auth.models import User
from portfolio.cli import main
from portfolio.evidence.models import Submission
from portfolio.extensions import db
from tests.assessment.support import resubmit
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.factories import Factory

pytestmark = pytest.mark.browser

POINTS = [f"pts-a.{n}" for n in range(1, 6)]
WHY = "pts-a.3 is judged on the call log, which is not in the evidence: ask for it."


def _mark(page: Page, marks: dict[str, str], outcome: str, feedback: str) -> None:
    for point, status in marks.items():
        group = page.get_by_role("group", name=re.compile(rf"^{re.escape(point)}:"))
        group.get_by_role("radio", name=status, exact=True).check()
        page.get_by_label(f"Comment on {point}").fill(f"{status}: seen in the account.")
    page.get_by_role("group", name="Decision").get_by_role("radio", name=outcome).check()
    page.get_by_label("Feedback to the learner").fill(feedback)
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text(f"Decision recorded: {outcome}.")).to_be_visible()


def _open_from_queue(page: Page, a11y: A11y, title: str) -> None:
    nav(page, "Assessment queue")
    expect(heading(page, "Assessment queue")).to_be_visible()
    a11y.check(page)
    page.get_by_role("table").get_by_role("link", name=title).click()
    expect(heading(page, f"Assess “{title}”")).to_be_visible()
    a11y.check(page)


def _verify(server: LiveServer) -> tuple[int, str]:
    """`portfolio audit verify` as a user runs it, on the live server's database; the
    connections its app opened are closed after (PostgreSQL warns of any left open)."""
    apps: list[Flask] = []

    def factory() -> Flask:
        apps.append(create_app())
        return apps[-1]

    try:
        result = CliRunner().invoke(
            main,
            ["audit", "verify"],
            env={
                "PORTFOLIO_DATABASE_URL": server.app.config["SQLALCHEMY_DATABASE_URI"],
                "PORTFOLIO_INSTANCE_PATH": server.app.config["INSTANCE_PATH"],
                "PORTFOLIO_ENV": "development",
            },
            obj=ScriptInfo(create_app=factory, set_debug_flag=False),
        )
    finally:
        for app in apps:
            with app.app_context():
                db.engine.dispose()
    return result.exit_code, result.output


def test_assess_refer_sign_off_sample_disagree_audit_verify(
    page: Page, live_server: LiveServer
) -> None:
    server, users, a11y = live_server, live_server.users, A11y()
    first = Factory(server.app).submission(
        users.learner, title="Kettle refund", claims=tuple(POINTS)
    )

    # 1. The assessor works the queue and refers the item: pts-a.4 is not yet met.
    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    _open_from_queue(page, a11y, "Kettle refund")
    marks = dict.fromkeys(POINTS, "Met") | {"pts-a.4": "Not yet met"}
    _mark(page, marks, "Referred back", "Attach the RA form and say who authorised it.")
    sign_out(page)

    # 2. The learner resubmits; the assessor compares the attempts and accepts.
    with server.app.app_context():
        item = db.session.get(Submission, first.id)
        assert item is not None
        resubmit(item.evidence_id, POINTS)
    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    _open_from_queue(page, a11y, "Kettle refund")
    page.get_by_role("link", name="Compare attempt 1 with attempt 2").click()
    expect(heading(page, "What changed from attempt 1 to attempt 2")).to_be_visible()
    a11y.check(page)
    page.go_back()
    _mark(page, dict.fromkeys(POINTS, "Met"), "Accepted", "Every point is shown by the account.")

    # 3. Every point of pts-a is met: the assessor signs the element off.
    nav(page, "Cohort tracking")
    page.get_by_role("link", name="Lily Learner").first.click()
    expect(heading(page, "Lily Learner: tracking")).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name=re.compile("^Sign off this element")).click()
    expect(page.get_by_text(re.compile(r"^Signed off: "))).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # 4. The IQA takes the proposed sample and disagrees with the acceptance.
    sign_in(page, a11y, server, users.iqa.email, users.iqa.name)
    nav(page, "Quality assurance")
    page.get_by_role("link", name="Propose a sample").click()
    expect(heading(page, "Proposed sample")).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name="Take this sample").click()
    expect(heading(page, re.compile(r"^Sample \d+$"))).to_be_visible()
    a11y.check(page)
    accepted = page.get_by_role("row").filter(has_text="Kettle refund").filter(has_text="accept")
    accepted.get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Review “Kettle refund”")).to_be_visible()
    a11y.check(page)
    page.get_by_role("group", name="Your verdict").get_by_role(
        "radio", name="Disagree: reopen it for the assessor"
    ).check()
    page.get_by_label("Feedback to the assessor").fill(WHY)
    page.get_by_role("button", name="Record verdict").click()
    expect(page.get_by_text("Disagreement recorded")).to_be_visible()
    a11y.check(page)
    sign_out(page)

    # 5. The assessor finds it reopened with the IQA's feedback and decides again.
    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    _open_from_queue(page, a11y, "Kettle refund")
    expect(page.get_by_text("Reopened by IQA")).to_be_visible()
    expect(page.get_by_text(WHY)).to_be_visible()
    marks = dict.fromkeys(POINTS, "Met") | {"pts-a.3": "Not yet met"}
    _mark(page, marks, "Referred back", "Add the call log that shows how you escalated it.")
    sign_out(page)

    # 6. The audit view shows all of it.
    sign_in(page, a11y, server, users.iqa.email, users.iqa.name)
    nav(page, "Audit trail")
    expect(heading(page, "Audit trail")).to_be_visible()
    expect(page.get_by_text(re.compile("^Chain intact:"))).to_be_visible()
    entries = page.get_by_role("table").locator("tbody")
    for action, count in (
        ("submission.created", 2),
        ("decision.recorded", 3),
        ("element.signed_off", 1),
        ("sample.taken", 1),
        ("iqa.disagreed", 1),
    ):
        expect(entries.get_by_role("cell", name=action, exact=True)).to_have_count(count)
    a11y.check(page)

    # 7. The chain verifies; a row altered in the database is named.
    code, output = _verify(server)
    assert code == 0, output
    assert "chain intact" in output
    with server.app.app_context():
        learner = db.session.get(User, users.learner.id)
        assert learner is not None
        target = db.session.execute(
            text("SELECT id FROM audit_entry WHERE action = 'element.signed_off'")
        ).scalar_one()
        db.session.execute(
            text("UPDATE audit_entry SET actor_id = :who WHERE id = :id"),
            {"who": learner.id, "id": target},
        )
        db.session.commit()
    code, output = _verify(server)
    assert code == 1
    assert f"BROKEN at entry {target}: its content no longer matches its hash" in output
    page.reload()
    expect(page.get_by_text(f"The chain is broken at entry {target}")).to_be_visible()
    a11y.check(page)
