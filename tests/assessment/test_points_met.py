"""The kept progress (point_met and point_under_way) agrees with the decisions after every
change the services make that can alter it: a submission, a decision (met, not yet met), a
trainee's decision and its countersignature, an IQA reopening a decision, and a referred item
sent again. The cohort matrix and its totals read these rows; they are checked here against
each learner's own tracking grid, which works progress out from the decisions in Python."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select

from portfolio.assessment import centre_tally, cohort, progress, tracking
from portfolio.assessment import services as assessment
from portfolio.assessment.marking import PointMark
from portfolio.assessment.models import (
    AssessorStatus,
    Outcome,
    PointMet,
    PointStatus,
    PointUnderWay,
    TallyState,
)
from portfolio.auth.models import Role, User, UserRole
from portfolio.evidence.models import Submission
from portfolio.extensions import db
from portfolio.iqa import countersigning
from portfolio.iqa import services as iqa_services
from portfolio.qualifications.models import MarkingPoint
from tests.assessment.support import resubmit
from tests.factories import Factory

MET = PointMark(PointStatus.MET, "")
NOT_YET = PointMark(PointStatus.NOT_YET_MET, "Show the RA form.")


Kept = tuple[int, str, str]


def _kept(table: type[PointMet] | type[PointUnderWay] = PointMet) -> set[Kept]:
    rows = db.session.execute(select(table.learner_id, table.element_id, table.marking_point_id))
    return {(r[0], r[1], r[2]) for r in rows}


def _from_the_grids() -> tuple[set[Kept], set[Kept]]:
    """(met, in progress) as every learner's tracking grid shows them."""
    met: set[Kept] = set()
    under_way: set[Kept] = set()
    learners = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.LEARNER)
    ).all()
    for learner in learners:
        for grid in tracking.tracking_grid(learner):
            for row in grid.rows:
                key = (learner.id, grid.element.id, row.point.id)
                if row.progress is tracking.Progress.MET:
                    met.add(key)
                elif row.progress is tracking.Progress.IN_PROGRESS:
                    under_way.add(key)
    return met, under_way


def _totals(viewer: User) -> dict[str, cohort.ElementTotals]:
    everyone = cohort.CohortFilter(cohort.Scope.ALL)
    return cohort.element_totals(
        viewer,
        everyone,
        cohort.learner_count(viewer, everyone),
        cohort._elements(None),
        tracking.live_points_by_element(),
    )


def _tallies_agree() -> None:
    """The centre's kept tallies give the totals a count over point_met gives."""
    viewer = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.IQA)
    ).first()
    assert viewer is not None
    assert centre_tally.totals(tracking.live_points_by_element()) is not None
    kept = _totals(viewer)
    state = db.session.get(TallyState, "centre")
    assert state is not None
    live, state.live_points = state.live_points, "stale"  # the page then counts in SQL
    assert centre_tally.totals(tracking.live_points_by_element()) is None
    assert kept == _totals(viewer)
    state.live_points = live


def _coverage_agrees() -> None:
    """The learner's home page coverage, read from the kept rows, sorts the points as their
    grid does: met, awaiting a decision, not yet evidenced."""
    learners = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.LEARNER)
    ).all()
    for learner in learners:
        grids = tracking.tracking_grid(learner)
        expected = [
            tracking.ElementCoverage(
                grid.element,
                tuple(r.point for r in grid.rows if r.met),
                tuple(r.point for r in grid.rows if not r.met and r.awaiting_decision),
                tuple(r.point for r in grid.rows if not r.met and not r.awaiting_decision),
                grid.signed_off,
            )
            for grid in grids
        ]
        assert tracking.coverage_by_element(learner) == expected


def _agree() -> set[str]:
    """The kept rows equal the grids', and the tallies their counts; returns the met points'
    ids."""
    db.session.expire_all()
    met, under_way = _from_the_grids()
    assert _kept(PointMet) == met
    assert _kept(PointUnderWay) == under_way
    _tallies_agree()
    _coverage_agrees()
    return {point for _, _, point in met}


def _backfilled_by_migration_0018() -> set[Kept]:
    """What migration 0018's INSERT ... SELECT would write into point_under_way now."""
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0018_point_under_way.py"
    spec = importlib.util.spec_from_file_location("migration_0018", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return {(r[0], r[1], r[2], bool(r[3])) for r in db.session.execute(migration._under_way())}


def _under_way_rows() -> set[tuple[int, str, str, bool]]:
    rows = db.session.execute(
        select(
            PointUnderWay.learner_id,
            PointUnderWay.element_id,
            PointUnderWay.marking_point_id,
            PointUnderWay.awaiting,
        )
    )
    return {(r[0], r[1], r[2], bool(r[3])) for r in rows}


def _under_way() -> set[str]:
    return {point for _, _, point in _kept(PointUnderWay)}


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
    assert _agree() == set() and _under_way() == {"pts-a.1", "pts-a.4"}
    assessment.record_decision(
        alan,
        _fresh(referred),
        {"pts-a.1": MET, "pts-a.4": NOT_YET},
        Outcome.REFERRED,
        "Attach the RA form.",
    )
    assert _agree() == {"pts-a.1"} and _under_way() == {"pts-a.4"}
    again = resubmit(referred.evidence_id, ("pts-a.1", "pts-a.4"))
    assert _agree() == set()
    accepted = assessment.record_decision(
        alan, _fresh(again), {"pts-a.1": MET, "pts-a.4": MET}, Outcome.ACCEPTED, ""
    )
    assert _agree() == {"pts-a.1", "pts-a.4"}

    # Reopened by an IQA: nothing of it stands until it is decided again.
    assessment.reopen_decision(accepted, iqa)
    db.session.commit()
    assert _agree() == set() and _under_way() == {"pts-a.1", "pts-a.4"}  # back in the queue

    # A trainee's decision meets nothing until countersigned.
    pending = make.submission(theo, element_id="pts-b", claims=("pts-b.1",))
    decision = assessment.record_decision(
        tom, _fresh(pending), {"pts-b.1": MET}, Outcome.ACCEPTED, ""
    )
    assert decision.needs_countersignature and _agree() == set()
    # Awaiting countersignature: in progress.
    assert (theo.id, "pts-b", "pts-b.1") in _kept(PointUnderWay)
    by = db.session.get(User, iqa.id)
    assert by is not None
    countersigning.countersign(decision, by)
    assert _agree() == {"pts-b.1"}
    assert {learner for learner, _, _ in _kept()} == {theo.id}
    # The migration that made point_under_way fills it by the same rule.
    assert _backfilled_by_migration_0018() == _under_way_rows() != set()


def test_rebuilding_works_them_all_out_again(ctx: None, make: Factory) -> None:
    make.user(Role.IQA)
    alan = make.user(Role.ASSESSOR)
    lily = make.learner(assessor=alan)
    sent = make.submission(lily, claims=("pts-a.1",))
    assessment.record_decision(alan, _fresh(sent), {"pts-a.1": MET}, Outcome.ACCEPTED, "")
    sent_again = make.submission(lily, element_id="pts-b", claims=("pts-b.1", "pts-b.2"))
    assert sent_again.id
    db.session.execute(PointMet.__table__.delete())
    db.session.execute(PointUnderWay.__table__.delete())
    assert _kept() == set() and _kept(PointUnderWay) == set()
    assert progress.rebuild_progress() == (1, 2)
    assert _agree() == {"pts-a.1"} and _under_way() == {"pts-b.1", "pts-b.2"}


def test_the_centre_tallies_follow_a_retired_point_once_the_rubric_is_loaded(
    ctx: None, make: Factory
) -> None:
    make.user(Role.IQA)
    alan = make.user(Role.ASSESSOR)
    for learner in (make.learner(assessor=alan), make.learner(assessor=alan)):
        sent = make.submission(learner, claims=("pts-a.1", "pts-a.2"))
        assessment.record_decision(
            alan,
            _fresh(sent),
            {"pts-a.1": MET, "pts-a.2": NOT_YET},
            Outcome.REFERRED,
            "Attach the returns form.",
        )
    assert _agree() == {"pts-a.1"}
    # Retire every point of pts-a but pts-a.1: both learners have now met all of it.
    retired = db.session.scalars(
        select(MarkingPoint).where(MarkingPoint.element_id == "pts-a", MarkingPoint.id != "pts-a.1")
    ).all()
    for point in retired:
        point.retired = True
    db.session.flush()
    assert centre_tally.totals(tracking.live_points_by_element()) is None  # counted in SQL
    centre_tally.rebuild()  # as loading the rubric files does
    db.session.commit()
    _tallies_agree()
    totals = centre_tally.totals(tracking.live_points_by_element())
    assert totals is not None and totals.complete["pts-a"] == 2
