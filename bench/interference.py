"""Does a portfolio export slow the pages down? The caseload page's p95 at 8 connections while
an export of a learner's portfolio renders (started through the app's own export page, as the
assessor would), against its p95 just before and just after, alternating, on the same server.
The export cache is emptied before each export, so each one really renders."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.load import CSRF, Session, Stats, batch
from bench.pages import SET_ASIDE

if TYPE_CHECKING:
    from bench.web import Plan

CASELOAD = "/assessment/queue"
TARGET = 1.10
LIMIT = 600  # seconds an export may run while measured


# The learner whose portfolio is exported: made once per database, as bench/portfolio_pdf.py
# makes one (assessed evidence through the services, so the audit chain still verifies), with
# their own assessor so no page's chosen person changes. bench.pages.choose() skips them.
LEARNER_EMAIL, ASSESSOR_EMAIL = SET_ASIDE
PAGES = 200


def ensure_export_learner(pages: int = PAGES) -> int:
    """The export learner's id, made in the current app context if missing: about two pages
    an assessed evidence item, after six of front matter."""
    from flask import current_app

    from portfolio.assessment import services as assessment
    from portfolio.assessment.models import Outcome, PointStatus
    from portfolio.auth import services as accounts
    from portfolio.auth.models import Role
    from tests.factories import Factory

    found = accounts.find_user_by_email(LEARNER_EMAIL)
    if found is not None:
        return int(found.id)
    factory = Factory(current_app._get_current_object())  # type: ignore[attr-defined]
    assessor = factory.user(Role.ASSESSOR, name="Bench Export Assessor", email=ASSESSOR_EMAIL)
    learner = factory.learner(assessor=assessor, name="Bench Export Learner", email=LEARNER_EMAIL)
    marker = accounts.find_user_by_email(ASSESSOR_EMAIL)
    assert marker is not None
    for n in range(max(1, round((pages - 6) / 2.2))):
        element = "pts-a" if n % 2 == 0 else "pts-b"
        claims = ("pts-a.1", "pts-a.4") if element == "pts-a" else ("pts-b.2", "pts-b.4")
        submission = factory.submission(
            learner, element_id=element, title=f"Evidence {n + 1}", claims=claims
        )
        marks = {c: assessment.PointMark(PointStatus.MET, "Shown clearly.") for c in claims}
        assessment.record_decision(marker, submission, marks, Outcome.ACCEPTED, "Well evidenced.")
    return int(learner.id)


def start_export(exporter: Session, learner_id: int) -> int:
    status, page, _ = exporter.request(f"/export/learners/{learner_id}")
    token = CSRF.search(page)
    if status != 200 or token is None:
        raise RuntimeError(f"no export form for learner {learner_id} ({status})")
    status, _, headers = exporter.request(
        f"/export/learners/{learner_id}",
        "POST",
        {"csrf_token": token.group(1).decode(), "scope": "whole", "pdfa": "y"},
    )
    found = re.search(r"/export/jobs/(\d+)", headers.get("Location", ""))
    if status not in (302, 303) or found is None:
        raise RuntimeError(f"the export did not start ({status})")
    return int(found.group(1))


def finished(exporter: Session, job_id: int) -> bool:
    status, body, _ = exporter.request(f"/export/jobs/{job_id}/status")
    return status != 200 or bool(json.loads(body).get("finished"))


def job_pages(url: str, instance: Path, ids: list[int]) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from bench.web import make_app
    from portfolio.export.models import ExportJob
    from portfolio.extensions import db

    with make_app(url, instance).app_context():
        rows = db.session.execute(
            select(ExportJob.pages, ExportJob.status).where(ExportJob.id.in_(ids))
        ).all()
        return [(int(pages), str(getattr(status, "value", status))) for pages, status in rows]


def measure(
    assessor: Session,
    exporter: Session,
    learner_id: int,
    plan: Plan,
    instance: Path,
    url: str,
    exports: int = 2,
    how: str = "in the app's own export threads",
) -> list[str]:
    """The caseload page (as `assessor`) while `exporter` (an IQA) exports the learner's
    portfolio, then as many batches again with nothing rendering; `exports` times."""
    quiet, busy = Stats(), Stats()
    ids: list[int] = []
    seconds: list[float] = []
    for _ in range(exports):
        shutil.rmtree(instance / "exports" / "cache", ignore_errors=True)
        began = time.perf_counter()
        ids.append(start_export(exporter, learner_id))
        batches = 0
        for _ in range(5000):  # bounded by the count, and by ten minutes
            if finished(exporter, ids[-1]) or time.perf_counter() - began > LIMIT:
                break
            busy.add(batch(assessor, CASELOAD, plan.connections, 2, plan.batch_seconds))
            batches += 1
        for _ in range(LIMIT):  # an export that outlived the cap: wait, so "without" is quiet
            if finished(exporter, ids[-1]):
                break
            time.sleep(1)
        seconds.append(time.perf_counter() - began)
        # As many batches again with nothing rendering (2 to 100), so both sides have about
        # the same number of requests from neighbouring minutes.
        for _ in range(min(max(batches, 2), 100)):
            quiet.add(batch(assessor, CASELOAD, plan.connections, 2, plan.batch_seconds))
    done = job_pages(url, instance, ids)
    ratio = busy.p95 / quiet.p95 if busy.n and quiet.n else float("nan")
    pages = ", ".join(f"{p} pages ({s})" for p, s in done)
    return [
        f"Caseload p95 with a portfolio export rendering {how}: {busy.p95 * 1000:.0f} ms "
        f"({busy.n} requests, {busy.failures} failed) against {quiet.p95 * 1000:.0f} ms without "
        f"({quiet.n} requests, just after each export): ratio {ratio:.2f}, target "
        f"≤{TARGET:.2f}, {'met' if ratio <= TARGET else '**not met**'}. Exports of learner "
        f"{learner_id}, PDF/A: {pages}; {', '.join(f'{s:.0f} s' for s in seconds)} each.",
    ]
