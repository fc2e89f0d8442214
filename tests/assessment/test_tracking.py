"""The tracking grid and the cohort matrix: what each cell says, which decisions count (live
ones only; a trainee's only once countersigned), the counts, and when an element is complete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, update

from portfolio.assessment import cohort, tracking
from portfolio.assessment.models import ElementSignOff, PointStatus
from portfolio.assessment.tracking import CellState, Progress
from portfolio.auth.models import Cohort, Role, User
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.qualifications.models import MarkingPoint
from tests.assessment.support import MET, NA, NOT_YET, countersign, decide, resubmit, supersede
from tests.factories import Factory

POINTS = [f"pts-a.{n}" for n in range(1, 6)]


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


@pytest.fixture
def learner(make: Factory, assessor: User) -> User:
    return make.learner(assessor=assessor, name="Lily Learner")


def _grid(learner: User, element: str = "pts-a") -> tracking.ElementGrid[Evidence]:
    """The element's grid, checked against the page's (drawn from rows, not entities): the
    same columns, rows (each cell's mark, claim, decision and attempt) and table, in every
    test of this file."""
    db.session.expire_all()
    grids = tracking.tracking_grid(learner)
    page = tracking.tracking_page(learner, tracking.submitted_items(learner))
    assert [(g.element.id, [e.id for e in g.evidence], g.rows, g.table) for g in grids] == [
        (g.element.id, [e.id for e in g.evidence], g.rows, g.table) for g in page
    ]
    return next(g for g in grids if g.element.id == element)


def _states(grid: tracking.ElementGrid[Evidence]) -> dict[str, list[str]]:
    return {row.point.id: [c.state.value for c in row.cells] for row in grid.rows}


def _counts(grid: tracking.ElementGrid[Evidence]) -> tuple[int, int, int, int]:
    return grid.met_count, grid.not_yet_met_count, grid.outstanding_count, len(grid.rows)


def test_every_cell_state(assessor: User, learner: User, make: Factory) -> None:
    grid = _grid(learner)
    assert grid.evidence == () and _counts(grid) == (0, 0, 5, 5)
    waiting = make.submission(learner, title="Waiting", claims=("pts-a.1", "pts-a.4"))
    decided = make.submission(learner, title="Decided", claims=("pts-a.1", "pts-a.2"))
    decide(decided.id, {"pts-a.1": MET, "pts-a.2": NOT_YET, "pts-a.3": NA}, assessor=assessor)
    make.evidence(learner, title="Draft only")  # never submitted: no column

    grid = _grid(learner)
    assert [e.title for e in grid.evidence] == ["Waiting", "Decided"]
    assert _states(grid) == {
        "pts-a.1": ["claimed", "met"],
        "pts-a.2": ["none", "not_yet_met"],
        "pts-a.3": ["none", "not_applicable"],
        "pts-a.4": ["claimed", "none"],
        "pts-a.5": ["none", "none"],
    }
    labels = {row.point.id: [c.label for c in row.cells] for row in grid.rows}
    assert labels["pts-a.3"] == ["", "Not applicable"]
    assert [r.met for r in grid.rows] == [True, False, False, False, False]
    # Met 1; not yet met 1; outstanding: claimed (4), not applicable (3), untouched (5).
    assert _counts(grid) == (1, 1, 3, 5)
    assert not grid.complete
    assert grid.evidence[0].id == waiting.evidence_id


def test_a_trainees_decision_meets_nothing_until_countersigned(
    assessor: User, learner: User, make: Factory
) -> None:
    submission = make.submission(learner, claims=tuple(POINTS))
    decision = decide(
        submission.id,
        dict.fromkeys(POINTS, MET) | {"pts-a.5": NOT_YET},
        assessor=assessor,
        needs_countersignature=True,
    )
    grid = _grid(learner)
    assert {c.state for row in grid.rows for c in row.cells} == {
        CellState.AWAITING_COUNTERSIGNATURE
    }
    assert grid.rows[0].cells[0].label == "Met, awaiting countersignature"
    assert grid.rows[4].cells[0].label == "Not yet met, awaiting countersignature"
    assert _counts(grid) == (0, 0, 5, 5)
    coverage = next(c for c in tracking.coverage_by_element(learner) if c.element.id == "pts-a")
    assert len(coverage.claimed) == 5 and coverage.met == () and coverage.missing == ()

    countersign(decision, assessor)
    grid = _grid(learner)
    assert _states(grid)["pts-a.1"] == ["met"] and _states(grid)["pts-a.5"] == ["not_yet_met"]
    assert _counts(grid) == (4, 1, 0, 5)


def test_superseded_decisions_are_ignored(assessor: User, learner: User, make: Factory) -> None:
    submission = make.submission(learner, claims=("pts-a.1", "pts-a.4"))
    first = decide(submission.id, {"pts-a.1": MET, "pts-a.4": MET}, assessor=assessor)
    assert _states(_grid(learner))["pts-a.1"] == ["met"]

    supersede(first)  # an IQA reopened it: the submission awaits a decision again
    grid = _grid(learner)
    assert _states(grid)["pts-a.1"] == ["claimed"] and grid.met_count == 0

    decide(submission.id, {"pts-a.1": MET, "pts-a.4": NOT_YET}, assessor=assessor)
    grid = _grid(learner)
    assert _states(grid)["pts-a.1"] == ["met"] and _states(grid)["pts-a.4"] == ["not_yet_met"]
    assert grid.rows[0].cells[0].decision_id != first


def test_only_the_latest_attempt_counts(assessor: User, learner: User, make: Factory) -> None:
    submission = make.submission(learner, claims=("pts-a.1", "pts-a.4"))
    decide(submission.id, {"pts-a.1": MET, "pts-a.4": NOT_YET}, assessor=assessor)
    resubmit(submission.evidence_id, ["pts-a.1", "pts-a.4", "pts-a.5"])
    grid = _grid(learner)
    # Attempt 2 awaits its decision: its claims show, not attempt 1's marks.
    assert _states(grid)["pts-a.1"] == ["claimed"] and grid.met_count == 0
    assert grid.rows[0].cells[0].submission_number == 2


def test_an_element_is_complete_when_every_live_point_is_met(
    assessor: User, learner: User, make: Factory
) -> None:
    one = make.submission(learner, title="One", claims=("pts-a.1", "pts-a.2", "pts-a.3"))
    two = make.submission(learner, title="Two", claims=("pts-a.3", "pts-a.4", "pts-a.5"))
    first = decide(one.id, {"pts-a.1": MET, "pts-a.2": MET, "pts-a.3": MET}, assessor=assessor)
    decide(two.id, {"pts-a.3": MET, "pts-a.4": MET, "pts-a.5": NA}, assessor=assessor)
    grid = _grid(learner)
    assert not grid.complete and _counts(grid) == (4, 0, 1, 5)  # not applicable is not met

    # A point retired from the rubric no longer has to be met.
    db.session.execute(
        update(MarkingPoint).where(MarkingPoint.id == "pts-a.5").values(retired=True)
    )
    db.session.commit()
    grid = _grid(learner)
    assert [r.point.id for r in grid.rows] == POINTS[:4]
    assert grid.complete and _counts(grid) == (4, 0, 0, 4)
    # What met each point: the first item (in column order) whose decision met it.
    assert grid.evidence_of_points()["pts-a.3"] == {
        "decision_id": first,
        "evidence_id": one.evidence_id,
        "submission_number": 1,
    }
    assert not _grid(learner, "pts-b").complete  # an element with nothing met


def test_the_table_is_what_the_page_and_csv_show(
    assessor: User, learner: User, make: Factory
) -> None:
    one = make.submission(learner, title="Kettle refund", claims=("pts-a.1",))
    make.submission(learner, element_id="pts-b", title="Sofa complaint", claims=("pts-b.1",))
    decide(one.id, {"pts-a.1": MET, "pts-a.2": NOT_YET}, assessor=assessor)
    db.session.expire_all()
    pts_a, pts_b = tracking.tracking_grid(learner)[:2]
    table = pts_a.table
    assert table.caption == (
        f"{pts_a.element.title}: 1 of 5 marking points met, 1 not yet met, 3 outstanding"
    )
    assert [c.text for c in table.columns] == ["Marking point", "E1: Kettle refund", "Met"]
    first = pts_a.rows[0].point
    assert table.rows[0].texts == [f"{first.id} {first.text}", "Met", "Yes"]
    assert [r.texts[1:] for r in table.rows[1:]] == [
        ["Not yet met", "No"],
        ["—", "No"],
        ["—", "No"],
        ["—", "No"],
    ]
    # Numbering runs on across elements, as the PDF's contents number the items.
    assert [c.text for c in pts_b.table.columns][1] == "E2: Sofa complaint"


def _matrix(viewer: User, scope: cohort.Scope = cohort.Scope.MINE) -> cohort.CohortMatrix:
    db.session.expire_all()
    return cohort.cohort_matrix(cohort.cohort_learners(viewer, scope, None))


def _cohort_cells(matrix: cohort.CohortMatrix, element: str = "pts-a") -> dict[str, list[str]]:
    part = next(e for e in matrix.elements if e.element.id == element)
    return {r.learner.name: [c.value for c in r.cells] for r in part.rows}


def test_the_cohort_matrix_reads_as_each_learners_grid(
    assessor: User, learner: User, make: Factory
) -> None:
    bea = make.learner(assessor=assessor, name="Bea Learner")
    make.learner(assessor=assessor, name="Cal Learner")  # nothing submitted
    make.learner(assessor=make.user(Role.ASSESSOR), name="Not Mine")
    one = make.submission(learner, claims=("pts-a.1", "pts-a.2", "pts-a.3"))
    decide(one.id, {"pts-a.1": MET, "pts-a.2": NOT_YET, "pts-a.3": NA}, assessor=assessor)
    make.submission(learner, claims=("pts-a.4",))  # awaiting a decision
    trainee = make.submission(bea, claims=("pts-a.1", "pts-a.2"))
    decide(trainee.id, {"pts-a.1": MET, "pts-a.2": MET}, assessor=assessor)
    old = make.submission(bea, claims=("pts-a.5",))
    supersede(decide(old.id, {"pts-a.5": MET}, assessor=assessor))
    pending = make.submission(bea, claims=("pts-a.3",))
    decide(pending.id, {"pts-a.3": MET}, assessor=assessor, needs_countersignature=True)

    matrix = _matrix(assessor)
    assert [p.name for p in matrix.learners] == ["Bea Learner", "Cal Learner", "Lily Learner"]
    assert _cohort_cells(matrix) == {
        "Bea Learner": ["met", "met", "in_progress", "not_started", "in_progress"],
        "Cal Learner": ["not_started"] * 5,
        "Lily Learner": ["met", "in_progress", "not_started", "in_progress", "not_started"],
    }
    part = matrix.elements[0]
    assert [part.met_by(i) for i in range(5)] == [2, 1, 0, 0, 0]
    assert [r.met_count for r in part.rows] == [2, 0, 1]
    # The same verdicts as the learner's own grid, point by point.
    grid = _grid(learner)
    assert [r.progress for r in grid.rows] == [
        Progress(v) for v in _cohort_cells(_matrix(assessor))["Lily Learner"]
    ]
    table = part.table
    assert table.caption.endswith(": 0 of 3 learners have met every marking point, 0 signed off")
    assert [c.text for c in table.columns] == ["Learner", *POINTS, "Points met", "Sign-off"]
    assert table.rows[0].texts == [
        "Bea Learner",
        "Met",
        "Met",
        "In progress",
        "Not started",
        "In progress",
        "2 of 5",
        "Not yet complete",
    ]
    assert table.foot[0].texts == [
        "Learners who have met it",
        "2 of 3",
        "1 of 3",
        "0 of 3",
        "0 of 3",
        "0 of 3",
        "0 of 3 complete",
        "0 signed off",
    ]


def test_whose_learners_the_matrix_holds(assessor: User, learner: User, make: Factory) -> None:
    other = make.learner(assessor=make.user(Role.ASSESSOR), name="Other Learner")
    make.learner(assessor=assessor, name="Ungrouped Learner")
    evening = make.cohort("Evening", learner, other)
    iqa = make.user(Role.IQA)
    both = make.user(Role.ASSESSOR, Role.IQA)

    def names(viewer: User, scope: cohort.Scope, group: Cohort | str | None = None) -> list[str]:
        return [p.name for p in cohort.cohort_learners(viewer, scope, group)]

    assert cohort.scopes_for(assessor) == (cohort.Scope.MINE,)
    assert cohort.scopes_for(iqa) == (cohort.Scope.ALL,)
    assert cohort.scopes_for(both) == (cohort.Scope.MINE, cohort.Scope.ALL)
    assert names(assessor, cohort.Scope.MINE) == ["Lily Learner", "Ungrouped Learner"]
    assert names(assessor, cohort.Scope.ALL) == []  # not the assessor's to see
    assert names(iqa, cohort.Scope.ALL) == ["Lily Learner", "Other Learner", "Ungrouped Learner"]
    assert names(iqa, cohort.Scope.ALL, evening) == ["Lily Learner", "Other Learner"]
    assert names(assessor, cohort.Scope.MINE, evening) == ["Lily Learner"]
    assert names(iqa, cohort.Scope.ALL, cohort.NO_GROUP) == ["Ungrouped Learner"]
    assert names(both, cohort.Scope.MINE) == []
    assert cohort.cohort_matrix([]).elements == ()


def _statements(run: Callable[[], None]) -> list[str]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_the_cohort_matrix_takes_a_fixed_number_of_queries(
    assessor: User, learner: User, make: Factory
) -> None:
    def build() -> None:
        matrix = _matrix(assessor)
        for table in matrix.tables:
            table.csv_rows()

    def grow(count: int) -> None:
        for n in range(count):
            person = make.learner(assessor=assessor)
            done = make.submission(person, claims=("pts-a.1",))
            decide(done.id, {"pts-a.1": MET}, assessor=assessor)
            make.submission(person, element_id="pts-b", claims=("pts-b.1",))
            if n % 2:  # sign-offs are read too, with their assessors' names
                db.session.add(
                    ElementSignOff(
                        learner_id=person.id,
                        element_id="pts-b",
                        assessor_id=assessor.id,
                        rubric_version=1,
                        snapshot={},
                    )
                )
                db.session.commit()

    grow(2)
    small = _statements(build)
    grow(6)
    large = _statements(build)
    assert len(_matrix(assessor).learners) == 9
    assert len(large) == len(small), large
    assert len(large) <= 12, "\n".join(s[:90] for s in large)


def test_a_cell_says_what_its_mark_claim_and_countersignature_decide() -> None:
    # A page's cells of one kind share what they say (tracking._kind): each kind, spelled out.
    for status in (None, *PointStatus):
        for claimed in (False, True):
            for awaiting in (False, True):
                cell = tracking.GridCell(status, claimed, awaiting)
                if status is None:
                    expected = ("claimed", "Claimed") if claimed else ("none", "")
                elif awaiting:
                    label = f"{status.label}, awaiting countersignature"
                    expected = ("awaiting_countersignature", label)
                else:
                    expected = (status.value, status.label)
                assert (cell.state.value, cell.label) == expected
                assert cell.met == (expected[0] == "met")


@pytest.mark.parametrize(
    ("at", "day"),
    [
        # 00:30 BST on 1 July is 23:30 UTC on 30 June: the sign-off was made on 1 July.
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "1 July 2026"),
        (datetime(2026, 12, 7, 23, 30, tzinfo=UTC), "7 December 2026"),  # GMT: the same day
    ],
)
def test_a_sign_off_is_dated_by_the_day_in_london(at: datetime, day: str) -> None:
    assert tracking.sign_off_text("Alan Assessor", at) == f"Signed off by Alan Assessor on {day}"
