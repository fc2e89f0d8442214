"""Supporting files in real Chromium: a learner attaches a file to a draft through the file
picker, sees a wrong kind refused next to the field with the description kept, removes a file;
after submission the assessor downloads it with its own name. axe-core runs on each page."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import Page, expect

from portfolio.auth.models import User
from portfolio.evidence import services
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, sign_in, sign_out
from tests.core import samples
from tests.factories import Factory

pytestmark = pytest.mark.browser


def test_a_learner_attaches_files_and_the_assessor_downloads_one(
    page: Page, live_server: LiveServer
) -> None:
    server, users = live_server, live_server.users
    a11y = A11y()
    draft = Factory(server.app).evidence(users.learner, title="Kettle refund")

    sign_in(page, a11y, server, users.learner.email, users.learner.name)
    page.goto(server(f"/evidence/{draft.id}/edit"))
    expect(heading(page, "Kettle refund")).to_be_visible()
    files = page.locator("#attachments")
    expect(page.get_by_text("No files attached yet.")).to_be_visible()

    # A program renamed to .pdf: refused next to the field, the description kept.
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "returns-form.pdf", "mimeType": "application/pdf", "buffer": samples.EXE}
    )
    page.get_by_label("What the file shows (optional)").fill("The returns form I completed")
    page.get_by_role("button", name="Attach file").click()
    expect(heading(page, "Supporting files for “Kettle refund”")).to_be_visible()
    expect(page.locator("#attachment_file-error")).to_contain_text(
        "This kind of file cannot be attached."
    )
    expect(page.get_by_label("What the file shows (optional)")).to_have_value(
        "The returns form I completed"
    )
    a11y.check(page)

    # The real PDF, then a photo: both listed on the draft page.
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "returns-form.pdf", "mimeType": "application/pdf", "buffer": samples.pdf_bytes()}
    )
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_text("Attached “returns-form.pdf”.")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "till.png", "mimeType": "image/png", "buffer": samples.png_bytes()}
    )
    page.get_by_role("button", name="Attach file").click()
    expect(files.get_by_role("link", name="returns-form.pdf")).to_be_visible()
    expect(files.get_by_role("link", name="till.png")).to_be_visible()
    expect(files).to_contain_text("The returns form I completed")
    a11y.check(page)

    page.get_by_role("button", name="Remove till.png").click()
    expect(page.get_by_text("Removed “till.png”.")).to_be_visible()
    expect(files.get_by_role("link", name="till.png")).to_have_count(0)

    # Submitted (behind the browser's back: the submit page is not what this test is about).
    with server.app.app_context():
        item = db.session.get(Evidence, draft.id)
        learner = db.session.get(User, users.learner.id)
        assert item is not None and learner is not None
        services.submit_evidence(item, learner, learner.name)
    sign_out(page)

    sign_in(page, a11y, server, users.assessor.email, users.assessor.name)
    page.goto(server(f"/assessment/evidence/{draft.id}"))
    expect(page.get_by_role("heading", name="Supporting files")).to_be_visible()
    expect(page.locator("ul.attachments")).to_contain_text(
        hashlib.sha256(samples.pdf_bytes()).hexdigest()
    )
    a11y.check(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="returns-form.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "returns-form.pdf"
    path = download.path()
    assert path is not None
    with open(path, "rb") as handle:
        assert handle.read() == samples.pdf_bytes()
