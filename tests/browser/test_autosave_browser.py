"""Acceptance, in real Chromium: drafts are never lost. A learner writes, sees "Saved at", closes
the browser mid-sentence, signs in again and finds the text up to the last autosave; the same
draft in two tabs shows the older tab both versions and lets the learner choose; a session
that expires while typing keeps the text in the browser and puts it back after signing in.
axe-core runs on every page, conflict and notices showing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portfolio.auth import services as accounts
from portfolio.auth.models import User
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser

ELEMENT = "Post-transaction service: returns, complaints, queries and compliance"
SAVED_PART = "In March 2026 a customer phoned about a kettle that had stopped heating."
UNSAVED_PART = " She had already"


@pytest.fixture
def contexts(browser: Any, live_server: LiveServer) -> Iterator[list[BrowserContext]]:
    """Browser contexts made on demand (each a fresh browser profile), closed at the end."""
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def _new_context(browser: Any, server: LiveServer, made: list[BrowserContext]) -> BrowserContext:
    context = browser.new_context(base_url=server.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(server.url + "/") else route.abort()
        ),
    )
    made.append(context)
    return context


def _stored_draft(server: LiveServer, evidence_id: int) -> dict[str, Any]:
    with server.app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        return dict(item.draft)


def _status(page: Page) -> Any:
    """The announced autosave status near the top of the form."""
    return page.locator("[data-autosave-status]")


def _open_draft(page: Page, title: str) -> int:
    nav(page, "My evidence")
    page.get_by_role("table").get_by_role("link", name=title).click()
    expect(heading(page, title)).to_be_visible()
    match = re.search(r"/evidence/(\d+)/edit$", page.url)
    assert match, page.url
    return int(match.group(1))


def test_closing_the_browser_mid_sentence_keeps_the_text_up_to_the_last_autosave(
    browser: Any, live_server: LiveServer, contexts: list[BrowserContext]
) -> None:
    a11y = A11y()
    learner = live_server.users.learner
    page = _new_context(browser, live_server, contexts).new_page()
    sign_in(page, a11y, live_server, learner.email, learner.name)

    nav(page, "My evidence")
    a11y.check(page)
    page.get_by_label("Title", exact=True).fill("Kettle refund")
    page.get_by_label("Kind of evidence").select_option(label="Reflective account")
    page.get_by_label("Element").select_option(label=ELEMENT)
    page.get_by_role("button", name="Start").click()
    expect(heading(page, "Kettle refund")).to_be_visible()
    evidence_id = int(page.url.rsplit("/", 2)[-2])
    a11y.check(page)

    situation = page.get_by_label("Situation", exact=True)
    situation.press_sequentially(SAVED_PART)
    # Typing stops: a couple of seconds later the draft is on the server, and the page says so.
    expect(_status(page)).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"), timeout=15_000)
    expect(page.locator("[data-autosave-status-bottom]")).to_have_text(_status(page).inner_text())
    assert _stored_draft(live_server, evidence_id)["situation"] == SAVED_PART
    a11y.check(page)

    # More typed, and the browser closed before the next autosave.
    situation.press_sequentially(UNSAVED_PART)
    page.context.close()

    page = _new_context(browser, live_server, contexts).new_page()
    sign_in(page, a11y, live_server, learner.email, learner.name)
    _open_draft(page, "Kettle refund")
    value = page.get_by_label("Situation", exact=True).input_value()
    assert value.startswith(SAVED_PART), value
    assert _stored_draft(live_server, evidence_id)["situation"] == value
    a11y.check(page)


def test_the_same_draft_in_two_tabs_shows_both_versions_and_the_learner_chooses(
    browser: Any, live_server: LiveServer, contexts: list[BrowserContext]
) -> None:
    a11y = A11y()
    learner = live_server.users.learner
    item = Factory(live_server.app).evidence(learner, title="Sofa complaint", filled=False)
    context = _new_context(browser, live_server, contexts)
    first = context.new_page()
    sign_in(first, a11y, live_server, learner.email, learner.name)
    _open_draft(first, "Sofa complaint")
    second = context.new_page()
    second.goto(first.url)
    expect(heading(second, "Sofa complaint")).to_be_visible()

    first.get_by_label("Outcome", exact=True).press_sequentially("Written in the first tab.")
    expect(_status(first)).to_have_text(re.compile("^Saved at"), timeout=15_000)

    # The second tab was opened before that save: its save is refused, nothing is overwritten,
    # and both versions are shown.
    second.get_by_label("Outcome", exact=True).press_sequentially("Written in the second tab.")
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text(
        re.compile(r"This draft was saved in another tab or device at \d\d:\d\d"),
        timeout=15_000,
    )
    mine = alert.get_by_role("region", name="Your version (on this page)")
    other = alert.get_by_role("region", name=re.compile(r"^The other version"))
    expect(mine).to_contain_text("Written in the second tab.")
    expect(other).to_contain_text("Written in the first tab.")
    assert _stored_draft(live_server, item.id)["outcome"] == "Written in the first tab."
    a11y.check(second)

    # "Keep mine": the second tab's text replaces the first's.
    second.get_by_role("button", name="Keep mine").click()
    expect(alert).to_have_count(0)
    expect(_status(second)).to_have_text(re.compile("^Saved at"))
    assert _stored_draft(live_server, item.id)["outcome"] == "Written in the second tab."

    # Now the first tab is the older one; it loads the other version instead.
    first.get_by_label("Outcome", exact=True).press_sequentially(" And more.")
    expect(first.get_by_role("alert")).to_contain_text("saved in another tab", timeout=15_000)
    first.get_by_role("button", name="Load the other version").click()
    expect(first.get_by_label("Outcome", exact=True)).to_have_value("Written in the second tab.")
    expect(first.get_by_role("alert")).to_have_count(0)
    a11y.check(first)


def test_text_typed_before_the_autosave_script_runs_is_still_saved(
    browser: Any, live_server: LiveServer, contexts: list[BrowserContext]
) -> None:
    """On a slow connection the learner can type before the deferred script has run; what they
    typed differs from the page as the server wrote it, so it is saved when the script starts."""
    learner = live_server.users.learner
    item = Factory(live_server.app).evidence(learner, title="Slow line", filled=False)
    context = _new_context(browser, live_server, contexts)
    page = context.new_page()
    sign_in(page, A11y(), live_server, learner.email, learner.name)
    page.route("**/autosave.js*", lambda route: route.abort())  # the script has not arrived
    _open_draft(page, "Slow line")
    page.get_by_label("Action", exact=True).press_sequentially("Typed early.")
    expect(_status(page)).to_have_text("")
    page.unroute("**/autosave.js*")
    page.add_script_tag(url="/static/js/autosave.js")  # ...and now it has
    expect(_status(page)).to_have_text(re.compile("^Saved at"), timeout=15_000)
    assert _stored_draft(live_server, item.id)["action"] == "Typed early."


def test_an_expired_session_keeps_the_text_in_the_browser_until_signed_in_again(
    browser: Any, live_server: LiveServer, contexts: list[BrowserContext]
) -> None:
    a11y = A11y()
    learner = live_server.users.learner
    item = Factory(live_server.app).evidence(learner, title="Late delivery", filled=False)
    context = _new_context(browser, live_server, contexts)
    page = context.new_page()
    sign_in(page, a11y, live_server, learner.email, learner.name)
    _open_draft(page, "Late delivery")
    edit_url = page.url
    action = page.get_by_label("Action", exact=True)
    action.press_sequentially("I checked the order.")
    expect(_status(page)).to_have_text(re.compile("^Saved at"), timeout=15_000)

    with live_server.app.app_context():  # the session ends (e.g. signed out elsewhere)
        user = db.session.get(User, learner.id)
        assert user is not None
        accounts.end_sessions(user)
    action.press_sequentially(" Then I rang the courier.")
    expect(_status(page)).to_have_text(
        re.compile("^Not saved: you are signed out. Your text is still here"), timeout=15_000
    )
    a11y.check(page)
    assert _stored_draft(live_server, item.id)["action"] == "I checked the order."
    page.close()  # the tab is closed with the text unsaved on the server

    page = context.new_page()
    page.goto(edit_url)
    expect(heading(page, "Sign in")).to_be_visible()
    page.get_by_label("Email").fill(learner.email)
    page.get_by_label("Password").fill(live_server.users.password)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, "Late delivery")).to_be_visible()
    offer = page.get_by_role("region", name="This browser kept text that was not saved")
    expect(offer).to_be_visible()
    a11y.check(page)
    offer.get_by_role("button", name="Put my unsaved text back").click()
    expect(page.get_by_label("Action", exact=True)).to_have_value(
        "I checked the order. Then I rang the courier."
    )
    expect(_status(page)).to_have_text(re.compile("^Saved at"), timeout=15_000)
    assert _stored_draft(live_server, item.id)["action"] == (
        "I checked the order. Then I rang the courier."
    )
    # Saved, so the browser's copy is gone: opening the draft again offers nothing.
    page.reload()
    expect(heading(page, "Late delivery")).to_be_visible()
    expect(page.get_by_text("This browser kept text that was not saved")).to_have_count(0)


def test_a_referred_item_resubmitted_shows_the_assessor_what_changed(
    browser: Any, live_server: LiveServer, contexts: list[BrowserContext]
) -> None:
    a11y = A11y()
    users = live_server.users
    first = Factory(live_server.app).submission(users.learner, title="Kettle refund")
    with live_server.app.app_context():
        from portfolio.assessment import services as assessment
        from portfolio.assessment.models import Outcome, PointStatus
        from portfolio.evidence.models import Submission

        submission = db.session.get(Submission, first.id)
        assessor = db.session.get(User, users.assessor.id)
        assert submission is not None and assessor is not None
        assessment.record_decision(
            assessor,
            submission,
            {
                p.id: assessment.PointMark(PointStatus.NOT_YET_MET, "Say who signed it.")
                for p in submission.claims
            },
            Outcome.REFERRED,
            "Say who signed the RA form.",
        )

    page = _new_context(browser, live_server, contexts).new_page()
    sign_in(page, a11y, live_server, users.learner.email, users.learner.name)
    _open_draft(page, "Kettle refund")
    outcome = page.get_by_label("Outcome", exact=True)
    outcome.press_sequentially(" My team leader signed the RA form.")
    expect(_status(page)).to_have_text(re.compile("^Saved at"), timeout=15_000)
    page.get_by_role("button", name="Save and continue to submit").click()
    expect(heading(page, "Submit “Kettle refund”")).to_be_visible()
    a11y.check(page)
    page.get_by_label(re.compile("I declare that this evidence is my own work")).check()
    page.get_by_label("Your full name, as your signature").fill(users.learner.name)
    page.get_by_role("button", name="Sign and submit").click()
    expect(page.get_by_text("Submitted. Your assessor has been told")).to_be_visible()
    expect(page.get_by_role("heading", name="Attempt 2")).to_be_visible()
    page.context.close()

    page = _new_context(browser, live_server, contexts).new_page()
    sign_in(page, a11y, live_server, users.assessor.email, users.assessor.name)
    nav(page, "Assessment queue")
    page.get_by_role("table").get_by_role("link", name="Kettle refund").click()
    expect(heading(page, "Assess “Kettle refund”")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="Compare attempt 1 with attempt 2").click()
    expect(heading(page, "What changed from attempt 1 to attempt 2")).to_be_visible()
    changed = page.get_by_role("region", name="Outcome")
    added = changed.locator("ins")
    expect(added).to_have_text("[added: My team leader signed the RA form.]")
    expect(page.get_by_text("1 of 4 answers changed: Outcome.")).to_be_visible()
    a11y.check(page)
