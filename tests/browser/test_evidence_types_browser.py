"""An evidence type with rich fields in real Chromium: a date picker, choices, a row added with
the "Add a row" button, and the submit page showing each value as a reader expects it, with
axe-core run on each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in

pytestmark = pytest.mark.browser


def test_a_return_authorisation_form_with_rows(page: Page, live_server: LiveServer) -> None:
    server, a11y = live_server, A11y()
    learner = server.users.learner
    sign_in(page, a11y, server, learner.email, learner.name)
    nav(page, "My evidence")
    page.get_by_label("Title", exact=True).fill("Faulty toaster")
    page.get_by_label("Kind of evidence").select_option(label="Return authorisation form")
    page.get_by_role("button", name="Start").click()
    expect(heading(page, "Faulty toaster")).to_be_visible()
    a11y.check(page)

    page.get_by_label("RA number").fill("RA-XXXX-482")
    page.get_by_label("Date bought or delivered").fill("2026-03-02")  # the date picker
    page.get_by_role("group", name="How the goods were bought").get_by_role(
        "radio", name="Online"
    ).check()
    first = page.get_by_role("group", name="Item 1")
    first.get_by_label("Description").fill("Toaster, white")
    first.get_by_label("Quantity").fill("1")
    first.get_by_label("Price paid each").fill("£24.99")
    first.get_by_role("radio", name="Damaged or faulty").check()
    page.get_by_role("button", name="Add a row to Items returned").click()

    expect(page.get_by_text("A blank row has been added to Items returned.")).to_be_visible()
    expect(page.get_by_role("group", name="Item 1").get_by_label("Description")).to_have_value(
        "Toaster, white"
    )
    second = page.get_by_role("group", name="Item 2")
    expect(second.get_by_label("Description")).to_have_value("")
    expect(page.get_by_label("Date bought or delivered")).to_have_value("2026-03-02")
    a11y.check(page)
    second.get_by_label("Description").fill("Crumb tray")
    second.get_by_label("Price paid each").fill("3")
    page.get_by_role("group", name="Reason for the return").get_by_role(
        "radio", name="Faulty"
    ).check()
    page.get_by_role("button", name="Save and continue to submit").click()

    expect(heading(page, re.compile("Submit"))).to_be_visible()
    table = page.get_by_role("table", name="Items returned")
    expect(table.get_by_role("columnheader", name="Price paid each")).to_be_visible()
    expect(table.get_by_role("cell", name="£24.99")).to_be_visible()
    expect(table.get_by_role("cell", name="£3.00")).to_be_visible()
    expect(page.get_by_text("2 March 2026")).to_be_visible()
    expect(page.get_by_text("Fix these before you submit")).to_be_visible()
    a11y.check(page)

    # A problem's link leads to its field on the draft, with the message beside it.
    page.get_by_role("link", name=re.compile("Item 2: Quantity is required")).click()
    quantity = page.get_by_role("group", name="Item 2").get_by_label("Quantity")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#items-1-quantity-error")).to_contain_text("Quantity is required")
    a11y.check(page)
