"""Attaching, downloading and removing supporting files through the browser's requests: own
evidence only, refusals next to the field with the description kept, downloads only for those
entitled to the evidence, as attachments the browser may not sniff or run."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role, User
from portfolio.evidence import services
from portfolio.evidence.attachments import add_attachment
from portfolio.evidence.models import Attachment, Evidence
from portfolio.extensions import db
from tests.conftest import csrf_token, login
from tests.core import samples
from tests.factories import Factory
from tests.helpers import read_form, send, text

MiB = 1024 * 1024


def _multipart(
    fields: dict[str, str], header_name: str, data: bytes, field: str = "attachment_file"
) -> tuple[bytes, str]:
    """A multipart body built by hand: the file name goes in exactly as given (a browser would
    send a name with a line break as filename*=UTF-8''...), and a large upload is not spooled
    to a temporary file the test client never closes."""
    boundary = "----attachment-boundary-5c2e"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; {header_name}\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _upload(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    evidence_id: int,
    data: bytes,
    filename: str,
    description: str = "Returns form I completed",
    *,
    encoded: bool = False,
):
    header = f"filename*=UTF-8''{quote(filename, safe='')}" if encoded else f'filename="{filename}"'
    body, content_type = _multipart(
        {"csrf_token": csrf_token(client, "/"), "attachment_description": description},
        header,
        data,
    )
    return client.post(f"/evidence/{evidence_id}/attachments", data=body, content_type=content_type)


class World:
    def __init__(self, app: Flask, make: Factory) -> None:
        self.app = app
        self.make = make
        self.assessor = make.user(Role.ASSESSOR)
        self.learner = make.learner(assessor=self.assessor, name="Lily Learner")
        self.draft = make.evidence(self.learner)
        self.client = self.login(self.learner)

    def login(self, user: User) -> FlaskClient:
        client = self.app.test_client()
        login(client, user.email)
        return client

    def attach(self, data: bytes, filename: str, evidence_id: int | None = None) -> Attachment:
        with self.app.app_context():
            item = db.session.get(Evidence, evidence_id or self.draft.id)
            learner = db.session.get(User, self.learner.id)
            assert item is not None and learner is not None
            added = add_attachment(item, learner, filename, data, "")
            db.session.refresh(added)
            db.session.expunge(added)
            return added

    def submit(self, evidence_id: int | None = None) -> int:
        with self.app.app_context():
            item = db.session.get(Evidence, evidence_id or self.draft.id)
            learner = db.session.get(User, self.learner.id)
            assert item is not None and learner is not None
            return services.submit_evidence(item, learner, learner.name).id

    def refer(self, submission_id: int) -> None:
        with self.app.app_context():
            submission = services.get_submission(submission_id)
            assessor = db.session.get(User, self.assessor.id)
            assert submission is not None and assessor is not None
            assessment.record_decision(
                assessor,
                submission,
                {
                    "pts-a.1": assessment.PointMark(PointStatus.MET, ""),
                    "pts-a.4": assessment.PointMark(PointStatus.NOT_YET_MET, "Show the log."),
                },
                Outcome.REFERRED,
                "Add the call log.",
            )

    def rows(self) -> list[Attachment]:
        with self.app.app_context():
            found = list(db.session.scalars(select(Attachment).order_by(Attachment.id)))
            for row in found:
                db.session.expunge(row)
            return found

    def files(self) -> list[Path]:
        folder = Path(self.app.instance_path) / "uploads" / "evidence"
        return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    return World(app, make)


def test_an_uploaded_file_is_listed_on_the_draft_and_downloads_byte_identical(
    world: World,
) -> None:
    data = samples.pdf_bytes()
    response = _upload(world.client, world.draft.id, data, "Returns form.pdf")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/evidence/{world.draft.id}/edit#attachments"
    [row] = world.rows()
    assert (row.filename, row.content_type, row.description) == (
        "Returns form.pdf",
        "application/pdf",
        "Returns form I completed",
    )
    assert [p.name for p in world.files()] == [row.stored_name]

    page = text(world.client.get(f"/evidence/{world.draft.id}/edit"))
    assert "Attached “Returns form.pdf”." in page
    assert f'<a href="/evidence/attachments/{row.id}">Returns form.pdf</a>' in page
    assert "PDF document" in page and "Returns form I completed" in page
    assert f"/evidence/{world.draft.id}/attachments/{row.id}/remove" in page
    assert f"You have used {len(data)} bytes of 100 MB for files across all your evidence." in page
    assert "You can attach PDF documents, PNG or JPEG images" in page
    assert "Up to 10 MB each, and 20 files on one piece of evidence." in page

    served = world.client.get(f"/evidence/attachments/{row.id}")
    assert served.status_code == 200
    assert served.data == data
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"Returns form.pdf\"; filename*=UTF-8''Returns%20form.pdf"
    )
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Cache-Control"] == "private, no-store"
    csp = served.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = self.deepest = 0
        self.multipart: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)
            found = dict(attrs)
            if found.get("enctype") == "multipart/form-data":
                self.multipart.append(found.get("action") or "")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "form"


def test_the_upload_form_stands_apart_from_the_draft_form(world: World) -> None:
    world.attach(samples.TEXT, "notes.txt")
    forms = _Forms()
    forms.feed(world.client.get(f"/evidence/{world.draft.id}/edit").get_data(as_text=True))
    assert forms.deepest == 1  # no form inside another
    assert forms.multipart == [f"/evidence/{world.draft.id}/attachments"]


def test_a_non_ascii_name_downloads_with_an_rfc_5987_name(world: World) -> None:
    added = world.attach(samples.png_bytes(), "Reçu “kettle” 2026")  # no extension given
    served = world.client.get(f"/evidence/attachments/{added.id}")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"] == (
        'attachment; filename="Recu kettle 2026.png"; '
        "filename*=UTF-8''Re%C3%A7u%20%E2%80%9Ckettle%E2%80%9D%202026.png"
    )


@pytest.mark.parametrize(
    ("data", "filename", "encoded", "message"),
    [
        (samples.EXE, "setup.pdf", False, "This kind of file cannot be attached."),
        (samples.png_bytes(), "photo.pdf", False, "ends in .pdf but it is really a PNG image"),
        (samples.docm_bytes(), "letter.docx", False, "macro"),
        (samples.pdf_bytes()[:-12], "form.pdf", False, "The PDF is damaged or incomplete"),
        (samples.TEXT, "../../notes.txt", False, "must not contain / or \\"),
        (samples.TEXT, "C:\\fakepath\\notes.txt", True, "must not contain / or \\"),
        (samples.TEXT, "notes..txt", False, "two dots in a row"),
        (samples.TEXT, "notes\x00.txt", True, "control or invisible characters"),
        (samples.TEXT, "notes\n.txt", True, "control or invisible characters"),
        (b"", "empty.txt", False, "The file is empty."),
        (b"x" * (10 * MiB + 1), "big.txt", False, "The file is 10.1 MB; the largest file"),
    ],
    ids=[
        "exe",
        "mismatch",
        "docm",
        "truncated-pdf",
        "traversal",
        "backslash",
        "dotdot",
        "nul",
        "newline",
        "empty",
        "over-limit",
    ],
)
def test_a_refused_upload_says_why_next_to_the_field_and_stores_nothing(
    world: World, data: bytes, filename: str, encoded: bool, message: str
) -> None:
    response = _upload(
        world.client, world.draft.id, data, filename, "My returns form", encoded=encoded
    )
    assert response.status_code == 422
    form = read_form(response)
    assert list(form.errors) == ["attachment_file"], form.errors
    assert message in form.errors["attachment_file"]
    assert form.value("attachment_description") == "My returns form"
    assert "There is a problem" in text(response)
    assert world.rows() == [] and world.files() == []


def test_no_file_chosen_is_refused(world: World) -> None:
    response = send(
        world.client,
        f"/evidence/{world.draft.id}/attachments",
        {"attachment_description": "Form"},
    )
    assert response.status_code == 422
    assert read_form(response).errors == {"attachment_file": "Error: Choose a file to attach."}


def test_a_description_too_long_is_refused_next_to_it(world: World) -> None:
    response = _upload(world.client, world.draft.id, samples.TEXT, "notes.txt", "x" * 201)
    assert response.status_code == 422
    assert list(read_form(response).errors) == ["attachment_description"]
    assert world.rows() == []


def test_a_request_over_the_site_limit_gets_a_page_that_says_the_limit(world: World) -> None:
    limit = world.app.config["MAX_CONTENT_LENGTH"]
    assert limit == 11 * MiB  # a little above the 10 MB attachment limit
    response = _upload(world.client, world.draft.id, bytes(limit), "huge.pdf")
    assert response.status_code == 413
    assert "The most this site accepts in one go is 11 MB" in text(response)
    assert world.rows() == [] and world.files() == []


def test_someone_elses_evidence_is_not_found_and_nothing_is_stored(
    world: World, make: Factory
) -> None:
    other = make.learner()
    theirs = make.evidence(other)
    assert _upload(world.client, theirs.id, samples.TEXT, "notes.txt").status_code == 404
    assert world.client.get(f"/evidence/{theirs.id}/attachments").status_code == 404
    assert _upload(world.client, 999_999, samples.TEXT, "notes.txt").status_code == 404
    assert world.rows() == [] and world.files() == []


def test_someone_elses_file_cannot_be_removed_or_downloaded(world: World, make: Factory) -> None:
    mine = world.attach(samples.TEXT, "notes.txt")
    other = make.learner()
    other_client = world.login(other)
    theirs = make.evidence(other)
    for url in (
        f"/evidence/{world.draft.id}/attachments/{mine.id}/remove",
        f"/evidence/{theirs.id}/attachments/{mine.id}/remove",
    ):
        assert send(other_client, url, {}).status_code == 404
    assert other_client.get(f"/evidence/attachments/{mine.id}").status_code == 404
    assert [a.id for a in world.rows()] == [mine.id] and len(world.files()) == 1


@pytest.mark.parametrize(
    ("role", "mine", "status"),
    [
        (Role.ASSESSOR, True, 200),
        (Role.IQA, False, 200),
        (Role.ADMIN, False, 200),
        (Role.ASSESSOR, False, 404),
        (Role.TUTOR, False, 404),
        (Role.LEARNER, False, 404),
    ],
    ids=["own-assessor", "iqa", "admin", "other-assessor", "tutor", "other-learner"],
)
def test_downloads_are_for_those_entitled_to_the_evidence(
    world: World, make: Factory, role: Role, mine: bool, status: int
) -> None:
    added = world.attach(samples.pdf_bytes(), "form.pdf")
    world.submit()
    viewer = world.assessor if mine else make.user(role)
    response = world.login(viewer).get(f"/evidence/attachments/{added.id}")
    assert response.status_code == status
    if status == 200:
        assert response.data == samples.pdf_bytes()
        assert response.headers["Content-Disposition"].startswith("attachment;")
    else:
        assert "form.pdf" not in response.get_data(as_text=True)


def test_anonymous_downloads_go_to_sign_in(world: World, client: FlaskClient) -> None:
    added = world.attach(samples.TEXT, "notes.txt")
    response = client.get(f"/evidence/attachments/{added.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_a_draft_file_is_removed(world: World) -> None:
    gone = world.attach(samples.TEXT, "notes.txt")
    kept = world.attach(samples.pdf_bytes(), "form.pdf")
    response = send(world.client, f"/evidence/{world.draft.id}/attachments/{gone.id}/remove", {})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/evidence/{world.draft.id}/edit#attachments"
    assert [a.id for a in world.rows()] == [kept.id]
    assert [p.name for p in world.files()] == [kept.stored_name]
    assert "Removed “notes.txt”." in text(world.client.get(response.headers["Location"]))
    assert world.client.get(f"/evidence/attachments/{gone.id}").status_code == 404


def test_remove_needs_the_csrf_token(world: World) -> None:
    added = world.attach(samples.TEXT, "notes.txt")
    response = world.client.post(f"/evidence/{world.draft.id}/attachments/{added.id}/remove")
    assert response.status_code == 400
    assert len(world.rows()) == 1


def test_upload_needs_the_csrf_token(world: World) -> None:
    body, content_type = _multipart({}, 'filename="notes.txt"', samples.TEXT)
    response = world.client.post(
        f"/evidence/{world.draft.id}/attachments", data=body, content_type=content_type
    )
    assert response.status_code == 400
    assert world.rows() == [] and world.files() == []


def test_submitted_files_are_frozen_and_shown_to_the_assessor_with_their_hash(
    world: World,
) -> None:
    added = world.attach(samples.pdf_bytes(), "form.pdf")
    submission_id = world.submit()
    # While submitted: no uploads, no removals.
    assert _upload(world.client, world.draft.id, samples.TEXT, "log.txt").status_code == 409
    remove = f"/evidence/{world.draft.id}/attachments/{added.id}/remove"
    assert send(world.client, remove, {}).status_code == 409
    assert len(world.rows()) == 1

    record = text(world.login(world.assessor).get(f"/assessment/evidence/{world.draft.id}"))
    assert f'<a href="/evidence/attachments/{added.id}">form.pdf</a>' in record
    assert added.sha256 in record
    marking = text(world.login(world.assessor).get(f"/assessment/submissions/{submission_id}"))
    assert added.sha256 in marking

    # Referred back: the submitted file stays, marked as kept; new files may be added.
    world.refer(submission_id)
    page = text(world.client.get(f"/evidence/{world.draft.id}/edit"))
    assert "Submitted: kept as sent" in page and remove not in page
    refused = send(world.client, remove, {})
    assert refused.status_code == 409
    assert "was part of a submission" in text(refused)
    assert _upload(world.client, world.draft.id, samples.TEXT, "log.txt").status_code == 302
    assert [a.filename for a in world.rows()] == ["form.pdf", "log.txt"]


def test_the_attachments_page_shows_the_list_and_form(world: World) -> None:
    world.attach(samples.TEXT, "notes.txt")
    page = world.client.get(f"/evidence/{world.draft.id}/attachments")
    assert page.status_code == 200
    assert "Supporting files for “Kettle refund”" in text(page) and "notes.txt" in text(page)


def test_the_pdf_export_lists_files_without_links(world: World) -> None:
    from portfolio.export import services as export

    added = world.attach(samples.pdf_bytes(), "form.pdf")
    world.submit()
    with world.app.test_request_context():
        learner = db.session.get(User, world.learner.id)
        assert learner is not None
        html = export.portfolio_html(learner)
    assert "form.pdf" in html and added.sha256 in html
    assert f"/evidence/attachments/{added.id}" not in html


def test_a_download_name_cannot_break_the_header() -> None:
    from portfolio.evidence.attachment_views import content_disposition

    header = content_disposition('He said "refund"; size=1 %41.txt', "attachment-1.txt")
    assert header == (
        'attachment; filename="He said _refund__ size_1 _41.txt"; '
        "filename*=UTF-8''He%20said%20%22refund%22%3B%20size%3D1%20%2541.txt"
    )
    assert content_disposition("“”.pdf", "attachment-7.pdf").startswith(
        'attachment; filename="attachment-7.pdf";'
    )
