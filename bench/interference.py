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

if TYPE_CHECKING:
    from bench.web import Plan

CASELOAD = "/assessment/queue"
TARGET = 1.10


def start_export(assessor: Session, learner_id: int) -> int:
    status, page, _ = assessor.request(f"/export/learners/{learner_id}")
    token = CSRF.search(page)
    if status != 200 or token is None:
        raise RuntimeError(f"no export form for learner {learner_id} ({status})")
    status, _, headers = assessor.request(
        f"/export/learners/{learner_id}",
        "POST",
        {"csrf_token": token.group(1).decode(), "scope": "whole", "pdfa": "y"},
    )
    found = re.search(r"/export/jobs/(\d+)", headers.get("Location", ""))
    if status not in (302, 303) or found is None:
        raise RuntimeError(f"the export did not start ({status})")
    return int(found.group(1))


def finished(assessor: Session, job_id: int) -> bool:
    status, body, _ = assessor.request(f"/export/jobs/{job_id}/status")
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
    assessor: Session, learner_id: int, plan: Plan, instance: Path, url: str, exports: int = 2
) -> list[str]:
    quiet, busy = Stats(), Stats()
    ids: list[int] = []
    seconds: list[float] = []
    for _ in range(exports):
        shutil.rmtree(instance / "exports" / "cache", ignore_errors=True)
        quiet.add(batch(assessor, CASELOAD, plan.connections, 2, plan.batch_seconds))
        began = time.perf_counter()
        ids.append(start_export(assessor, learner_id))
        for _ in range(200):  # at most 200 batches, and at most ten minutes
            if finished(assessor, ids[-1]) or time.perf_counter() - began > 600:
                break
            busy.add(batch(assessor, CASELOAD, plan.connections, 2, plan.batch_seconds))
        seconds.append(time.perf_counter() - began)
        quiet.add(batch(assessor, CASELOAD, plan.connections, 2, plan.batch_seconds))
    done = job_pages(url, instance, ids)
    ratio = busy.p95 / quiet.p95 if busy.n and quiet.n else float("nan")
    pages = ", ".join(f"{p} pages ({s})" for p, s in done)
    return [
        f"Caseload p95 with a portfolio export rendering: {busy.p95 * 1000:.0f} ms "
        f"({busy.n} requests, {busy.failures} failed) against {quiet.p95 * 1000:.0f} ms without "
        f"({quiet.n} requests, before and after each export): ratio {ratio:.2f}, target "
        f"≤{TARGET:.2f}, {'met' if ratio <= TARGET else '**not met**'}. Exports of learner "
        f"{learner_id}, PDF/A: {pages}; {', '.join(f'{s:.0f} s' for s in seconds)} each.",
    ]
