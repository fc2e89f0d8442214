"""The frozen copy of a sampled decision: what the IQA reviewed, as it stood when sampled.

Stored as JSON on the sample item and read back into dataclasses here, so templates never handle
the raw dict. The copy is whole (content, claims, files, marks, names): the IQA's verdict and an
external quality assurer's later check must be about exactly what was sampled, whatever the live
records say by then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portfolio.assessment.models import Decision, Outcome, PointStatus

VERSION = 1


def freeze(decision: Decision, type_title: str) -> dict[str, Any]:
    submission = decision.submission
    evidence = submission.evidence
    return {
        "version": VERSION,
        "learner": {"id": evidence.learner_id, "name": evidence.learner.name},
        "evidence": {
            "id": evidence.id,
            "type_id": evidence.type_id,
            "type_title": type_title,
            "element_id": evidence.element_id,
            "element_title": evidence.element.title,
        },
        "submission": {
            "id": submission.id,
            "number": submission.number,
            "title": submission.title,
            "content": submission.content,
            "type_version": submission.type_version,
            "rubric_version": submission.rubric_version,
            "submitted_at": submission.submitted_at.isoformat(),
            "declared_name": submission.declared_name,
            "content_hash": submission.content_hash,
            "claims": [{"id": p.id, "text": p.text} for p in submission.claims],
            "attachments": [
                {"filename": a.filename, "sha256": a.sha256, "size": a.size}
                for a in submission.attachments
            ],
        },
        "decision": {
            "id": decision.id,
            "assessor": {"id": decision.assessor_id, "name": decision.assessor.name},
            "outcome": decision.outcome.value,
            "feedback": decision.feedback,
            "decided_at": decision.decided_at.isoformat(),
            "needs_countersignature": decision.needs_countersignature,
            "countersigned_at": (
                decision.countersigned_at.isoformat() if decision.countersigned_at else None
            ),
            "points": [
                {
                    "id": p.marking_point_id,
                    "text": p.marking_point.text,
                    "status": p.status.value,
                    "comment": p.comment,
                }
                for p in decision.points
            ],
        },
    }


@dataclass(frozen=True)
class FrozenPoint:
    id: str
    text: str
    status: PointStatus
    comment: str


@dataclass(frozen=True)
class FrozenFile:
    filename: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Frozen:
    """A snapshot read back, for display."""

    learner_name: str
    title: str
    type_id: str
    type_title: str
    element_title: str
    number: int
    content: dict[str, Any]
    submitted_at: datetime
    declared_name: str
    content_hash: str
    claims: tuple[tuple[str, str], ...]
    files: tuple[FrozenFile, ...]
    assessor_name: str
    outcome: Outcome
    feedback: str
    decided_at: datetime
    points: tuple[FrozenPoint, ...]
    needs_countersignature: bool
    countersigned_at: datetime | None


def read(snapshot: dict[str, Any]) -> Frozen:
    submission, decision = snapshot["submission"], snapshot["decision"]
    return Frozen(
        learner_name=snapshot["learner"]["name"],
        title=submission["title"],
        type_id=snapshot["evidence"]["type_id"],
        type_title=snapshot["evidence"]["type_title"],
        element_title=snapshot["evidence"]["element_title"],
        number=submission["number"],
        content=submission["content"],
        submitted_at=datetime.fromisoformat(submission["submitted_at"]),
        declared_name=submission["declared_name"],
        content_hash=submission["content_hash"],
        claims=tuple((c["id"], c["text"]) for c in submission["claims"]),
        files=tuple(
            FrozenFile(f["filename"], f["sha256"], f["size"]) for f in submission["attachments"]
        ),
        assessor_name=decision["assessor"]["name"],
        outcome=Outcome(decision["outcome"]),
        feedback=decision["feedback"],
        decided_at=datetime.fromisoformat(decision["decided_at"]),
        points=tuple(
            FrozenPoint(p["id"], p["text"], PointStatus(p["status"]), p["comment"])
            for p in decision["points"]
        ),
        needs_countersignature=decision["needs_countersignature"],
        countersigned_at=(
            datetime.fromisoformat(decision["countersigned_at"])
            if decision["countersigned_at"]
            else None
        ),
    )
