"""What the home page tells a learner: their evidence by status, marking-point coverage per
element, and what to do next. Read through the other features' services; changes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from portfolio.assessment import services as assessment
from portfolio.auth.models import User
from portfolio.evidence.listing import ListedEvidence, evidence_rows
from portfolio.evidence.models import EvidenceStatus
from portfolio.quizzes import services as quizzes

_GROUP_LABELS = {
    EvidenceStatus.DRAFT: "Drafts",
    EvidenceStatus.SUBMITTED: "Submitted, awaiting assessment",
    EvidenceStatus.REFERRED: "Referred back to you",
    EvidenceStatus.ACCEPTED: "Accepted",
}


@dataclass(frozen=True)
class StatusGroup:
    status: EvidenceStatus
    items: tuple[ListedEvidence, ...]

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self.status]


@dataclass(frozen=True)
class NextStep:
    """One thing to do, and where to do it: an endpoint and its url_for arguments."""

    text: str
    endpoint: str
    args: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LearnerOverview:
    groups: tuple[StatusGroup, ...]
    coverage: tuple[assessment.ElementCoverage, ...]
    next_steps: tuple[NextStep, ...]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _next_steps(
    groups: Mapping[EvidenceStatus, Sequence[ListedEvidence]],
    coverage: Sequence[assessment.ElementCoverage],
    reviews_due: int,
) -> list[NextStep]:
    # Most urgent first: a referral is the assessor waiting on the learner; then work already
    # started; then quiz reviews, which are quick; then gaps in the evidence.
    steps = [
        NextStep(
            f"Act on your assessor's feedback on “{item.title}”, then submit it again.",
            "assessment.record",
            {"evidence_id": item.id},
        )
        for item in groups[EvidenceStatus.REFERRED]
    ]
    steps += [
        NextStep(
            f"Finish your draft “{item.title}” and submit it.",
            "evidence.edit",
            {"evidence_id": item.id},
        )
        for item in groups[EvidenceStatus.DRAFT]
    ]
    if reviews_due:
        steps.append(
            NextStep(
                f"Answer your review questions: {_plural(reviews_due, 'misconception')} "
                "ready to check again.",
                "quizzes.misconceptions",
            )
        )
    for element in coverage:
        if element.missing:
            ids = ", ".join(p.id for p in element.missing)
            steps.append(
                NextStep(
                    f"{element.element.title}: {_plural(len(element.missing), 'marking point')} "
                    f"not yet evidenced ({ids}). Start a piece of evidence that shows "
                    f"{'it' if len(element.missing) == 1 else 'them'}.",
                    "evidence.index",
                    {"_anchor": "start"},
                )
            )
    if not steps and groups[EvidenceStatus.SUBMITTED]:
        steps.append(
            NextStep(
                f"Nothing to do for now: {_plural(len(groups[EvidenceStatus.SUBMITTED]), 'item')} "
                "with your assessor. You will see each decision on its record.",
                "evidence.index",
            )
        )
    return steps


def learner_overview(
    learner: User,
    items: Sequence[ListedEvidence] | None = None,
    reviews_due: int | None = None,
) -> LearnerOverview:
    """The learner's overview. The home page passes the evidence list and the count of
    reviews due that it shows anyway, so neither is read twice in one request."""
    if items is None:
        items = evidence_rows(learner)
    if reviews_due is None:
        reviews_due = quizzes.count_due_reviews(learner)
    by_status: dict[EvidenceStatus, list[ListedEvidence]] = {s: [] for s in EvidenceStatus}
    for item in items:
        by_status[item.status].append(item)
    coverage = assessment.coverage_by_element(learner)
    return LearnerOverview(
        groups=tuple(StatusGroup(s, tuple(by_status[s])) for s in EvidenceStatus),
        coverage=tuple(coverage),
        next_steps=tuple(_next_steps(by_status, coverage, reviews_due)),
    )
