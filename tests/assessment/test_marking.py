"""Recording a decision: any live marking point, the audit entry written with it, a trainee's
decision flagged for countersigning, and every refusal written to the audit trail with nothing
else changed. (The rules the form shows by its fields: test_views.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from portfolio.assessment import comment_bank
from portfolio.assessment import services as assessment
from portfolio.assessment.models import (
    AssessorStatus,
    CommentBankEntry,
    Decision,
    Outcome,
    PointDecision,
    PointStatus,
    SamplingPlan,
)
from portfolio.assessment.services import PointMark, Refusal
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry, verify_chain
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.assessment.support import resubmit
from tests.factories import Factory

MET = PointMark(PointStatus.MET, "Rights named correctly.")
NOT_YET = PointMark(PointStatus.NOT_YET_MET, "Show the completed RA form.")
NA = PointMark(PointStatus.NOT_APPLICABLE, "No escalation was needed.")
REFERRAL = "Attach the RA form and say who signed it."


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


@pytest.fixture
def learner(make: Factory, assessor: User) -> User:
    return make.learner(assessor=assessor, name="Lily Learner")


@pytest.fixture
def submission(make: Factory, learner: User) -> Submission:
    return make.submission(learner)  # pts-a, claims pts-a.1 and pts-a.4


def _entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


@dataclass(frozen=True)
class State:
    """Everything a refused decision must leave as it was."""

    decisions: int
    points: int
    bank: int
    status: EvidenceStatus
    version: int


def _state(submission: Submission) -> State:
    db.session.expire_all()
    evidence = db.session.get(Evidence, submission.evidence_id)
    assert evidence is not None

    def count(model: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    return State(
        count(Decision),
        count(PointDecision),
        count(CommentBankEntry),
        evidence.status,
        evidence.version,
    )


def test_any_live_point_may_be_marked_and_the_decision_is_audited(
    assessor: User, submission: Submission
) -> None:
    before = db.session.get(Evidence, submission.evidence_id)
    assert before is not None
    decision = assessment.record_decision(
        assessor,
        submission,
        # pts-a.3 and pts-a.5 were not claimed; pts-a.2 is left unmarked.
        {"pts-a.1": MET, "pts-a.4": NOT_YET, "pts-a.3": NA, "pts-a.5": MET},
        Outcome.REFERRED,
        REFERRAL,
        seen_version=before.version,
    )
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)  # type: ignore[assignment]
    assert decision is not None and decision.needs_countersignature is False
    assert {p.marking_point_id: p.status for p in decision.points} == {
        "pts-a.1": PointStatus.MET,
        "pts-a.3": PointStatus.NOT_APPLICABLE,
        "pts-a.4": PointStatus.NOT_YET_MET,
        "pts-a.5": PointStatus.MET,
    }
    (entry,) = _entries("decision.recorded")
    assert (entry.actor_id, entry.subject_type, entry.subject_id, entry.learner_id) == (
        assessor.id,
        "decision",
        str(decision.id),
        submission.evidence.learner_id,
    )
    assert entry.before == {"submission": submission.id, "evidence_status": "submitted"}
    assert entry.after == {
        "submission": submission.id,
        "attempt": 1,
        "outcome": "referred",
        "feedback": REFERRAL,
        "points": {
            "pts-a.1": {"status": "met", "comment": "Rights named correctly."},
            "pts-a.3": {"status": "not_applicable", "comment": "No escalation was needed."},
            "pts-a.4": {"status": "not_yet_met", "comment": "Show the completed RA form."},
            "pts-a.5": {"status": "met", "comment": "Rights named correctly."},
        },
        "needs_countersignature": False,
        "evidence_status": "referred",
    }
    assert verify_chain().intact


@pytest.mark.parametrize(
    ("status", "flagged"),
    [
        (AssessorStatus.TRAINEE, True),
        (AssessorStatus.NEW, False),
        (AssessorStatus.QUALIFIED, False),
        (None, False),
    ],
)
def test_a_trainees_decision_needs_countersigning(
    assessor: User, submission: Submission, status: AssessorStatus | None, flagged: bool
) -> None:
    if status is not None:
        db.session.add(SamplingPlan(assessor_id=assessor.id, status=status, percentage=100))
        db.session.commit()
    decision = assessment.record_decision(
        assessor, submission, {"pts-a.1": MET, "pts-a.4": MET}, Outcome.ACCEPTED, ""
    )
    assert decision.needs_countersignature is flagged
    (entry,) = _entries("decision.recorded")
    assert entry.after is not None and entry.after["needs_countersignature"] is flagged


def _refused(
    assessor: User,
    submission: Submission,
    reason: Refusal,
    *,
    marks: dict[str, PointMark] | None = None,
    outcome: Outcome = Outcome.ACCEPTED,
    feedback: str = "",
    seen_version: int | None = None,
) -> assessment.DecisionRefused:
    before = _state(submission)
    refusals = len(_entries("decision.refused"))
    with pytest.raises(assessment.DecisionRefused) as refused:
        assessment.record_decision(
            assessor,
            submission,
            {"pts-a.1": MET, "pts-a.4": MET} if marks is None else marks,
            outcome,
            feedback,
            seen_version=seen_version,
        )
    assert refused.value.reason is reason
    assert _state(submission) == before
    entries = _entries("decision.refused")
    assert len(entries) == refusals + 1
    entry = entries[-1]
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        assessor.id,
        "submission",
        str(submission.id),
    )
    assert entry.learner_id == submission.evidence.learner_id
    assert entry.after is not None
    assert entry.after["reason"] == reason.value
    assert entry.after["message"] == str(refused.value)
    assert verify_chain().intact
    return refused.value


def test_refused_outside_the_caseload(make: Factory, submission: Submission) -> None:
    _refused(make.user(Role.ASSESSOR), submission, Refusal.CASELOAD)


def test_refused_on_a_decided_item_naming_the_decision(
    assessor: User, submission: Submission
) -> None:
    first = assessment.record_decision(
        assessor, submission, {"pts-a.1": MET, "pts-a.4": MET}, Outcome.ACCEPTED, ""
    )
    refused = _refused(
        assessor,
        submission,
        Refusal.DECIDED,
        outcome=Outcome.REFERRED,
        feedback=REFERRAL,
        marks={"pts-a.1": MET, "pts-a.4": NOT_YET},
    )
    assert refused.existing is not None and refused.existing.id == first.id
    assert _entries("decision.refused")[-1].after["decision_already_recorded"] == first.id  # type: ignore[index]


def test_refused_on_an_earlier_attempt(assessor: User, submission: Submission) -> None:
    assessment.record_decision(
        assessor, submission, {"pts-a.1": MET, "pts-a.4": NOT_YET}, Outcome.REFERRED, REFERRAL
    )
    second = resubmit(submission.evidence_id, ["pts-a.1", "pts-a.4"])
    # Attempt 1 has its decision; an IQA reopening it is the only way it could be decided again,
    # and only while it is the latest: here attempt 2 is.
    db.session.execute(
        update(Decision)
        .where(Decision.submission_id == submission.id)
        .values(superseded_at=utcnow())
    )
    db.session.commit()
    _refused(assessor, submission, Refusal.NOT_LATEST)
    assert assessment.decision_for(second) is None


def test_refused_when_the_item_changed_since_the_page_was_opened(
    assessor: User, submission: Submission
) -> None:
    version = _state(submission).version
    _refused(assessor, submission, Refusal.STALE, seen_version=version - 1)
    assessment.record_decision(
        assessor,
        submission,
        {"pts-a.1": MET, "pts-a.4": MET},
        Outcome.ACCEPTED,
        "",
        seen_version=version,
    )


@pytest.mark.parametrize(
    ("marks", "outcome", "feedback", "message"),
    [
        ({"pts-a.1": MET}, Outcome.ACCEPTED, "", "Mark every marking point the learner claimed."),
        (
            {"pts-a.1": MET, "pts-a.4": MET, "pts-b.1": MET},
            Outcome.ACCEPTED,
            "",
            "does not belong to this element",
        ),
        (
            {"pts-a.1": MET, "pts-a.4": NOT_YET},
            Outcome.REFERRED,
            "Well done, keep it up!",
            "A referral must say what the learner needs to do: general praise",
        ),
        (
            {"pts-a.1": MET, "pts-a.4": NOT_YET},
            Outcome.REFERRED,
            "Redo.",
            "A referral must say what the learner needs to do: write at least 3 words",
        ),
        (
            {"pts-a.1": MET, "pts-a.4": PointMark(PointStatus.NOT_YET_MET, "Good effort!")},
            Outcome.REFERRED,
            REFERRAL,
            "pts-a.4: Say what is missing for this point: general praise",
        ),
    ],
    ids=["claimed-unmarked", "other-element", "praise-referral", "too-short", "praise-point"],
)
def test_refused_marking(
    assessor: User,
    submission: Submission,
    marks: dict[str, PointMark],
    outcome: Outcome,
    feedback: str,
    message: str,
) -> None:
    refused = _refused(
        assessor, submission, Refusal.INVALID, marks=marks, outcome=outcome, feedback=feedback
    )
    assert message in str(refused)


def test_generic_praise_on_an_acceptance_is_allowed(assessor: User, submission: Submission) -> None:
    decision = assessment.record_decision(
        assessor, submission, {"pts-a.1": MET, "pts-a.4": MET}, Outcome.ACCEPTED, "Well done!"
    )
    assert decision.feedback == "Well done!"


@pytest.fixture
def competing(assessor: User, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Another request (a double click, a second tab) records its decision on the same item
    after this one's checks pass and before it writes: the race the database must settle."""
    inserted: list[int] = []
    original = evidence_services.mark_decided

    def racing(submission: Submission, status: EvidenceStatus) -> None:
        decision, item = Decision.__table__, Evidence.__table__
        with db.engine.begin() as other:
            result = other.execute(
                insert(decision).values(
                    submission_id=submission.id,
                    assessor_id=assessor.id,
                    outcome="accepted",
                    feedback="",
                    decided_at=utcnow(),
                    needs_countersignature=False,
                )
            )
            other.execute(
                update(item)
                .where(item.c.id == submission.evidence_id)
                .values(status="accepted", version=item.c.version + 1)
            )
        inserted.append(result.inserted_primary_key[0])
        original(submission, status)

    monkeypatch.setattr(evidence_services, "mark_decided", racing)
    yield inserted


def test_the_loser_of_a_race_is_refused_and_the_winner_stands(
    assessor: User, submission: Submission, competing: list[int]
) -> None:
    with pytest.raises(assessment.DecisionRefused) as refused:
        assessment.record_decision(
            assessor, submission, {"pts-a.1": MET, "pts-a.4": NOT_YET}, Outcome.REFERRED, REFERRAL
        )
    assert refused.value.reason is Refusal.DECIDED
    assert refused.value.existing is not None and refused.value.existing.id == competing[0]
    state = _state(submission)
    assert (state.decisions, state.points, state.status) == (1, 0, EvidenceStatus.ACCEPTED)
    assert _entries("decision.recorded") == []
    (entry,) = _entries("decision.refused")
    assert entry.after is not None and entry.after["reason"] == "already_decided"
    assert verify_chain().intact


def test_comments_saved_to_the_bank_once_each(assessor: User, make: Factory) -> None:
    learner = make.learner(assessor=assessor)
    keep = PointMark(PointStatus.MET, "  Rights named correctly.  ", save_to_bank=True)
    for _ in range(2):
        assessment.record_decision(
            assessor,
            make.submission(learner),
            {"pts-a.1": keep, "pts-a.4": PointMark(PointStatus.MET, "Not kept.")},
            Outcome.ACCEPTED,
            "",
        )
    other = make.user(Role.ASSESSOR)
    # The same words from someone else, spaced and cased differently, are not added again.
    comment_bank.add_to_bank(
        other, {"pts-a.1": PointMark(PointStatus.MET, "rights  named correctly.", True)}
    )
    comment_bank.add_to_bank(
        other, {"pts-a.1": PointMark(PointStatus.MET, "Say which right applied.", True)}
    )
    db.session.commit()
    bank = comment_bank.bank_for(["pts-a.1", "pts-a.4", "pts-a.2"])
    assert [e.text for e in bank["pts-a.1"]] == [
        "Say which right applied.",
        "Rights named correctly.",
    ]
    assert bank["pts-a.4"] == bank["pts-a.2"] == []

    mine = comment_bank.own_comments(assessor)
    assert [e.text for e in mine] == ["Rights named correctly."]
    theirs = comment_bank.own_comments(other)
    assert not comment_bank.delete_comment(assessor, theirs[0].id)  # not mine to delete
    assert comment_bank.delete_comment(assessor, mine[0].id)
    assert comment_bank.own_comments(assessor) == []
    assert [e.text for e in comment_bank.bank_for(["pts-a.1"])["pts-a.1"]] == [
        "Say which right applied."
    ]
