"""One learner's portfolio for the pack tests: an accepted item with an image and a PDF file
(pts-a), an IQA-sampled item whose IQA feedback names another learner (pts-a), and an item
awaiting assessment (pts-b). Build inside an app context."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from portfolio.auth.models import Role, User
from portfolio.core.pdf import RenderedPdf
from portfolio.core.render_process import Limits, Progress, RenderRequest
from portfolio.core.render_process import render_here as render_in_this_process
from portfolio.db import utcnow
from portfolio.evidence import attachments
from portfolio.evidence import services as evidence
from portfolio.extensions import db
from portfolio.iqa.models import Sample, SampleItem, Verdict
from portfolio.iqa.snapshot import freeze
from tests.conftest import post
from tests.core import samples
from tests.factories import Factory, image_bytes
from tests.iqa.support import decide

OTHER = "Otto Other"


def render_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Renders exports in this process instead of a child, with the very request the child
    would get, so a test can spy on the fetcher (a child's fetches are out of reach)."""
    from portfolio.export import services

    def here(
        request: RenderRequest, limits: Limits, on_progress: Progress | None = None
    ) -> RenderedPdf:
        return render_in_this_process(request)

    monkeypatch.setattr(services, "render_isolated", here)


IQA_FEEDBACK = f"Agreed; compare with {OTHER}'s account of the same refund."


@dataclass(frozen=True)
class World:
    learner: User
    other: User
    assessor: User
    iqa: User
    accepted_id: int
    sampled_id: int
    awaiting_id: int
    sampled_decision_id: int


@dataclass(frozen=True)
class People:
    """The world's ids and emails, usable outside the app context (for client and CLI tests)."""

    learner_id: int
    learner: str
    other: str
    assessor: str
    iqa: str


def build_people(app: Flask, make: Factory) -> People:
    with app.app_context():
        world = build_world(make)
        return People(
            world.learner.id,
            world.learner.email,
            world.other.email,
            world.assessor.email,
            world.iqa.email,
        )


def build_world(make: Factory) -> World:
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    iqa = make.user(Role.IQA, name="Ian Quality")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    other = make.learner(assessor=assessor, name=OTHER)
    person = db.session.get(User, learner.id)
    assert person is not None
    item = make.evidence(learner, title="Kettle refund")
    attachments.add_attachment(item, person, "till-receipt.png", image_bytes(), "Till receipt")
    attachments.add_attachment(item, person, "returns-form.pdf", samples.pdf_bytes(), "RA form")
    accepted = evidence.submit_evidence(item, person, person.name)
    decide(assessor, accepted)
    sampled = make.submission(learner, title="Toaster exchange")
    sampled_decision = decide(assessor, sampled)
    awaiting = make.submission(
        learner, element_id="pts-b", title="Sofa complaint", claims=("pts-b.1",)
    )
    # Written straight to the database: which decisions a proposal offers is the sampling
    # plan's business (tested in tests/iqa), not the pack's.
    sample = Sample(iqa_id=iqa.id, parameters={})
    sample.items.append(
        SampleItem(
            decision_id=sampled_decision.id,
            reason="Sampled for the pack tests.",
            snapshot=freeze(sampled_decision, "Reflective account"),
            verdict=Verdict.AGREE,
            feedback=IQA_FEEDBACK,
            reviewed_at=utcnow(),
        )
    )
    db.session.add(sample)
    db.session.commit()
    return World(
        learner=person,
        other=other,
        assessor=assessor,
        iqa=iqa,
        accepted_id=accepted.evidence_id,
        sampled_id=sampled.evidence_id,
        awaiting_id=awaiting.evidence_id,
        sampled_decision_id=sampled_decision.id,
    )


def read_pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF")
    return PdfReader(io.BytesIO(data))


def words(text: str) -> str:
    return " ".join(text.split())


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page number from 1) for every bookmark, in order."""
    found: list[tuple[int, str, int]] = []

    def walk(entries: list[Any], depth: int) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, depth + 1)
            else:
                found.append(
                    (depth, words(entry.title), reader.get_destination_page_number(entry) + 1)
                )

    walk(reader.outline, 0)
    return found


def page_texts(reader: PdfReader) -> list[str]:
    return [words(page.extract_text()) for page in reader.pages]


# Exporting through the web pages, as a browser would (jobs run inline in tests).


def start(client: FlaskClient, learner_id: int, **data: object):  # type: ignore[no-untyped-def]
    url = f"/export/learners/{learner_id}"
    return post(client, url, {"scope": "whole", "pdfa": "y", **data}, form_url=url)


def download_link(client: FlaskClient, job_page: str) -> str:
    page = client.get(job_page).get_data(as_text=True)
    found = re.search(r'id="export-download" href="([^"]+)"', page)
    assert found, page
    return found.group(1).replace("&amp;", "&")


def export(client: FlaskClient, learner_id: int, **data: object):  # type: ignore[no-untyped-def]
    started = start(client, learner_id, **data)
    assert started.status_code == 303, started.get_data(as_text=True)
    return fetch(client, download_link(client, started.headers["Location"]))


def fetch(client: FlaskClient, url: str):  # type: ignore[no-untyped-def]
    """GET a download, read it whole and close the file it streamed from."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def spy_on_fetcher(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every URL WeasyPrint asks the allow-list fetcher for, with whether it was served; the
    render must then run in this process (render_here), where the spy is."""
    from portfolio.core import pdf as pdf_module

    requested: list[tuple[str, bool]] = []
    fetch = pdf_module.AllowListFetcher.fetch

    def spy(self: pdf_module.AllowListFetcher, url: str, headers: object = None) -> object:
        try:
            response = fetch(self, url, headers)
        except pdf_module.RefusedURL:
            requested.append((url, False))
            raise
        requested.append((url, True))
        return response

    monkeypatch.setattr(pdf_module.AllowListFetcher, "fetch", spy)
    render_here(monkeypatch)
    return requested


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the exports' renders from here on (each still really renders)."""
    from portfolio.core.render_process import render_isolated
    from portfolio.export import services

    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return render_isolated(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "render_isolated", counted)
    return calls
