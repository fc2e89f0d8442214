"""Revision content in real Chromium: a tutor drafts, previews, publishes, edits, compares and
restores a page; a learner finds it by browsing and by search, marks it read and sees progress
move; hostile Markdown is published inert. axe-core runs on every page visited."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out

pytestmark = pytest.mark.browser

FIRST = "## Refunds for faulty kettles\n\nA faulty kettle returned within **30 days** gets a full refund."
SECOND = (
    "## Refunds for faulty kettles\n\nAfter 30 days the customer gets one repair or replacement."
)
PAYLOADS = "\n\n".join(
    [
        "<script>window.pwned = 1; alert('script')</script>",
        '<img src="x" onerror="window.pwned = 2; alert(2)">',
        "[click me](javascript:alert(3))",
        '<iframe src="javascript:alert(4)"></iframe>',
        '<a href="#" onclick="alert(5)">handler</a>',
        '<p style="background:url(javascript:alert(6))">styled</p>',
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==)",
        "<svg onload=alert(8)>",
        "Plain words survive.",
    ]
)


def _create_page(page: Page, a11y: A11y, slug: str, title: str, body: str) -> None:
    nav(page, "Revision")
    expect(heading(page, "Revision pages")).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name="New page").click()
    expect(heading(page, "New revision page")).to_be_visible()
    a11y.check(page)
    page.get_by_label("Address (slug)").fill(slug)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Element").select_option("pts-a")
    page.get_by_label("Page text (Markdown)").fill(body)


def test_a_tutor_publishes_and_a_learner_revises(page: Page, live_server: LiveServer) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()

    # The tutor drafts, previews (nothing saved), then creates the page as a draft.
    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    _create_page(page, a11y, "pts-a-faulty-kettles", "Faulty kettles", FIRST)
    page.get_by_label(
        "pts-a.1: Correctly identifies the rights of customers under the Consumer Rights Act 2015"
    ).check()
    page.get_by_label("Legislation cited").fill("Consumer Rights Act 2015 s22")
    page.get_by_label("Status").select_option("draft")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name=re.compile("Preview"))
    expect(preview.get_by_role("heading", name="Refunds for faulty kettles")).to_be_visible()
    expect(preview.locator("strong", has_text="30 days")).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name="Create page").click()
    expect(heading(page, "Faulty kettles")).to_be_visible()
    a11y.check(page)

    # Publish it from the editor, then edit the text again.
    page.get_by_role("link", name=re.compile("^Edit")).first.click()
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save").click()
    expect(heading(page, "Faulty kettles")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Edit")).first.click()
    a11y.check(page)
    page.get_by_label("Page text (Markdown)").fill(SECOND)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("one repair or replacement")).to_be_visible()

    # History: compare the last two revisions, then restore the first text.
    page.goto(server("/pages/pts-a-faulty-kettles/history"))
    expect(heading(page, re.compile("History of"))).to_be_visible()
    a11y.check(page)
    page.get_by_role("link", name=re.compile("Compare with revision 2")).click()
    expect(page.locator("del", has_text="full refund")).to_be_visible()
    expect(page.locator("ins", has_text="one repair or replacement")).to_be_visible()
    a11y.check(page)
    page.go_back()
    page.get_by_role("button", name="Restore this revision (2)").click()
    expect(page.get_by_role("cell", name="Restored revision 2")).to_be_visible()
    a11y.check(page)
    page.goto(server("/pages/pts-a-faulty-kettles"))
    expect(page.get_by_text("gets a full refund")).to_be_visible()
    page.goto(server("/pages/review"))
    a11y.check(page)
    sign_out(page)

    # The learner browses to it, searches for it, marks it read and sees progress move.
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    nav(page, "Revision")
    element = page.get_by_role("region", name=re.compile("returns, complaints, queries"))
    before = element.get_by_text(re.compile(r"You have read 0 of \d+ pages")).inner_text()
    a11y.check(page)
    element.get_by_role("link", name="Faulty kettles").click()
    expect(heading(page, "Faulty kettles")).to_be_visible()
    expect(page.get_by_text("Consumer Rights Act 2015 s22")).to_be_visible()
    page.get_by_role("button", name="Mark as read").click()
    expect(page.get_by_text(re.compile("You marked this page as read"))).to_be_visible()
    a11y.check(page)
    page.get_by_role("searchbox").first.fill("kettle refund")
    page.get_by_role("button", name="Search").first.click()
    expect(heading(page, "Search revision pages")).to_be_visible()
    expect(page.get_by_role("link", name="Faulty kettles")).to_be_visible()
    expect(page.locator("mark").first).to_be_visible()
    a11y.check(page)
    nav(page, "Revision")
    after = (
        page.get_by_role("region", name=re.compile("returns, complaints, queries"))
        .get_by_text(re.compile(r"You have read 1 of \d+ pages"))
        .inner_text()
    )
    assert before.split(" of ")[1] == after.split(" of ")[1]  # same total, one more read
    assert len(a11y.distinct_pages()) >= 8


def test_hostile_markdown_is_published_inert(page: Page, live_server: LiveServer) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    sign_in(page, a11y, server, users.tutor.email, users.tutor.name)
    _create_page(page, a11y, "pts-a-hostile", "Hostile page", PAYLOADS)
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Preview").click()
    a11y.check(page)
    page.get_by_role("button", name="Create page").click()
    expect(heading(page, "Hostile page")).to_be_visible()
    sign_out(page)

    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    page.goto(server("/pages/pts-a-hostile"))
    expect(page.get_by_text("Plain words survive.")).to_be_visible()
    a11y.check(page)
    for link in page.locator(".prose a").all():
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith(("javascript:", "data:")), href
        if href:
            link.click(no_wait_after=True)
    page.wait_for_timeout(300)  # any handler or navigation would have fired by now
    assert dialogs == []
    assert page.evaluate("window.pwned") is None
    assert page.locator(".prose script, .prose iframe, .prose svg, .prose [onerror]").count() == 0
