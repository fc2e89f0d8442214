"""How big a generated centre is (the sizes the issue names), and what building one wrote."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from portfolio.auth.models import Role

PASSWORD = "bench-centre-pass"  # noqa: S105 - every generated user's: they are test logins, nothing more


@dataclass(frozen=True)
class Size:
    name: str
    learners: int
    group_size: int
    assessors: int
    iqas: int
    tutors: int
    evidence_items: int
    attempts: int
    # At least this many audit entries: the trail is what the activity writes, topped up with
    # refused double-clicked decisions (as marking.refuse records them) if it falls short.
    audit_entries: int
    admins: int = 1


SIZES = {
    "tiny": Size("tiny", 6, 3, 2, 1, 1, 30, 36, 60),
    "small": Size("small", 200, 100, 4, 1, 2, 4_000, 6_000, 10_000),
    "large": Size("large", 2_000, 200, 40, 4, 10, 40_000, 60_000, 100_000, admins=2),
}


def scaled(size: Size, factor: int) -> Size:
    """`size` with `factor` times the learners, staff who scale with them, and their work."""
    return replace(
        size,
        name=f"{size.name}x{factor}",
        learners=size.learners * factor,
        assessors=max(1, size.assessors * factor),
        evidence_items=size.evidence_items * factor,
        attempts=size.attempts * factor,
        audit_entries=size.audit_entries * factor,
    )


@dataclass(frozen=True)
class Login:
    role: Role
    name: str
    email: str


@dataclass
class Stats:
    users: int = 0
    learners: int = 0
    assessors: int = 0
    iqas: int = 0
    tutors: int = 0
    admins: int = 0
    cohorts: int = 0
    evidence_items: int = 0
    drafts: int = 0
    submissions: int = 0
    awaiting_decision: int = 0
    decisions: int = 0
    superseded_decisions: int = 0
    point_decisions: int = 0
    countersigned: int = 0
    awaiting_countersignature: int = 0
    sign_offs: int = 0
    sampling_plans: int = 0
    samples: int = 0
    sample_items: int = 0
    verdicts: int = 0
    attempts: int = 0
    answers: int = 0
    held_misconceptions: int = 0
    audit_entries: int = 0
    logins: list[Login] = field(default_factory=list)
    password: str = PASSWORD

    def lines(self) -> list[str]:
        return [
            f"{k.replace('_', ' '):>26}: {v:,}" for k, v in vars(self).items() if type(v) is int
        ]
