"""The kept met points (point_met) agree with the decisions after every change the services
make that can alter them: a decision (met, not yet met), a trainee's decision and its
countersignature, an IQA reopening a decision, and a referred item sent again. The cohort
totals read these rows; the matrix's cells read the decisions themselves."""

from __future__ import annotations

from sqlalchemy import select

from portfolio.assessment import progress
from portfolio.assessment import services as assessment
from portfolio.assessment.marking import PointMark
from portfolio.assessment.models import AssessorStatus, Outcome, PointMet, PointStatus
from portfolio.auth.models import Role, User
from portfolio.evidence.models import Submission
from portfolio.extensions import db
from portfolio.iqa import countersigning
from portfolio.iqa import services as iqa_services
from tests.assessment.support import resubmit
from tests.factories import Factory

MET = PointMark(PointStatus.MET, "")
NOT_YET = PointMark(PointStatus.NOT_YET_MET, "Show the RA form.")


def _kept() -> set[tuple[int, str, str]]:
    rows = db.session.execute(
        select(PointMet.learner_id, PointMet.element_id, PointMet.marking_point_id)
    )
    return {(r[0], r[1], r[2]) for r in rows}


def _worked_out() -> set[tuple[int, str, str]]:
    return {(r[0], r[1], r[2]) for r in db.session.execute(progress.met_points())}


def _agree() -> set[str]:
    db.session.expire_all()
    kept = _kept()
    assert kept == _worked_out()
    return {point for _, _, point in kept}


def _fresh(submission: Submission) -> Submission:
    found = db.session.get(Submission, submission.id)
    assert found is not None
    return found


def test_the_kept_points_follow_every_change(ctx: None, make: Factory) -> None:
    iqa = make.user(Role.IQA, name="Ian Quality")
    alan = make.user(Role.ASSESSOR, name="Alan Assessor")
    tom = make.user(Role.ASSESSOR, name="Tom Trainee")
    iqa_services.change_plan(tom, AssessorStatus.TRAINEE, 100, iqa)
    lily = make.learner(assessor=alan, name="Lily Learner")
    theo = make.learner(assessor=tom, name="Theo Learner")
    assert _agree() == set()

    # Referred: the point met on this attempt counts until the item is sent again.
    referred = make.submission(lily, claims=("pts-a.1", "pts-a.4"))
    assessment.record_decision(
        alan,
        _fresh(referred),
        {"pts-a.1": MET, "pts-a.4": NOT_YET},
        Outcome.REFERRED,
        "Attach the RA form.",
    )
    assert _agree() == {"pts-a.1"}
    again = resubmit(referred.evidence_id, ("pts-a.1", "pts-a.4"))
    assert _agree() == set()
    accepted = assessment.record_decision(
        alan, _fresh(again), {"pts-a.1": MET, "pts-a.4": MET}, Outcome.ACCEPTED, ""
    )
    assert _agree() == {"pts-a.1", "pts-a.4"}

    # Reopened by an IQA: nothing of it stands until it is decided again.
    assessment.reopen_decision(accepted, iqa)
    db.session.commit()
    assert _agree() == set()

    # A trainee's decision meets nothing until countersigned.
    pending = make.submission(theo, element_id="pts-b", claims=("pts-b.1",))
    decision = assessment.record_decision(
        tom, _fresh(pending), {"pts-b.1": MET}, Outcome.ACCEPTED, ""
    )
    assert decision.needs_countersignature and _agree() == set()
    by = db.session.get(User, iqa.id)
    assert by is not None
    countersigning.countersign(decision, by)
    assert _agree() == {"pts-b.1"}
    assert {learner for learner, _, _ in _kept()} == {theo.id}


def test_rebuilding_works_them_all_out_again(ctx: None, make: Factory) -> None:
    alan = make.user(Role.ASSESSOR)
    lily = make.learner(assessor=alan)
    sent = make.submission(lily, claims=("pts-a.1",))
    assessment.record_decision(alan, _fresh(sent), {"pts-a.1": MET}, Outcome.ACCEPTED, "")
    db.session.execute(PointMet.__table__.delete())
    assert _kept() == set()
    assert progress.rebuild_points_met() == 1
    assert _agree() == {"pts-a.1"}
