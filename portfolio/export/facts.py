"""The facts a portfolio pack states, as plain frozen dataclasses: what the PDF is drawn from
and what portfolio.json holds. Built by export.pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Types WeasyPrint draws as pictures without loading anything else (SVG could name URLs).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class Scope:
    """Which part of the portfolio: all of it, one element, or an EQA sample (only sampled
    decisions, other learners' names redacted)."""

    element_id: str | None = None
    eqa: bool = False

    @property
    def label(self) -> str:
        parts = ["EQA sample" if self.eqa else "Whole portfolio"]
        if self.element_id:
            parts.append(f"element {self.element_id}")
        return ", ".join(parts)


@dataclass(frozen=True)
class PointMark:
    point_id: str
    text: str
    status: str
    comment: str


@dataclass(frozen=True)
class IqaRecord:
    iqa: str
    sampled_at: datetime
    reason: str
    verdict: str
    feedback: str
    reviewed_at: datetime | None


@dataclass(frozen=True)
class DecisionFacts:
    id: int
    outcome: str
    assessor: str
    decided_at: datetime
    feedback: str
    superseded_at: datetime | None
    countersigned_at: datetime | None
    points: tuple[PointMark, ...]
    iqa: tuple[IqaRecord, ...]


@dataclass(frozen=True)
class AttachmentFacts:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str

    @property
    def inline(self) -> bool:
        return self.content_type in INLINE_IMAGE_TYPES


@dataclass(frozen=True)
class SubmissionFacts:
    id: int
    number: int
    title: str
    submitted_at: datetime
    declared_name: str
    content_hash: str
    type_version: int
    rubric_version: int
    content: dict[str, Any]
    claims: tuple[PointMark, ...]
    attachments: tuple[AttachmentFacts, ...]
    decisions: tuple[DecisionFacts, ...]


@dataclass(frozen=True)
class EvidenceFacts:
    id: int
    number: int  # E1, E2 ... as the tracking matrix numbers it, whatever the scope
    title: str
    type_id: str
    type_title: str
    status: str
    submissions: tuple[SubmissionFacts, ...]


@dataclass(frozen=True)
class ElementFacts:
    id: str
    title: str
    unit_id: str
    unit_title: str
    signed_off: str
    evidence: tuple[EvidenceFacts, ...]


@dataclass(frozen=True)
class AttemptFacts:
    quiz: str
    mode: str
    started_at: datetime
    submitted_at: datetime | None
    score: int | None
    out_of: int


@dataclass(frozen=True)
class MisconceptionFacts:
    id: str
    text: str
    times_seen: int
    first_seen_at: datetime
    cleared_at: datetime | None


@dataclass(frozen=True)
class AuditFacts:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    hash: str


@dataclass(frozen=True)
class PortfolioPack:
    version: int
    scope: Scope
    learner: str
    email: str
    qualifications: tuple[str, ...]
    centre: str
    assessor: str
    iqas: tuple[str, ...]
    exported_at: datetime
    elements: tuple[ElementFacts, ...]
    attempts: tuple[AttemptFacts, ...]
    misconceptions_held: tuple[MisconceptionFacts, ...]
    misconceptions_cleared: tuple[MisconceptionFacts, ...]
    audit: tuple[AuditFacts, ...]

    @property
    def items(self) -> list[EvidenceFacts]:
        return [item for element in self.elements for item in element.evidence]

    @property
    def attachments(self) -> list[AttachmentFacts]:
        """Each file once, in the order the pack first shows it."""
        found: dict[int, AttachmentFacts] = {}
        for item in self.items:
            for submission in item.submissions:
                for file in submission.attachments:
                    found.setdefault(file.id, file)
        return list(found.values())
