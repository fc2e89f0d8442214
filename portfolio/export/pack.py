"""The facts of a learner's portfolio pack, gathered once: the PDF is drawn from them and the
same facts go into the PDF as portfolio.json, so the two cannot say different things."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from flask import current_app

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Decision
from portfolio.audit import services as audit
from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Attachment, Evidence, Submission
from portfolio.export.facts import (
    AttachmentFacts,
    AttemptFacts,
    AuditFacts,
    DecisionFacts,
    ElementFacts,
    EvidenceFacts,
    IqaRecord,
    MisconceptionFacts,
    PointMark,
    PortfolioPack,
    Scope,
    SubmissionFacts,
)
from portfolio.iqa import services as iqa
from portfolio.iqa.models import SampleItem
from portfolio.qualifications import services as qualifications
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.models import HeldMisconception

# Bumped when a field changes meaning, so a reader of an old portfolio.json knows what it holds.
PACK_VERSION = 1
REDACTED = "[another learner]"


def _redactor(learner: User, scope: Scope) -> Callable[[str], str]:
    if not scope.eqa:
        return lambda text: text
    others = sorted(
        {u.name for u in accounts.users_with_role(Role.LEARNER) if u.id != learner.id and u.name},
        key=len,
        reverse=True,
    )
    if not others:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(name) for name in others), re.IGNORECASE)
    return lambda text: pattern.sub(REDACTED, text)


def _redact_json(value: Any, redact: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_json(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v, redact) for k, v in value.items()}
    return value


def _iqa_record(item: SampleItem, redact: Callable[[str], str]) -> IqaRecord:
    return IqaRecord(
        iqa=item.sample.iqa.name,
        sampled_at=item.sample.created_at,
        reason=redact(item.reason),
        verdict=item.verdict.label if item.verdict else "Not yet reviewed",
        feedback=redact(item.feedback),
        reviewed_at=item.reviewed_at,
    )


def _decision(
    decision: Decision, samples: Sequence[SampleItem], redact: Callable[[str], str]
) -> DecisionFacts:
    return DecisionFacts(
        id=decision.id,
        outcome=decision.outcome.label,
        assessor=redact(decision.assessor.name),
        decided_at=decision.decided_at,
        feedback=redact(decision.feedback),
        superseded_at=decision.superseded_at,
        countersigned_at=decision.countersigned_at,
        points=tuple(
            PointMark(p.marking_point.id, p.marking_point.text, p.status.label, redact(p.comment))
            for p in decision.points
        ),
        iqa=tuple(_iqa_record(s, redact) for s in samples if s.decision_id == decision.id),
    )


def _attachment(file: Attachment, redact: Callable[[str], str]) -> AttachmentFacts:
    return AttachmentFacts(
        file.id, file.filename, file.content_type, file.size, file.sha256, redact(file.description)
    )


def _submission(
    submission: Submission,
    decisions: Sequence[DecisionFacts],
    redact: Callable[[str], str],
) -> SubmissionFacts:
    return SubmissionFacts(
        id=submission.id,
        number=submission.number,
        title=redact(submission.title),
        submitted_at=submission.submitted_at,
        declared_name=submission.declared_name,
        content_hash=submission.content_hash,
        type_version=submission.type_version,
        rubric_version=submission.rubric_version,
        content=_redact_json(submission.content, redact),
        claims=tuple(PointMark(p.id, p.text, "Claimed", "") for p in submission.claims),
        attachments=tuple(_attachment(a, redact) for a in submission.attachments),
        decisions=tuple(decisions),
    )


def _evidence(
    item: Evidence, number: int, scope: Scope, redact: Callable[[str], str]
) -> EvidenceFacts | None:
    live = assessment.decisions_for(item)
    old = assessment.superseded_decisions(item)
    by_submission = {
        s.id: [*old.get(s.id, []), *([live[s.id]] if s.id in live else [])]
        for s in item.submissions
    }
    samples = iqa.items_for_decisions([d.id for found in by_submission.values() for d in found])
    sampled = {s.decision_id for s in samples}
    submissions = []
    for submission in item.submissions:
        decisions = [
            _decision(d, samples, redact)
            for d in by_submission[submission.id]
            if not scope.eqa or d.id in sampled
        ]
        if scope.eqa and not decisions:
            continue
        submissions.append(_submission(submission, decisions, redact))
    if not submissions:
        return None
    return EvidenceFacts(
        id=item.id,
        number=number,
        title=redact(item.title),
        type_id=item.type_id,
        type_title=evidence_services.spec_for(item).title,
        status=item.status.label,
        submissions=tuple(submissions),
    )


def _misconception(row: HeldMisconception) -> MisconceptionFacts:
    return MisconceptionFacts(
        row.misconception_id,
        row.misconception.text,
        row.times_seen,
        row.first_seen_at,
        row.cleared_at,
    )


def _audit(learner: User, redact: Callable[[str], str]) -> tuple[AuditFacts, ...]:
    names: dict[int, str] = {}
    found = []
    for entry in audit.entries_for_learner(learner.id):
        # Exports and downloads are on the learner's trail (who took a copy of their record),
        # but they are not part of the portfolio, and listing them would make every export
        # differ from the last one, so an unchanged portfolio could never come from cache.
        if entry.action.startswith("export."):
            continue
        if entry.actor_id is None:
            actor = "System"
        else:
            if entry.actor_id not in names:
                user = accounts.get_user(entry.actor_id)
                names[entry.actor_id] = redact(user.name) if user else f"User {entry.actor_id}"
            actor = names[entry.actor_id]
        subject = f"{entry.subject_type} {entry.subject_id}"
        found.append(AuditFacts(entry.id, entry.at, actor, entry.action, subject, entry.hash))
    return tuple(found)


def build_pack(learner: User, scope: Scope | None = None) -> PortfolioPack:
    """The facts of the learner's pack in `scope` (the whole portfolio by default)."""
    scope = scope or Scope()
    redact = _redactor(learner, scope)
    elements = []
    for grid in assessment.tracking_grid(learner):
        if scope.element_id and grid.element.id != scope.element_id:
            continue
        items = [
            _evidence(item, number, scope, redact)
            for number, item in enumerate(grid.evidence, grid.first_number)
        ]
        kept = tuple(i for i in items if i is not None)
        if scope.eqa and not kept:
            continue
        element = grid.element
        elements.append(
            ElementFacts(
                element.id,
                element.title,
                element.unit.id,
                element.unit.title,
                grid.signed_off,
                kept,
            )
        )
    decision_ids = [
        d.id for e in elements for i in e.evidence for s in i.submissions for d in s.decisions
    ]
    sampled_by = sorted({s.sample.iqa.name for s in iqa.items_for_decisions(decision_ids)})
    attempts = tuple(
        AttemptFacts(
            a.quiz.title if a.quiz else "Spaced review",
            a.mode.value,
            a.started_at,
            a.submitted_at,
            a.score,
            len(a.layout),
        )
        for a in reversed(quizzes.list_attempts(learner))
    )
    return PortfolioPack(
        version=PACK_VERSION,
        scope=scope,
        learner=learner.name,
        email=learner.email,
        qualifications=tuple(
            f"{q.title} (rubric version {q.version})" for q in qualifications.list_qualifications()
        ),
        centre=current_app.config["CENTRE_NAME"],
        assessor=redact(learner.assessor.name) if learner.assessor else "Not assigned",
        iqas=tuple(sampled_by),
        exported_at=utcnow(),
        elements=tuple(elements),
        attempts=attempts,
        misconceptions_held=tuple(_misconception(r) for r in quizzes.held_misconceptions(learner)),
        misconceptions_cleared=tuple(
            _misconception(r) for r in quizzes.cleared_misconceptions(learner)
        ),
        audit=_audit(learner, redact),
    )


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def pack_json(pack: PortfolioPack) -> bytes:
    """The pack as JSON, keys sorted so the same facts give the same bytes."""
    return json.dumps(
        dataclasses.asdict(pack), default=_encode, sort_keys=True, ensure_ascii=False, indent=1
    ).encode()
