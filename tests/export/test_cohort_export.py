"""A cohort's portfolios as one ZIP, started from the cohort tracking page with its filters:
one PDF per learner and a manifest whose hashes match them; a learner whose portfolio failed
is listed with the reason; who may, and a choice that names nobody. (Jobs run inline.)"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from portfolio.audit import services as audit
from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.core.render_process import RenderFailed
from portfolio.db import utcnow
from portfolio.export import services
from portfolio.export.models import ExportJob, JobKind, JobStatus
from portfolio.extensions import db
from tests.conftest import login, post
from tests.export.support import OTHER, build_world, download_link, fetch, read_pdf
from tests.factories import Factory


@dataclass(frozen=True)
class Group:
    id: int
    assessor: str
    learners: tuple[str, ...]
    emails: tuple[str, ...]


@pytest.fixture
def group(app: Flask, make: Factory) -> Group:
    with app.app_context():
        world = build_world(make)
        cohort = make.cohort("Level 2 — May", world.learner, world.other)
        return Group(
            cohort.id,
            world.assessor.email,
            (world.learner.name, world.other.name),
            (world.learner.email, world.other.email),
        )


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def _export_form(page: str) -> dict[str, str]:
    """The cohort page's export form: its hidden fields, as the browser would post them."""
    form = re.search(r'<form method="post" action="/export/cohort".*?</form>', page, re.S)
    assert form, page
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    fields.pop("csrf_token")
    return fields


def _start(client: FlaskClient, page_url: str) -> TestResponse:
    page = client.get(page_url)
    assert page.status_code == 200
    data: dict[str, object] = {**_export_form(page.text), "pdfa": "y"}
    response: TestResponse = post(client, "/export/cohort", data, form_url=page_url)
    return response


def _download(client: FlaskClient, job_page: str) -> zipfile.ZipFile:
    response = fetch(client, download_link(client, job_page))
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    today = utcnow().strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=portfolios-level-2-may-{today}.zip"
    )
    return zipfile.ZipFile(io.BytesIO(response.data))


def _manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))


def test_the_cohort_page_offers_the_export_with_its_filters(app: Flask, group: Group) -> None:
    page = _client(app, group.assessor).get(f"/assessment/cohort?group={group.id}").text
    assert _export_form(page) == {"learners": "mine", "group": str(group.id)}
    assert "Export these 2 portfolios (ZIP of PDFs)" in page


def test_an_assessor_exports_the_group_as_a_zip(app: Flask, group: Group) -> None:
    client = _client(app, group.assessor)
    started = _start(client, f"/assessment/cohort?group={group.id}")
    assert started.status_code == 303, started.text
    job_page = started.headers["Location"]
    page = client.get(job_page).text
    assert '<span id="export-label">Ready</span>' in page
    assert '(<span id="export-percent">100</span>%)' in page
    with app.app_context():
        parent = db.session.scalars(select(ExportJob).where(ExportJob.parent_id.is_(None))).one()
        assert job_page.endswith(f"/export/jobs/{parent.id}")
        assert (parent.kind, parent.status, parent.cohort_id) == (
            JobKind.COHORT,
            JobStatus.DONE,
            group.id,
        )
        assert [c.status for c in parent.children] == [JobStatus.DONE, JobStatus.DONE]
        assert all(c.pdfa for c in parent.children)
        parent_id = parent.id
    archive = _download(client, job_page)
    with app.app_context():  # one download, on each learner's trail
        for email in group.emails:
            learner = accounts.find_user_by_email(email)
            assert learner is not None
            trail = audit.entries_for_learner(learner.id)
            downloads = [e.subject_id for e in trail if e.action == "export.downloaded"]
            assert downloads == [str(parent_id)]
    names = sorted(archive.namelist())
    assert names == ["manifest.csv", "portfolio-lily-learner.pdf", "portfolio-otto-other.pdf"]
    rows = _manifest(archive)
    assert [(r["learner"], r["email"]) for r in rows] == list(
        zip(group.learners, group.emails, strict=True)
    )
    for row in rows:
        pdf = archive.read(row["file"])
        assert row["status"] == "exported"
        assert row["sha256"] == hashlib.sha256(pdf).hexdigest()
        assert int(row["pages"]) == len(read_pdf(pdf).pages) > 0


def test_a_portfolio_that_failed_is_listed_with_the_reason(
    app: Flask, group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    render = services.render_portfolio
    reason = "The export needed more than the 1 MB of memory an export may use."

    def fails_for_otto(learner: User, *args: object, **kwargs: object) -> object:
        if learner.name == OTHER:
            raise RenderFailed(reason)
        return render(learner, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "render_portfolio", fails_for_otto)
    client = _client(app, group.assessor)
    started = _start(client, f"/assessment/cohort?group={group.id}")
    assert started.status_code == 303, started.text
    archive = _download(client, started.headers["Location"])
    assert sorted(archive.namelist()) == ["manifest.csv", "portfolio-lily-learner.pdf"]
    rows = {row["learner"]: row for row in _manifest(archive)}
    assert rows[OTHER] == {
        "learner": OTHER,
        "email": group.emails[1],
        "file": "",
        "pages": "",
        "sha256": "",
        "status": f"not exported: {reason}",
    }
    assert rows["Lily Learner"]["status"] == "exported"


def test_the_manifest_is_safe_to_open_in_a_spreadsheet(app: Flask, make: Factory) -> None:
    assessor = make.user(Role.ASSESSOR)
    formula = '=HYPERLINK("https://example.org/","Open me")'
    learners = [make.learner(assessor, name=formula), make.learner(assessor, name="Siân Jones")]
    group = make.cohort("Level 2 — May", *learners)
    client = _client(app, assessor.email)
    started = _start(client, f"/assessment/cohort?group={group.id}")
    assert started.status_code == 303, started.text
    manifest = _download(client, started.headers["Location"]).read("manifest.csv")
    # Excel reads a CSV as UTF-8 only after a byte order mark, and runs a cell starting "="
    # (CSV injection): a name must arrive as text, as in the tracking CSVs.
    assert manifest.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(manifest.decode("utf-8-sig"))))
    assert rows[0][0] == "learner"
    assert sorted(row[0] for row in rows[1:]) == [f"'{formula}", "Siân Jones"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TUTOR])
def test_learners_and_tutors_may_not(app: Flask, group: Group, make: Factory, role: Role) -> None:
    client = _client(app, make.user(role).email)
    response = post(client, "/export/cohort", {"learners": "mine", "group": str(group.id)})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(ExportJob)).all() == []


@pytest.mark.parametrize("raw", ["999999", "x1", "1" * 12])
def test_a_group_that_does_not_exist_is_not_found(app: Flask, group: Group, raw: str) -> None:
    client = _client(app, group.assessor)
    response = post(client, "/export/cohort", {"learners": "mine", "group": raw, "pdfa": "y"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ExportJob)).all() == []


def test_a_group_with_nobody_has_nothing_to_export(app: Flask, group: Group, make: Factory) -> None:
    empty = make.cohort("Nobody yet")
    client = _client(app, group.assessor)
    # The page offers no export for nobody; a form posted anyway gets a page saying so.
    page_url = f"/assessment/cohort?group={empty.id}"
    assert 'action="/export/cohort"' not in client.get(page_url).text
    data: dict[str, object] = {"learners": "mine", "group": str(empty.id), "pdfa": "y"}
    response = post(client, "/export/cohort", data, form_url=page_url)
    assert response.status_code == 422
    assert "<h1>Nothing to export</h1>" in response.text
    with app.app_context():
        assert db.session.scalars(select(ExportJob)).all() == []
