"""The proposed sample, as a pure function: shares by plan, spread, interim and final, trainees,
no own assessments, reasons, and the same answer every time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from portfolio.assessment.models import AssessorStatus, Outcome
from portfolio.iqa.sampling import Candidate, Plan, Stage, propose, share_size, spread

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IQA = 99
ALAN, BETH = 1, 2

ACCEPTED, REFERRED = Outcome.ACCEPTED, Outcome.REFERRED


def decision(
    n: int,
    *,
    assessor: int = ALAN,
    learner: str = "Lily",
    type_id: str = "reflective-account",
    element: str = "pts-a",
    outcome: Outcome = ACCEPTED,
) -> Candidate:
    titles = {
        "reflective-account": "Reflective account",
        "feedback-review": "Feedback review",
        "return-authorisation": "Return authorisation form",
    }
    names = {ALAN: "Alan Assessor", BETH: "Beth Assessor", IQA: "Ian Quality"}
    return Candidate(
        decision_id=n,
        decided_at=START + timedelta(hours=n),
        assessor_id=assessor,
        assessor_name=names[assessor],
        learner_id=sum(map(ord, learner)),
        learner_name=f"{learner} Learner",
        evidence_title=f"Evidence {n}",
        type_id=type_id,
        type_title=titles[type_id],
        element_id=element,
        element_title={"pts-a": "Returns", "pts-b": "Follow-up"}[element],
        outcome=outcome,
    )


def ids(candidates: list[Candidate], plans: dict[int, Plan] | None = None) -> list[int]:
    return [p.candidate.decision_id for p in propose(candidates, plans or {}, IQA).items]


def test_share_is_the_percentage_rounded_up_and_at_least_one_per_stage() -> None:
    qualified = Plan.default()
    assert qualified.percentage == 10
    assert share_size(qualified, 10, 1) == 1
    assert share_size(qualified, 11, 1) == 2  # 1.1 rounds up
    assert share_size(qualified, 10, 2) == 2  # one interim and one final
    assert share_size(qualified, 1, 1) == 1
    assert share_size(Plan(AssessorStatus.QUALIFIED, 0), 10, 2) == 0
    assert share_size(Plan.default(AssessorStatus.NEW), 7, 1) == 4  # 50% of 7 is 3.5
    assert share_size(Plan.default(AssessorStatus.TRAINEE), 7, 2) == 7
    assert share_size(Plan(AssessorStatus.QUALIFIED, 100), 3, 2) == 3


def test_each_assessor_gets_their_own_percentage() -> None:
    alans = [decision(n, learner=f"L{n}") for n in range(1, 21)]  # 20 decisions, all final
    beths = [decision(100 + n, assessor=BETH, learner=f"M{n}") for n in range(1, 5)]
    plans = {BETH: Plan.default(AssessorStatus.NEW)}
    proposal = propose(alans + beths, plans, IQA)
    shares = {s.assessor_name: (s.decisions, s.proposed) for s in proposal.shares}
    assert shares == {"Alan Assessor": (20, 2), "Beth Assessor": (4, 2)}
    assert [s.assessor_name for s in proposal.shares] == ["Alan Assessor", "Beth Assessor"]


def test_picks_spread_across_learners_types_elements_and_stages() -> None:
    pool = [
        # The oldest three are all Lily's reflective accounts in pts-a, accepted.
        decision(1),
        decision(2),
        decision(3),
        decision(4, learner="Leo"),
        decision(5, type_id="feedback-review", element="pts-b", learner="Leo"),
        decision(6, outcome=REFERRED),
    ]
    chosen = ids(pool, {ALAN: Plan(AssessorStatus.QUALIFIED, 50)})
    # 50% of 6 is 3: the first pick covers Lily, reflective, pts-a, final; the next best adds
    # Leo, feedback review and pts-b; then the referral adds the interim stage.
    assert chosen == [1, 5, 6]


def test_at_least_one_interim_and_one_final_when_both_exist() -> None:
    # Ten accepted decisions that each bring something new, one referral that brings nothing
    # but its stage: a 10% share of 11 is 2, and the second must be the referral.
    pool = [
        decision(n, learner=f"L{n}", element="pts-b" if n % 2 else "pts-a") for n in range(1, 11)
    ]
    pool.append(decision(11, learner="L1", outcome=REFERRED))
    proposal = propose(pool, {}, IQA)
    stages = {p.candidate.stage for p in proposal.items}
    assert stages == {Stage.INTERIM, Stage.FINAL}
    assert len(proposal.items) == 2
    # Only finals: no referral to force in.
    finals = propose(pool[:10], {}, IQA)
    assert {p.candidate.stage for p in finals.items} == {Stage.FINAL}
    assert len(finals.items) == 1


def test_every_decision_of_a_trainee_is_proposed_with_the_reason() -> None:
    pool = [decision(n, assessor=BETH, learner="Lily") for n in range(1, 6)]
    proposal = propose(pool, {BETH: Plan.default(AssessorStatus.TRAINEE)}, IQA)
    assert [p.candidate.decision_id for p in proposal.items] == [1, 2, 3, 4, 5]
    reasons = [p.reason for p in proposal.items]
    assert reasons[0].endswith("; assessor is a trainee: all decisions sampled")
    # The later ones add no new learner, type, element or stage: the status is the reason.
    assert reasons[1:] == ["Assessor is a trainee: all decisions sampled"] * 4


def test_a_trainee_at_a_lower_percentage_is_still_sampled_in_full() -> None:
    pool = [decision(n) for n in range(1, 5)]
    assert ids(pool, {ALAN: Plan(AssessorStatus.TRAINEE, 10)}) == [1, 2, 3, 4]


def test_the_iqas_own_decisions_are_never_proposed() -> None:
    own = [decision(n, assessor=IQA) for n in range(1, 4)]
    others = [decision(10), decision(11, outcome=REFERRED)]
    proposal = propose(own + others, {IQA: Plan.default(AssessorStatus.TRAINEE)}, IQA)
    assert proposal.decision_ids == {10, 11}
    assert proposal.own_left_out == 3
    assert [s.assessor_id for s in proposal.shares] == [ALAN]


def test_reasons_say_what_each_pick_adds() -> None:
    pool = [
        decision(1, learner="Lily", outcome=REFERRED),
        decision(2, learner="Lily", type_id="feedback-review"),
        decision(3, learner="Lily"),
    ]
    proposal = propose(pool, {ALAN: Plan(AssessorStatus.QUALIFIED, 100)}, IQA)
    reasons = {p.candidate.decision_id: p.reason for p in proposal.items}
    assert reasons[1] == (
        "First decision sampled for Lily Learner; first reflective account sampled; "
        "first decision sampled in Returns; a referral (interim) decision"
    )
    assert reasons[2] == "The only feedback review; an acceptance (final) decision"
    assert reasons[3] == "Makes up Alan Assessor's 100% sample (oldest first)"


def test_trainee_reason_follows_the_coverage() -> None:
    pool = [decision(1, assessor=BETH, type_id="feedback-review", outcome=REFERRED)]
    (only,) = propose(pool, {BETH: Plan.default(AssessorStatus.TRAINEE)}, IQA).items
    assert only.reason == (
        "First decision sampled for Lily Learner; the only feedback review; the only decision "
        "in Returns; a referral (interim) decision; assessor is a trainee: all decisions sampled"
    )


def test_ties_go_to_the_oldest_and_the_answer_never_changes() -> None:
    pool = [decision(n) for n in range(1, 11)]  # all alike: nothing to choose between
    assert ids(pool) == [1]
    varied = [
        decision(
            n,
            learner=f"L{n % 4}",
            type_id=("reflective-account", "feedback-review", "return-authorisation")[n % 3],
            element="pts-a" if n % 2 else "pts-b",
            outcome=REFERRED if n % 5 == 0 else ACCEPTED,
        )
        for n in range(1, 31)
    ]
    plans = {ALAN: Plan(AssessorStatus.NEW, 50)}
    expected = propose(varied, plans, IQA)
    for seed in range(5):
        shuffled = varied[:]
        random.Random(seed).shuffle(shuffled)
        assert propose(shuffled, plans, IQA) == expected
    assert len(expected.items) == 15


def test_proposed_items_are_listed_by_assessor_then_oldest_first() -> None:
    pool = [
        decision(3, assessor=BETH, learner="B1"),
        decision(1, assessor=BETH, learner="B2", outcome=REFERRED),
        decision(2, learner="A1"),
    ]
    plans = {ALAN: Plan(AssessorStatus.QUALIFIED, 100), BETH: Plan(AssessorStatus.QUALIFIED, 100)}
    proposal = propose(pool, plans, IQA)
    assert [(p.candidate.assessor_id, p.candidate.decision_id) for p in proposal.items] == [
        (ALAN, 2),
        (BETH, 1),
        (BETH, 3),
    ]
    assert proposal.reason_for(3) is not None and proposal.reason_for(42) is None


def test_nothing_to_propose() -> None:
    proposal = propose([], {}, IQA)
    assert proposal.items == () and proposal.shares == () and proposal.own_left_out == 0


def _greedy_by_hand(pool: list[Candidate], plan: Plan) -> list[int]:
    """The spread written the slow, obvious way (rescore everything for every pick): what the
    bucketed spread must always agree with."""
    pool = sorted(pool, key=lambda c: (c.decided_at, c.decision_id))
    stages = {c.stage for c in pool}
    size = share_size(plan, len(pool), len(stages))
    covered: set[tuple[str, object]] = set()
    remaining, chosen = list(pool), []
    while len(chosen) < size:
        missing = stages - {s for kind, s in covered if kind == "stage"}
        options = (
            [c for c in remaining if c.stage in missing]
            if size - len(chosen) <= len(missing)
            else remaining
        )

        def dims(c: Candidate) -> set[tuple[str, object]]:
            return {
                ("learner", c.learner_id),
                ("type", c.type_id),
                ("element", c.element_id),
                ("stage", c.stage),
            }

        best = max(options, key=lambda c: (len(dims(c) - covered), -options.index(c)))
        covered |= dims(best)
        remaining.remove(best)
        chosen.append(best.decision_id)
    return chosen


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_spread_picks_exactly_what_the_obvious_greedy_does(seed: int) -> None:
    rng = random.Random(seed)
    types = ("reflective-account", "feedback-review", "return-authorisation")
    pool = [
        decision(
            n,
            learner=f"L{rng.randrange(1 + seed * 3)}",
            type_id=rng.choice(types[: 1 + seed % 3]),
            element=rng.choice(("pts-a", "pts-b")),
            outcome=REFERRED if rng.random() < 0.3 else ACCEPTED,
        )
        for n in range(1, rng.randrange(2, 120))
    ]
    for plan in (
        Plan.default(),
        Plan.default(AssessorStatus.NEW),
        Plan.default(AssessorStatus.TRAINEE),
        Plan(AssessorStatus.QUALIFIED, rng.randrange(1, 100)),
    ):
        picked = [p.row.decision_id for p in spread(pool, plan)]
        assert picked == _greedy_by_hand(pool, plan)
