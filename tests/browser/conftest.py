"""Fixtures for the browser tests: the app served on a real port, and Chromium through Playwright.

The browser is Debian's Chromium (or the one PORTFOLIO_CHROMIUM names); Playwright's own browser
downloads are never used. Without a browser the tests are skipped, unless
PORTFOLIO_REQUIRE_BROWSER=1 (CI) turns the skip into a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portfolio.auth.models import Role, User
from portfolio.data import DataSet
from portfolio.extensions import db
from tests.conftest import _reset_schema, make_app
from tests.factories import Factory

CHROMIUM = os.environ.get("PORTFOLIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MISSING = (
    "Chromium not found: install it with `apt-get install -y chromium` (Debian) "
    "to run the browser tests"
)


@dataclass(frozen=True)
class Users:
    tutor: User
    assessor: User
    iqa: User
    admin: User
    learner: User
    learner2: User
    password: str = Factory.PASSWORD


@dataclass(frozen=True)
class LiveServer:
    url: str
    users: Users
    # The served app, for a test that must set the scene behind the browser's back (seed other
    # learners' attempts, move time on); open an app context with it.
    app: Flask

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(tmp_path: Path, shipped_data: DataSet) -> Iterator[LiveServer]:
    """The app on a fresh database with the shipped data and demo-like users, on a real port."""
    from portfolio.cli import load_data

    app = make_app(tmp_path)
    with app.app_context():
        _reset_schema()
        load_data(shipped_data)
    make = Factory(app)
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor", email="assessor@example.org")
    users = Users(
        tutor=make.user(Role.TUTOR, name="Tina Tutor", email="tutor@example.org"),
        assessor=assessor,
        iqa=make.user(Role.IQA, name="Ian Quality", email="iqa@example.org"),
        admin=make.user(Role.ADMIN, name="Ada Admin", email="admin@example.org"),
        learner=make.learner(assessor=assessor, name="Lily Learner", email="lily@example.org"),
        learner2=make.learner(assessor=assessor, name="Leo Learner", email="leo@example.org"),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", users, app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def _chromium_path() -> str:
    if not Path(CHROMIUM).is_file():
        if os.environ.get("PORTFOLIO_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"{MISSING} (PORTFOLIO_REQUIRE_BROWSER=1, so this is a failure; "
                f"looked for {CHROMIUM})",
                pytrace=False,
            )
        pytest.skip(MISSING)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) on a page that may only reach the test server."""
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, locale="en-GB", timezone_id="Europe/London"
    )
    context.set_default_timeout(10_000)

    def only_test_server(route: Any) -> None:
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_test_server)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
