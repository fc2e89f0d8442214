"""The learner's overview: evidence by status, marking-point coverage per element, next steps."""

from __future__ import annotations

import pytest

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role, User
from portfolio.dashboard import services
from portfolio.evidence.models import EvidenceStatus
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.quizzes import services as quizzes
from tests.factories import Factory


@pytest.fixture
def learner(ctx: None, make: Factory) -> User:
    return make.learner(assessor=make.user(Role.ASSESSOR), name="Lily Learner")


def _decide(learner: User, make: Factory, title: str, point: str, outcome: Outcome) -> None:
    submission = make.submission(learner, title=title, claims=(point,))
    assert learner.assessor is not None
    status = PointStatus.MET if outcome is Outcome.ACCEPTED else PointStatus.NOT_YET_MET
    assessment.record_decision(
        learner.assessor,
        submission,
        {point: assessment.PointMark(status, "")},
        outcome,
        "" if outcome is Outcome.ACCEPTED else "Show the RA form.",
    )


def _every_kind(learner: User, make: Factory) -> None:
    _decide(learner, make, "Accepted one", "pts-a.1", Outcome.ACCEPTED)
    _decide(learner, make, "Referred one", "pts-a.2", Outcome.REFERRED)
    make.submission(learner, title="Waiting one", claims=("pts-a.3",))
    make.evidence(learner, title="Draft one")


def test_a_new_learner_is_told_to_start_and_sees_every_point_missing(learner: User) -> None:
    overview = services.learner_overview(learner)
    assert [(g.status, g.items) for g in overview.groups] == [(s, ()) for s in EvidenceStatus]
    elements = qualifications.list_elements()
    assert [c.element.id for c in overview.coverage] == [e.id for e in elements]
    for c in overview.coverage:
        assert c.met == () and c.claimed == ()
        assert c.missing == tuple(qualifications.live_marking_points(c.element.id))
    assert len(overview.next_steps) == len(elements)
    first = overview.next_steps[0]
    assert first.endpoint == "evidence.index" and first.args == {"_anchor": "start"}
    assert "not yet evidenced" in first.text and "pts-a.1" in first.text


def test_evidence_is_grouped_by_status(learner: User, make: Factory) -> None:
    _every_kind(learner, make)
    groups = {
        g.status: [i.title for i in g.items] for g in services.learner_overview(learner).groups
    }
    assert groups == {
        EvidenceStatus.DRAFT: ["Draft one"],
        EvidenceStatus.SUBMITTED: ["Waiting one"],
        EvidenceStatus.REFERRED: ["Referred one"],
        EvidenceStatus.ACCEPTED: ["Accepted one"],
    }


def test_coverage_counts_met_claimed_and_missing_as_the_grid_does(
    learner: User, make: Factory
) -> None:
    _every_kind(learner, make)
    pts_a = next(c for c in services.learner_overview(learner).coverage if c.element.id == "pts-a")
    assert [p.id for p in pts_a.met] == ["pts-a.1"]  # accepted
    assert [p.id for p in pts_a.claimed] == ["pts-a.3"]  # awaiting a decision
    # Referred as not yet met, or never claimed: still to evidence. A draft's claims do not count.
    missing = [p.id for p in pts_a.missing]
    assert "pts-a.2" in missing and "pts-a.4" in missing
    assert pts_a.total == len(qualifications.live_marking_points("pts-a"))
    grid = next(g for g in assessment.tracking_grid(learner) if g.element.id == "pts-a")
    assert len(pts_a.met) == grid.met_count


def test_next_steps_put_the_referral_first_then_drafts_reviews_and_gaps(
    learner: User, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _every_kind(learner, make)
    monkeypatch.setattr(quizzes, "count_due_reviews", lambda user: 2)
    steps = services.learner_overview(learner).next_steps
    assert steps[0].text.startswith("Act on your assessor's feedback on “Referred one”")
    assert steps[0].endpoint == "assessment.record"
    assert steps[1].text == "Finish your draft “Draft one” and submit it."
    assert steps[1].endpoint == "evidence.edit"
    assert steps[2].text.startswith("Answer your review questions: 2 misconceptions")
    assert steps[2].endpoint == "quizzes.misconceptions"
    assert all(s.endpoint == "evidence.index" for s in steps[3:])
    assert not any("pts-a.1" in s.text or "pts-a.3" in s.text for s in steps[3:])


def test_with_everything_submitted_the_learner_is_told_to_wait(
    learner: User, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    make.submission(learner, title="Waiting one")
    # Pretend every point is covered, so only the waiting item is left to mention.
    monkeypatch.setattr(
        assessment,
        "coverage_by_element",
        lambda who, evidence=None: [
            assessment.ElementCoverage(e, (), (), ()) for e in qualifications.list_elements()
        ],
    )
    (step,) = services.learner_overview(db.session.merge(learner)).next_steps
    assert step.text.startswith("Nothing to do for now: 1 item with your assessor.")
