"""Acceptance, in real Chromium: the assessor reads the cohort matrix and downloads it as CSV
(the same cells as the screen), opens a learner whose element is complete and signs it off; the
IQA filters the matrix by learner group; the learner sees the sign-off on their home page.
axe-core runs on every page."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portfolio.auth.models import User
from portfolio.extensions import db
from tests.assessment.support import MET, NOT_YET, decide
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in, sign_out
from tests.factories import Factory
from tests.helpers import read_tables

pytestmark = pytest.mark.browser

POINTS = [f"pts-a.{n}" for n in range(1, 6)]
ELEMENT = "pts-a"


def _seed(server: LiveServer) -> None:
    """Lily has met every point of pts-a; Leo one point, another judged not yet met."""
    make, users = Factory(server.app), server.users
    lily = make.submission(users.learner, title="Kettle refund", claims=tuple(POINTS))
    leo = make.submission(users.learner2, title="Sofa complaint", claims=("pts-a.1", "pts-a.2"))
    make.cohort("Evening", users.learner2)
    with server.app.app_context():
        assessor = db.session.get(User, users.assessor.id)
        assert assessor is not None
        decide(lily.id, dict.fromkeys(POINTS, MET), assessor=assessor)
        decide(leo.id, {"pts-a.1": MET, "pts-a.2": NOT_YET}, assessor=assessor)


def test_tracking_sign_off_and_csv(page: Page, live_server: LiveServer) -> None:
    server, users, a11y = live_server, live_server.users, A11y()
    _seed(server)

    # 1. The assessor's cohort matrix: their learners against the marking points.
    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    nav(page, "Cohort tracking")
    expect(heading(page, "Cohort tracking: my learners, every group")).to_be_visible()
    matrix = page.get_by_role("region", name=re.compile("Cohort matrix: "))
    expect(matrix.first.get_by_role("row", name=re.compile("^Lily Learner"))).to_contain_text(
        "5 of 5"
    )
    a11y.check(page)

    # 2. Its CSV is what the screen shows.
    link = page.get_by_role("link", name="Download this matrix (CSV)")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "cohort-tracking-mine-every-group.csv"
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    screen = read_tables(page.content())
    assert rows[2:] == [r for table in screen for r in [*table, []]][:-1]

    # 3. Lily's page: the complete element is signed off.
    matrix.first.get_by_role("link", name="Lily Learner").click()
    expect(heading(page, "Lily Learner: tracking")).to_be_visible()
    a11y.check(page)
    page.get_by_role("button", name=re.compile("^Sign off this element")).click()
    expect(page.get_by_text(re.compile(r"^Signed off: "))).to_be_visible()
    signed = page.locator(f"#element-{ELEMENT} .signed-off")
    expect(signed).to_have_text(re.compile(r"^Signed off by Alan Assessor on \d+ \w+ \d{4}\.$"))
    expect(page.get_by_role("button", name=re.compile("^Sign off this element"))).to_have_count(0)
    a11y.check(page)
    sign_out(page)

    # 4. The IQA sees every learner, and can narrow to one group.
    sign_in(page, a11y, server, users.iqa.email, users.iqa.name)
    nav(page, "Cohort tracking")
    expect(heading(page, "Cohort tracking: all learners, every group")).to_be_visible()
    page.get_by_label("Learner group").select_option(label="Evening")
    page.get_by_role("button", name="Show").click()
    expect(heading(page, "Cohort tracking: all learners, group Evening")).to_be_visible()
    first = page.get_by_role("region", name=re.compile("Cohort matrix: ")).first
    expect(first.get_by_role("link", name="Leo Learner")).to_be_visible()
    expect(first.get_by_role("link", name="Lily Learner")).to_have_count(0)
    a11y.check(page)
    sign_out(page)

    # 5. Lily sees the sign-off on her home page.
    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    expect(
        page.get_by_role("cell", name=re.compile("^Signed off by Alan Assessor on "))
    ).to_be_visible()
    assert len(a11y.distinct_pages()) >= 4, sorted(a11y.distinct_pages())
