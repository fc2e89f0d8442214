"""What every browser test shares: axe-core on each page, and signing in and out."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer

BLOCKING_IMPACTS = {"serious", "critical"}


class A11y:
    """Runs axe-core on the page in front of the user and keeps the URLs it checked."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.checked: list[str] = []

    def check(self, page: Page) -> None:
        page.wait_for_load_state("load")
        results = self.axe.run(page)
        self.checked.append(page.url)
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            lines = [f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:"]
            for v in blocking:
                targets = "; ".join(", ".join(n["target"]) for n in v["nodes"])
                lines.append(f"- {v['id']} ({v['impact']}): {v['help']} -> {targets}")
            print("\n".join(lines))
            pytest.fail("\n".join(lines), pytrace=False)

    def distinct_pages(self) -> set[str]:
        return {urlsplit(url).path for url in self.checked}


def heading(page: Page, text: str | re.Pattern[str]) -> Any:
    return page.get_by_role("heading", level=1, name=text)


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def sign_in(page: Page, a11y: A11y, server: LiveServer, email: str, name: str) -> None:
    page.goto(server("/"))
    expect(heading(page, "Sign in")).to_be_visible()  # anonymous users are sent to sign in
    a11y.check(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(server.users.password)
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page, f"Welcome, {name}")).to_be_visible()
    a11y.check(page)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    expect(heading(page, "Sign in")).to_be_visible()
