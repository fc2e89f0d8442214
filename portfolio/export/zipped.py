"""A cohort's portfolios as one ZIP file, with a manifest saying what is in it and what is
not (a portfolio that failed is listed with the reason, never silently left out)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
from collections.abc import Sequence

from portfolio.core.tables import neutralise
from portfolio.export import store
from portfolio.export.models import ExportJob, JobStatus

_BOM = "\ufeff"


def _sha256(path: os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_cohort_zip(name: str, jobs: Sequence[ExportJob]) -> int:
    """Writes the finished PDFs of `jobs` and manifest.csv into the ZIP `name`; its size."""
    temporary, final = store.temporary_beside(name)
    manifest = io.StringIO()
    # Opened in a spreadsheet as often as not, so written as the tracking CSVs are: a byte
    # order mark for Excel to read UTF-8, and names neutralised (core/tables.py says why).
    manifest.write(_BOM)
    rows = csv.writer(manifest)
    rows.writerow(["learner", "email", "file", "pages", "sha256", "status"])
    used: set[str] = set()
    try:
        # PDFs are compressed already: storing them is as small and far faster.
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as archive:
            for job in jobs:
                learner = job.learner
                who = (
                    (neutralise(learner.name), neutralise(learner.email))
                    if learner
                    else ("(deleted)", "")
                )
                if job.status is not JobStatus.DONE or job.result is None:
                    rows.writerow([*who, "", "", "", f"not exported: {job.message}"])
                    continue
                filename = job.download_name
                if filename in used:  # two learners with one name
                    filename = filename.replace(".pdf", f"-{job.learner_id}.pdf")
                used.add(filename)
                source = store.path_of(job.result)
                archive.write(source, filename)
                rows.writerow([*who, filename, job.pages, _sha256(source), "exported"])
            archive.writestr("manifest.csv", manifest.getvalue())
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return final.stat().st_size
