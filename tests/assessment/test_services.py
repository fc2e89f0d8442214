"""The assessor's queue, recording decisions and the tracking grid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Decision, Outcome, PointDecision, PointStatus
from portfolio.assessment.services import PointMark
from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.evidence import services as evidence
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.factories import ACCOUNT, Factory

MET = PointMark(PointStatus.MET, "Shown clearly.")
NOT_YET = PointMark(PointStatus.NOT_YET_MET, "Show the RA form.")


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


@pytest.fixture
def learner(make: Factory, assessor: User) -> User:
    return make.learner(assessor=assessor, name="Lily Learner")


def _decisions() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Decision)),
        db.session.scalar(select(func.count()).select_from(PointDecision)),
    )


def _status(submission: Submission) -> EvidenceStatus:
    db.session.expire_all()
    found = db.session.get(Submission, submission.id)
    assert found is not None
    return found.evidence.status


def _decide(
    assessor: User,
    submission: Submission,
    marks: dict[str, PointMark] | None = None,
    outcome: Outcome = Outcome.ACCEPTED,
    feedback: str = "",
) -> Decision:
    return assessment.record_decision(
        assessor,
        submission,
        {"pts-a.1": MET, "pts-a.4": MET} if marks is None else marks,
        outcome,
        feedback,
    )


def test_the_queue_holds_only_my_learners_undecided_submissions_oldest_first(
    assessor: User, learner: User, make: Factory
) -> None:
    second_learner = make.learner(assessor=assessor)
    not_mine = make.learner(assessor=make.user(Role.ASSESSOR))
    newer = make.submission(learner, title="Newer")
    older = make.submission(second_learner, title="Older")
    decided = make.submission(learner, title="Decided")
    make.submission(not_mine, title="Someone else's")
    make.evidence(learner, title="Still a draft")
    # Submitted earlier than `newer` although created later: the queue goes by time.
    older.submitted_at = newer.submitted_at - timedelta(hours=1)
    db.session.commit()
    _decide(assessor, decided)

    assert [s.title for s in assessment.queue(assessor)] == ["Older", "Newer"]
    assert assessment.queue(not_mine) == []


def test_a_decision_accepts_or_refers_the_evidence(
    assessor: User, learner: User, make: Factory
) -> None:
    accepted = make.submission(learner)
    decision = _decide(assessor, accepted)
    assert _status(accepted) is EvidenceStatus.ACCEPTED
    db.session.expire_all()
    decision = db.session.get(Decision, decision.id)
    assert decision is not None
    assert decision.assessor_id == assessor.id and decision.outcome is Outcome.ACCEPTED
    assert {(p.marking_point_id, p.status) for p in decision.points} == {
        ("pts-a.1", PointStatus.MET),
        ("pts-a.4", PointStatus.MET),
    }

    referred = make.submission(learner)
    _decide(
        assessor,
        referred,
        {"pts-a.1": MET, "pts-a.4": NOT_YET, "pts-a.2": MET},
        Outcome.REFERRED,
        "  Attach the RA form.  ",
    )
    assert _status(referred) is EvidenceStatus.REFERRED
    decision = assessment.decision_for(referred)
    assert decision is not None and decision.feedback == "Attach the RA form."
    assert {p.marking_point_id: p.comment for p in decision.points}["pts-a.4"] == (
        "Show the RA form."
    )
    assert [s.id for s in assessment.queue(assessor)] == []


def _refused(assessor: User, submission: Submission, message: str, **kwargs: object) -> None:
    before = _decisions()
    with pytest.raises(assessment.DecisionRefused, match=message):
        _decide(assessor, submission, **kwargs)  # type: ignore[arg-type]
    db.session.rollback()
    assert _decisions() == before


def test_refused_outside_the_caseload(learner: User, make: Factory) -> None:
    submission = make.submission(learner)
    _refused(make.user(Role.ASSESSOR), submission, "not in your caseload")
    assert _status(submission) is EvidenceStatus.SUBMITTED


def test_refused_when_already_decided(assessor: User, learner: User, make: Factory) -> None:
    submission = make.submission(learner)
    _decide(assessor, submission)
    _refused(
        assessor,
        submission,
        "already been decided",
        outcome=Outcome.REFERRED,
        feedback="Try again.",
    )
    assert _status(submission) is EvidenceStatus.ACCEPTED
    decision = assessment.decision_for(submission)
    assert decision is not None and decision.outcome is Outcome.ACCEPTED


def test_refused_a_referral_without_feedback(assessor: User, learner: User, make: Factory) -> None:
    submission = make.submission(learner)
    for feedback in ("", "   \n "):
        _refused(
            assessor,
            submission,
            "must tell the learner what to do",
            outcome=Outcome.REFERRED,
            feedback=feedback,
        )
    assert _status(submission) is EvidenceStatus.SUBMITTED


def test_refused_with_a_claimed_point_unmarked(
    assessor: User, learner: User, make: Factory
) -> None:
    submission = make.submission(learner)
    _refused(assessor, submission, "Mark every marking point", marks={"pts-a.1": MET})
    _refused(assessor, submission, "Mark every marking point", marks={"pts-a.2": MET})
    assert _status(submission) is EvidenceStatus.SUBMITTED


def test_refused_with_a_marking_point_of_another_element(
    assessor: User, learner: User, make: Factory
) -> None:
    submission = make.submission(learner)
    _refused(
        assessor,
        submission,
        "does not belong to this element",
        marks={"pts-a.1": MET, "pts-a.4": MET, "pts-b.1": MET},
    )
    _refused(
        assessor,
        submission,
        "does not belong to this element",
        marks={"pts-a.1": MET, "pts-a.4": MET, "made-up": MET},
    )
    assert _status(submission) is EvidenceStatus.SUBMITTED


def test_a_decision_that_loses_a_race_is_refused_and_the_winner_stands(
    assessor: User, learner: User, make: Factory
) -> None:
    submission = make.submission(learner)
    # Another request (a double-click) records its decision between our read and our write.
    decision, item = Decision.__table__, Evidence.__table__
    with db.engine.begin() as other:
        other.execute(
            insert(decision).values(
                submission_id=submission.id,
                assessor_id=assessor.id,
                outcome="referred",
                feedback="From the other request.",
                decided_at=utcnow(),
            )
        )
        other.execute(
            update(item)
            .where(item.c.id == submission.evidence_id)
            .values(status="referred", version=item.c.version + 1)
        )
    with pytest.raises(assessment.DecisionRefused, match="already been decided"):
        _decide(assessor, submission)
    db.session.rollback()
    assert _status(submission) is EvidenceStatus.REFERRED
    found = assessment.decision_for(submission)
    assert found is not None and found.feedback == "From the other request."
    assert _decisions() == (1, 0)


def _grid(learner: User) -> dict[str, list[str]]:
    db.session.expire_all()
    grid = next(g for g in assessment.tracking_grid(learner) if g.element.id == "pts-a")
    return {row.point.id: [c.label for c in row.cells] for row in grid.rows}


def test_tracking_grid_shows_claimed_then_the_latest_decision(
    assessor: User, learner: User, make: Factory
) -> None:
    assert _grid(learner) == {f"pts-a.{n}": [] for n in range(1, 6)}
    make.evidence(learner, title="Draft only")  # drafts are not in the grid
    assert _grid(learner)["pts-a.1"] == []

    first = make.submission(learner)
    assert _grid(learner) == {
        "pts-a.1": ["Claimed"],
        "pts-a.2": [""],
        "pts-a.3": [""],
        "pts-a.4": ["Claimed"],
        "pts-a.5": [""],
    }

    _decide(
        assessor,
        first,
        {"pts-a.1": MET, "pts-a.4": NOT_YET, "pts-a.3": MET},
        Outcome.REFERRED,
        "Attach the RA form.",
    )
    grid = _grid(learner)
    assert grid["pts-a.1"] == ["Met"]
    assert grid["pts-a.3"] == ["Met"]  # marked though not claimed
    assert grid["pts-a.4"] == ["Not yet met"]
    assert grid["pts-a.2"] == [""]

    # Resubmitted: the new attempt awaits a decision, so its claims show, not attempt 1's marks.
    item = first.evidence
    evidence.save_draft(
        item,
        title=item.title,
        sections=ACCOUNT,
        claims=["pts-a.1", "pts-a.4", "pts-a.5"],
        expected_version=item.version,
    )
    second = evidence.submit_evidence(item, learner, learner.name)
    grid = _grid(learner)
    assert (grid["pts-a.1"], grid["pts-a.3"], grid["pts-a.4"], grid["pts-a.5"]) == (
        ["Claimed"],
        [""],
        ["Claimed"],
        ["Claimed"],
    )

    db.session.expire_all()
    second = db.session.get(Submission, second.id)
    assert second is not None
    _decide(
        assessor,
        second,
        {"pts-a.1": MET, "pts-a.4": MET, "pts-a.5": NOT_YET},
        Outcome.ACCEPTED,
    )
    grid = _grid(learner)
    assert (grid["pts-a.1"], grid["pts-a.4"], grid["pts-a.5"]) == (
        ["Met"],
        ["Met"],
        ["Not yet met"],
    )
    db.session.expire_all()
    pts_a = next(g for g in assessment.tracking_grid(learner) if g.element.id == "pts-a")
    assert pts_a.met_count == 2
    assert [e.title for e in pts_a.evidence] == ["Kettle refund"]


def test_tracking_grid_has_a_column_per_submitted_item(
    assessor: User, learner: User, make: Factory
) -> None:
    one = make.submission(learner, title="One", claims=("pts-a.1",))
    make.submission(learner, title="Two", claims=("pts-a.2",))
    make.submission(learner, element_id="pts-b", title="Other element", claims=("pts-b.1",))
    _decide(assessor, one, {"pts-a.1": MET})
    grid = _grid(learner)
    assert grid["pts-a.1"] == ["Met", ""]
    assert grid["pts-a.2"] == ["", "Claimed"]
    db.session.expire_all()
    pts_b = next(g for g in assessment.tracking_grid(learner) if g.element.id == "pts-b")
    assert [e.title for e in pts_b.evidence] == ["Other element"]
    assert pts_b.rows[0].cells[0].label == "Claimed"
