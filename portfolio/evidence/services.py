"""Starting, saving and submitting evidence. A submission is frozen once written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portfolio.auth.models import User
from portfolio.auth.services import may_view_learner
from portfolio.core import audit
from portfolio.core.concurrency import StaleVersion, check_version, commit_versioned
from portfolio.db import utcnow
from portfolio.evidence import events, flags, versions
from portfolio.evidence.content import Problem as Problem
from portfolio.evidence.content import clean_content, content_problems, empty_content
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.evidence.spec import EvidenceTypeSpec, load_evidence_types
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import MarkingPoint


class NotEditable(Exception):
    """The evidence has been submitted: nobody may change it now."""


class StaleDraft(StaleVersion):
    """The draft was saved from another tab or device since this copy was opened."""


class SubmitRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def evidence_types() -> dict[str, EvidenceTypeSpec]:
    """The evidence type specs, parsed once per app."""
    cache = current_app.extensions.setdefault("portfolio.evidence_types", {})
    if not cache:
        cache.update(load_evidence_types(Path(current_app.config["CONTENT_DIR"]) / "evidence"))
    return cache  # type: ignore[no-any-return]


def spec_for(evidence: Evidence) -> EvidenceTypeSpec:
    return evidence_types()[evidence.type_id]


def start_evidence(learner: User, type_id: str, element_id: str, title: str) -> Evidence:
    spec = evidence_types()[type_id]
    if qualifications.get_element(element_id) is None:
        raise ValueError(f"unknown element {element_id}")
    evidence = Evidence(
        learner_id=learner.id,
        element_id=element_id,
        type_id=spec.id,
        type_version=spec.version,
        title=title.strip(),
        draft=empty_content(spec),
        draft_claims=[],
    )
    db.session.add(evidence)
    db.session.commit()
    return evidence


def list_for_learner(learner: User, claims: bool = True) -> Sequence[Evidence]:
    """The learner's items with their submissions (and each submission's claimed points,
    unless `claims` is False: the tracking grid reads those as rows)."""
    submissions = selectinload(Evidence.submissions).options(
        defer(Submission.content), defer(Submission.checks)
    )
    if claims:
        submissions = submissions.selectinload(Submission.claims)
    return db.session.scalars(
        select(Evidence)
        .where(Evidence.learner_id == learner.id)
        .order_by(Evidence.element_id, Evidence.created_at)
        # Grids and PDFs read every item's submissions (and claims): load them in two or
        # three queries, not two per item.
        .options(
            # The lists show titles, statuses and counts: the JSON columns (drafts,
            # submitted content, checks) are not decoded for every row; an item that needs
            # them loads them when read.
            defer(Evidence.draft),
            defer(Evidence.draft_claims),
            defer(Evidence.dismissals),
            submissions,
        )
    ).all()


def get_own(learner: User, evidence_id: int) -> Evidence | None:
    evidence = db.session.get(Evidence, evidence_id)
    return evidence if evidence is not None and evidence.learner_id == learner.id else None


def get_visible(viewer: User, evidence_id: int) -> Evidence | None:
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or not may_view_learner(viewer, evidence.learner):
        return None
    return evidence


def get_submission(submission_id: int) -> Submission | None:
    return db.session.get(Submission, submission_id)


def _valid_claims(evidence: Evidence, claims: Sequence[str]) -> list[str]:
    allowed = {p.id for p in qualifications.live_marking_points(evidence.element_id)}
    return sorted(c for c in set(claims) if c in allowed)


def save_draft(
    evidence: Evidence,
    *,
    title: str,
    sections: Mapping[str, Any],
    claims: Sequence[str],
    expected_version: int,
) -> Evidence:
    if not evidence.status.editable:
        raise NotEditable()
    check_version(evidence, expected_version, StaleDraft)
    spec = spec_for(evidence)
    evidence.title = title.strip() or evidence.title
    # Only the type's sections, each in its stored shape, blank rows dropped; text as typed.
    evidence.draft = clean_content(spec, sections)
    evidence.draft_claims = _valid_claims(evidence, claims)
    evidence.saved_at = utcnow()
    commit_versioned(evidence, StaleDraft)
    return evidence


def submission_problems(
    evidence: Evidence, checked: flags.CheckResult | None = None
) -> list[Problem]:
    """What stops this draft being submitted, next to the field it concerns. `checked` is the
    checks' result when the caller already has it."""
    problems = content_problems(spec_for(evidence), evidence.draft)
    if not evidence.draft_claims:
        problems.append(Problem("claims", "Claim at least one marking point this evidence covers."))
    # Each personal detail must be replaced or dismissed with a reason before anyone else
    # reads the account; real-work warnings are advice and never block.
    checked = checked or flags.check_draft(evidence, spec_for(evidence))
    problems += [Problem(f.path, f.message) for f in checked.open_personal_data]
    return problems


def content_hash(
    title: str,
    content: Mapping[str, Any],
    claims: Sequence[str],
    attachments: Sequence[tuple[str, str]] = (),
) -> str:
    """SHA-256 of exactly what was declared own work. `attachments` are (file name, SHA-256)
    pairs; with none, the hash is what it was before files could be attached, so fingerprints
    of earlier submissions can still be checked."""
    signed: dict[str, object] = {"title": title, "content": dict(content), "claims": sorted(claims)}
    if attachments:
        signed["attachments"] = [list(pair) for pair in sorted(attachments)]
    canonical = json.dumps(
        signed,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def submit_evidence(
    evidence: Evidence,
    learner: User,
    declared_name: str,
    *,
    expected_version: int | None = None,
) -> Submission:
    """Freeze the draft as a new submission signed with the learner's declaration.
    `expected_version` is the draft the learner read on the submit page: if it has changed
    since (another tab saved, or this is a replay of an earlier submit), StaleDraft."""
    if not evidence.status.editable:
        raise NotEditable()
    if expected_version is not None:
        check_version(evidence, expected_version, StaleDraft)
    checked = flags.check_draft(evidence, spec_for(evidence))
    problems = submission_problems(evidence, checked)
    if " ".join(declared_name.split()).casefold() != " ".join(learner.name.split()).casefold():
        problems.append(
            Problem(
                "declared_name", f"Type your full name exactly as on your account: {learner.name}."
            )
        )
    if problems:
        raise SubmitRefused(problems)
    claims = list(
        db.session.scalars(select(MarkingPoint).where(MarkingPoint.id.in_(evidence.draft_claims)))
    )
    content = dict(evidence.draft)
    # The files go with the text, frozen: from now on they cannot be removed from the draft.
    attachments = list(evidence.attachments)
    now = utcnow()
    submission = Submission(
        submitted_at=now,
        number=len(evidence.submissions) + 1,
        title=evidence.title,
        content=content,
        type_version=evidence.type_version,
        rubric_version=evidence.element.version,
        declared_name=learner.name,
        claims=claims,
        attachments=attachments,
        content_hash=content_hash(
            evidence.title,
            content,
            evidence.draft_claims,
            [(a.filename, a.sha256) for a in attachments],
        ),
        checks=flags.checks_record(checked, evidence.dismissals or [], utcnow()),
    )
    # Fixes are recorded with this submission; dismissals stay, as the text they excuse does.
    evidence.dismissals = [d for d in evidence.dismissals or [] if d.get("status") != "fixed"]
    evidence.submissions.append(submission)
    before = {"evidence_status": evidence.status.value}
    evidence.status = EvidenceStatus.SUBMITTED
    evidence.awaiting_since = now  # the assessor's turnaround clock starts
    try:
        db.session.flush()
        # An earlier attempt's decision no longer stands for the points it met: assessment
        # keeps those in step (it listens; evidence does not know it).
        events.attempt_submitted.send(evidence)
        # What was signed, in the trail with the signature: the hash covers text and files.
        audit.record(
            "submission.created",
            "submission",
            submission.id,
            actor_id=learner.id,
            learner_id=learner.id,
            before=before,
            after={
                "evidence": evidence.id,
                "number": submission.number,
                "content_hash": submission.content_hash,
                "claims": sorted(evidence.draft_claims),
                "attachments": [{"filename": a.filename, "sha256": a.sha256} for a in attachments],
            },
        )
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise NotEditable() from None
    return submission


def mark_decided(submission: Submission, status: EvidenceStatus) -> None:
    """Set the evidence's status after an assessment decision; the caller commits."""
    if submission.evidence.latest is not submission:
        raise NotEditable()
    submission.evidence.status = status
    # The turnaround clock runs again while the item waits (reopened), and stops once decided.
    submission.evidence.awaiting_since = utcnow() if status is EvidenceStatus.SUBMITTED else None


def compare_submissions(
    evidence: Evidence, old_number: int, new_number: int
) -> versions.Comparison | None:
    """What changed, field by field, from attempt `old_number` to attempt `new_number`; None
    unless both are attempts of this item and they differ."""
    by_number = {s.number: s for s in evidence.submissions}
    old, new = by_number.get(old_number), by_number.get(new_number)
    if old is None or new is None or old is new:
        return None
    return versions.compare(spec_for(evidence), old, new)
