"""Acceptance, in real Chromium: an assessor starts a portfolio export, watches its progress and
downloads it; the PDF's bookmarks and contents page numbers are right, its embedded
portfolio.json says what the screen says, and it passes the PDF/A-3b checks. Another user
cannot open the export. The jobs run on the embedded thread runner, as on a first run.
axe-core runs on every page."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portfolio.auth.models import User
from portfolio.export.pdfcheck import check_pdf
from portfolio.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, sign_in, sign_out
from tests.export.support import build_world, outline, page_texts, words
from tests.factories import Factory
from tests.iqa.support import decide

pytestmark = pytest.mark.browser

# Enough evidence for a PDF of some dozens of pages, so the export takes long enough to watch.
EXTRA_ITEMS = 16

# Every text the progress line shows, recorded in the page as it changes.
RECORD_STAGES = """
window.stages = [];
document.addEventListener('DOMContentLoaded', () => {
  const line = document.getElementById('export-stage');
  if (!line) return;
  window.stages.push(line.textContent);
  new MutationObserver(() => window.stages.push(line.textContent))
    .observe(line, {subtree: true, childList: true, characterData: true});
});
"""


def _seed(server: LiveServer) -> dict[str, Any]:
    make = Factory(server.app)
    with server.app.app_context():
        world = build_world(make)
        for n in range(EXTRA_ITEMS):
            decide(world.assessor, make.submission(world.learner, title=f"Refund call {n + 1}"))
        learner = db.session.get(User, world.learner.id)
        assert learner is not None
        return {
            "learner_id": learner.id,
            "learner": learner.name,
            "assessor": world.assessor.email,
            "assessor_name": world.assessor.name,
            "other": world.other.email,
            "other_name": world.other.name,
        }


def test_an_assessor_exports_watches_and_downloads(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    server, a11y = live_server, A11y()
    server.app.config["EXPORT_RUNNER"] = "thread"  # the embedded default, as on a first run
    seed = _seed(server)

    # 1. The assessor opens the learner's tracking page and reads what the screen says.
    sign_in(page, a11y, server, seed["assessor"], seed["assessor_name"])
    page.goto(server(f"/assessment/learners/{seed['learner_id']}"))
    expect(heading(page, f"{seed['learner']}: tracking")).to_be_visible()
    a11y.check(page)
    on_screen = {
        words(row.inner_text()) for row in page.locator("h2:text-is('Evidence') ~ ul > li").all()
    }
    assert len(on_screen) == 3 + EXTRA_ITEMS

    # 2. Starts a whole-portfolio PDF/A export.
    page.get_by_role("link", name="Export the portfolio (PDF)").click()
    expect(heading(page, f"Export the portfolio of {seed['learner']}")).to_be_visible()
    a11y.check(page)
    page.get_by_label("The whole portfolio").check()
    expect(page.get_by_label(re.compile("Archival PDF/A-3b"))).to_be_checked()
    page.add_init_script(RECORD_STAGES)
    page.get_by_role("button", name="Start the export").click()

    # 3. Watches its progress on the job page until the download appears.
    expect(heading(page, re.compile("Export: portfolio-"))).to_be_visible()
    a11y.check(page)
    download_link = page.get_by_role("link", name=re.compile("^Download portfolio-"))
    expect(download_link).to_be_visible(timeout=180_000)
    expect(page.locator("#export-bar")).to_have_attribute("value", "100")
    a11y.check(page)
    stages = page.evaluate("window.stages")
    assert any(re.search(r"Laying out page \d+|Writing the PDF|Gathering", s) for s in stages), (
        stages
    )
    assert any(re.search(r"\((\d|[1-9]\d)%\)", s) for s in stages), stages  # below 100%
    assert re.search(r"Ready: \d+ pages \(100%\)", words(stages[-1])), stages[-1]
    job_url = page.url

    # 4. Downloads it.
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    data = path.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    texts = page_texts(reader)

    # 5. Bookmarks point at the pages their titles are on; contents page numbers are right.
    marks = outline(reader)
    items = [title for depth, title, _ in marks if depth == 2]
    assert len(items) == 3 + EXTRA_ITEMS
    for depth, title, number in marks:
        assert title in texts[number - 1], (depth, title, number)
    contents = texts[1]
    for title in items:
        found = re.search(re.escape(title) + r" ?\.{3,} ?(\d+)", contents)
        assert found, (title, contents)
        assert title in texts[int(found.group(1)) - 1], title

    # 6. The embedded facts say what the screen said.
    facts = json.loads(reader.attachments["portfolio.json"][0])
    assert facts["learner"] == seed["learner"]
    in_json = {
        words(f"{item['title']} — {item['status']}")
        for element in facts["elements"]
        for item in element["evidence"]
    }
    assert in_json == on_screen

    # 7. It passes the PDF/A-3b checks.
    assert check_pdf(data) == []

    # 8. The export is the assessor's alone: another user gets "not found".
    sign_out(page)
    sign_in(page, a11y, server, seed["other"], seed["other_name"])
    page.goto(job_url)
    expect(heading(page, "Page not found")).to_be_visible()
    a11y.check(page)
