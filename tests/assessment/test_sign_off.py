"""Signing off an element: only the learner's assessor, only when every point is met, only once
(even when two requests race), with a snapshot of what met each point and an audit entry."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from portfolio.assessment import signoff, tracking
from portfolio.assessment.models import ElementSignOff
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry, verify_chain
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element
from tests.assessment.support import MET, NA, countersign, decide, supersede
from tests.factories import Factory

POINTS = [f"pts-a.{n}" for n in range(1, 6)]


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


@pytest.fixture
def learner(make: Factory, assessor: User) -> User:
    return make.learner(assessor=assessor, name="Lily Learner")


@pytest.fixture
def element(ctx: None) -> Element:
    found = qualifications.get_element("pts-a")
    assert found is not None
    return found


def _complete(learner: User, assessor: User, make: Factory) -> tuple[int, int, int]:
    """pts-a met across two items; returns (first decision, second decision, second item)."""
    one = make.submission(learner, title="One", claims=("pts-a.1", "pts-a.2"))
    two = make.submission(learner, title="Two", claims=("pts-a.2", "pts-a.3", "pts-a.4", "pts-a.5"))
    first = decide(one.id, {"pts-a.1": MET, "pts-a.2": MET}, assessor=assessor)
    second = decide(two.id, dict.fromkeys(POINTS[1:], MET), assessor=assessor)
    return first, second, two.evidence_id


def _written() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(ElementSignOff)) or 0,
        db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def _refused(assessor: User, learner: User, element: Element, message: str) -> None:
    before = _written()
    with pytest.raises(signoff.SignOffRefused, match=message):
        signoff.sign_off_element(assessor, learner, element)
    db.session.rollback()
    assert _written() == before


def test_a_complete_element_is_signed_off_with_its_evidence_and_audited(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    first, second, two = _complete(learner, assessor, make)
    sign_off = signoff.sign_off_element(assessor, learner, element)

    db.session.expire_all()
    stored = db.session.get(ElementSignOff, sign_off.id)
    assert stored is not None
    assert (stored.learner_id, stored.element_id, stored.assessor_id) == (
        learner.id,
        "pts-a",
        assessor.id,
    )
    assert stored.rubric_version == element.version
    points = stored.snapshot["points"]
    assert sorted(points) == POINTS
    assert points["pts-a.1"]["decision_id"] == first
    assert points["pts-a.2"]["decision_id"] == first  # met by both: the first column's
    assert points["pts-a.5"] == {"decision_id": second, "evidence_id": two, "submission_number": 1}

    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "element.signed_off",
        "element_sign_off",
        str(stored.id),
    )
    assert (entry.actor_id, entry.learner_id) == (assessor.id, learner.id)
    assert entry.after is not None
    assert entry.after["element"] == "pts-a" and entry.after["points"] == points
    assert entry.after["rubric_version"] == element.version
    assert verify_chain().intact

    grid = next(g for g in tracking.tracking_grid(learner) if g.element.id == "pts-a")
    assert grid.sign_off is not None and grid.sign_off.id == stored.id
    assert grid.signed_off.startswith("Signed off by Alan Assessor on ")
    assert grid.table.caption.endswith(f"; {grid.signed_off.lower()}")
    coverage = next(c for c in tracking.coverage_by_element(learner) if c.element.id == "pts-a")
    assert coverage.signed_off == grid.signed_off


def test_refused_until_every_point_is_met(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    _refused(assessor, learner, element, "Not every marking point")
    submission = make.submission(learner, claims=tuple(POINTS))
    # Not applicable is not met.
    decide(submission.id, dict.fromkeys(POINTS, MET) | {"pts-a.3": NA}, assessor=assessor)
    _refused(assessor, learner, element, "Not every marking point")


def test_refused_while_a_decision_awaits_countersignature(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    submission = make.submission(learner, claims=tuple(POINTS))
    decision = decide(
        submission.id, dict.fromkeys(POINTS, MET), assessor=assessor, needs_countersignature=True
    )
    _refused(assessor, learner, element, "Not every marking point")
    countersign(decision, make.user(Role.ASSESSOR))
    signoff.sign_off_element(assessor, learner, element)
    assert _written()[0] == 1


def test_refused_on_a_superseded_decision(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    submission = make.submission(learner, claims=tuple(POINTS))
    supersede(decide(submission.id, dict.fromkeys(POINTS, MET), assessor=assessor))
    _refused(assessor, learner, element, "Not every marking point")


def test_refused_to_anyone_but_the_learners_assessor(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    _complete(learner, assessor, make)
    for other in (make.user(Role.ASSESSOR), make.user(Role.IQA), make.user(Role.ADMIN), learner):
        _refused(other, learner, element, "Only the learner's own assessor")


def test_refused_when_already_signed_off(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    _complete(learner, assessor, make)
    signoff.sign_off_element(assessor, learner, element)
    _refused(assessor, learner, element, "already signed off")
    assert _written()[0] == 1


def test_a_sign_off_that_loses_a_race_is_refused_and_the_winner_stands(
    assessor: User,
    learner: User,
    element: Element,
    make: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _complete(learner, assessor, make)
    real_grid = signoff.tracking_grid

    def other_request_wins(person: User) -> list[tracking.ElementGrid[Evidence]]:
        # Another request signs off after this one checked, before it writes.
        with db.engine.begin() as other:
            other.execute(
                insert(ElementSignOff.__table__).values(
                    learner_id=learner.id,
                    element_id="pts-a",
                    assessor_id=assessor.id,
                    rubric_version=element.version,
                    signed_at=utcnow(),
                    snapshot={"points": {}, "from": "the other request"},
                )
            )
        return real_grid(person)

    monkeypatch.setattr(signoff, "tracking_grid", other_request_wins)
    audited = _written()[1]
    with pytest.raises(signoff.SignOffRefused, match="already signed off"):
        signoff.sign_off_element(assessor, learner, element)
    db.session.rollback()
    stored = db.session.scalars(select(ElementSignOff)).one()
    assert stored.snapshot["from"] == "the other request"
    assert _written()[1] == audited  # no entry for the sign-off that did not happen


def test_may_sign_off_offers_the_button_only_when_it_would_work(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    def offered(viewer: User) -> bool:
        db.session.expire_all()
        grid = next(g for g in tracking.tracking_grid(learner) if g.element.id == "pts-a")
        return signoff.may_sign_off(viewer, learner, grid)

    assert not offered(assessor)
    _complete(learner, assessor, make)
    assert offered(assessor)
    assert not offered(make.user(Role.IQA)) and not offered(learner)
    signoff.sign_off_element(assessor, learner, element)
    assert not offered(assessor)


def test_a_trainee_assessor_cannot_sign_off(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    from portfolio.assessment.models import AssessorStatus, SamplingPlan

    first, second, _ = _complete(learner, assessor, make)
    countersign(first, assessor)
    countersign(second, assessor)
    db.session.add(
        SamplingPlan(assessor_id=assessor.id, status=AssessorStatus.TRAINEE, percentage=100)
    )
    db.session.commit()
    _refused(assessor, learner, element, "A trainee assessor cannot sign off")
    grid = next(g for g in tracking.tracking_grid(learner) if g.element.id == "pts-a")
    assert not signoff.may_sign_off(assessor, learner, grid)


def test_reopening_a_decision_behind_a_sign_off_withdraws_it(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    from portfolio.assessment import services
    from portfolio.assessment.models import Decision

    first, _second, _ = _complete(learner, assessor, make)
    sign_off = signoff.sign_off_element(assessor, learner, element)
    iqa = make.user(Role.IQA)
    decision = db.session.get(Decision, first)
    assert decision is not None
    services.reopen_decision(decision, iqa)
    db.session.commit()
    assert db.session.get(ElementSignOff, sign_off.id) is None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "element.sign_off_withdrawn")
    ).one()
    assert entry.actor_id == iqa.id and entry.learner_id == learner.id
    assert entry.before is not None and entry.before["element"] == "pts-a"
    assert entry.after == {"reason": f"decision {first} was reopened"}
    assert verify_chain().intact


def test_reopening_an_unrelated_decision_leaves_the_sign_off(
    assessor: User, learner: User, element: Element, make: Factory
) -> None:
    from portfolio.assessment import services
    from portfolio.assessment.models import Decision

    _complete(learner, assessor, make)
    sign_off = signoff.sign_off_element(assessor, learner, element)
    other = make.submission(learner, element_id="pts-b", title="Three", claims=("pts-b.1",))
    decided = decide(other.id, {"pts-b.1": MET}, assessor=assessor)
    decision = db.session.get(Decision, decided)
    assert decision is not None
    services.reopen_decision(decision)
    db.session.commit()
    assert db.session.get(ElementSignOff, sign_off.id) is not None
