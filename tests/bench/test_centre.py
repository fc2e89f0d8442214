"""The centre generator: what it promises to write, written as the services would have written
it, and a centre the app itself can serve."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench.centre import PASSWORD, SIZES, Stats, build_centre, scaled
from portfolio.assessment.marking import PointMark, marking_problem
from portfolio.assessment.models import Decision, ElementSignOff, PointDecision, SamplingPlan
from portfolio.assessment.tracking import tracking_grid
from portfolio.auth.models import Role, User, UserRole
from portfolio.core.audit import AuditEntry, verify_chain
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.evidence.services import content_hash
from portfolio.extensions import db
from portfolio.iqa.models import Sample, SampleItem
from portfolio.iqa.snapshot import freeze
from portfolio.qualifications.models import MarkingPoint
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception
from tests.conftest import login

TINY = SIZES["tiny"]


def _count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _role_count(role: Role) -> int:
    return _count_where(UserRole.role == role)


def _count_where(*where: object) -> int:
    return int(db.session.scalar(select(func.count()).select_from(UserRole).where(*where)) or 0)


@pytest.fixture
def built(ctx: None) -> Stats:
    return build_centre(TINY, seed=3)


def test_the_sizes_are_the_issues() -> None:
    large = SIZES["large"]
    assert (large.learners, large.group_size, large.assessors, large.iqas) == (2000, 200, 40, 4)
    assert (large.evidence_items, large.attempts, large.audit_entries) == (40_000, 60_000, 100_000)
    assert SIZES["small"].learners == 200
    assert scaled(TINY, 3).learners == 3 * TINY.learners


def test_tiny_writes_the_promised_counts(built: Stats) -> None:
    assert built.learners == _role_count(Role.LEARNER) == TINY.learners
    assert built.assessors == _role_count(Role.ASSESSOR) == TINY.assessors
    assert built.iqas == _role_count(Role.IQA) == TINY.iqas
    assert built.tutors == _role_count(Role.TUTOR) == TINY.tutors
    assert built.evidence_items == _count(Evidence) == TINY.evidence_items
    assert built.attempts == _count(Attempt) == TINY.attempts
    assert built.submissions == _count(Submission)
    assert built.decisions == _count(Decision)
    assert built.point_decisions == _count(PointDecision)
    assert built.answers == _count(Answer) > 0
    assert built.held_misconceptions == _count(HeldMisconception) > 0
    assert built.samples == _count(Sample) > 0
    assert built.sample_items == _count(SampleItem) > 0
    assert built.sign_offs == _count(ElementSignOff)
    assert built.sampling_plans == _count(SamplingPlan) == TINY.assessors
    assert built.audit_entries == _count(AuditEntry) >= TINY.audit_entries
    # Some of everything the pages show: referred and resubmitted work, work awaiting a
    # decision, trainees' decisions countersigned and awaiting, IQA verdicts.
    assert built.submissions > built.evidence_items - built.drafts
    assert built.countersigned > 0 and built.awaiting_countersignature > 0
    assert built.verdicts > 0
    assert {login.role for login in built.logins} == set(Role)


def test_the_audit_chain_verifies(built: Stats) -> None:
    report = verify_chain()
    assert report.intact, report
    assert report.entries == built.audit_entries


def test_each_declaration_hash_is_the_evidence_services(built: Stats) -> None:
    recorded = {
        int(e.subject_id): e.after
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "submission.created")
        )
    }
    submissions = db.session.scalars(select(Submission)).all()
    assert len(recorded) == len(submissions) == built.submissions
    for s in submissions:
        claims = [p.id for p in s.claims]
        assert s.content_hash == content_hash(s.title, s.content, claims)
        assert recorded[s.id]["content_hash"] == s.content_hash
        assert recorded[s.id]["claims"] == sorted(claims)
        assert s.declared_name == s.evidence.learner.name
        assert s.checks["personal_data"] == []


def test_decisions_mark_the_claims_and_only_live_points(built: Stats) -> None:
    live: dict[str, set[str]] = {}
    for point in db.session.scalars(select(MarkingPoint).where(MarkingPoint.retired.is_(False))):
        live.setdefault(point.element_id, set()).add(point.id)
    decisions = db.session.scalars(select(Decision)).all()
    assert decisions
    for d in decisions:
        claimed = {p.id for p in d.submission.claims}
        marked = {p.marking_point_id: p for p in d.points}
        assert claimed <= set(marked) <= live[d.submission.evidence.element_id]
        marks = {k: PointMark(p.status, p.comment) for k, p in marked.items()}
        problem = marking_problem(
            live[d.submission.evidence.element_id], claimed, marks, d.outcome, d.feedback
        )
        assert problem is None, (d.id, problem)
    standing = Counter(d.submission_id for d in decisions if d.superseded_at is None)
    assert set(standing.values()) == {1}


def test_each_items_status_follows_its_latest_submission(built: Stats) -> None:
    for item in db.session.scalars(select(Evidence)):
        if not item.submissions:
            assert item.status is EvidenceStatus.DRAFT
            continue
        latest = item.submissions[-1]
        standing = db.session.scalar(
            select(Decision).where(
                Decision.submission_id == latest.id, Decision.superseded_at.is_(None)
            )
        )
        if standing is None:
            assert item.status is EvidenceStatus.SUBMITTED
            assert item.awaiting_since is not None
            assert item.awaiting_since >= latest.submitted_at
        else:
            assert item.status.value == standing.outcome.value
            assert item.awaiting_since is None
        # Earlier attempts were referred: that is why there is a later one.
        for earlier in item.submissions[:-1]:
            outcomes = {
                d.outcome.value
                for d in db.session.scalars(
                    select(Decision).where(Decision.submission_id == earlier.id)
                )
            }
            assert outcomes == {"referred"}


def test_sign_offs_freeze_what_the_tracking_grid_shows(built: Stats) -> None:
    for sign_off in db.session.scalars(select(ElementSignOff)):
        learner = db.session.get(User, sign_off.learner_id)
        assert learner is not None
        grid = next(g for g in tracking_grid(learner) if g.element.id == sign_off.element_id)
        assert grid.complete
        assert sign_off.snapshot == {"points": grid.evidence_of_points()}
        assert sign_off.assessor_id == learner.assessor_id


def test_sampled_decisions_are_frozen_as_iqa_freezes_them(built: Stats) -> None:
    items = db.session.scalars(select(SampleItem)).all()
    for item in items:
        decision = item.decision
        frozen = freeze(decision, item.snapshot["evidence"]["type_title"])
        # A countersignature given after the sample was taken is not in its copy.
        frozen["decision"]["countersigned_at"] = item.snapshot["decision"]["countersigned_at"]
        assert item.snapshot == frozen
        assert item.sample.iqa_id != decision.assessor_id


def test_held_misconceptions_follow_the_answers(built: Stats) -> None:
    for held in db.session.scalars(select(HeldMisconception)):
        revealing = db.session.scalars(
            select(Answer)
            .join(Attempt)
            .where(Attempt.user_id == held.user_id)
            .order_by(Answer.answered_at, Answer.id)
        ).all()
        shown = [a for a in revealing if held.misconception_id in a.revealed]
        assert len(shown) == held.times_seen
        assert shown[0].answered_at == held.first_seen_at
        assert shown[-1].answered_at == held.last_seen_at
        assert shown[-1].question_id == held.last_question_id
        if held.cleared_at is not None:
            assert held.cleared_at > held.last_seen_at
        else:
            assert held.box == 1


def test_the_quiz_analytics_summaries_count_the_generated_history(built: Stats) -> None:
    """The generator writes the summaries the quiz services would have kept."""
    from tests.quizzes.test_tallies import counted, kept

    summaries = kept()
    assert summaries == counted()
    assert all(summaries.values())


def test_a_second_batch_adds_to_the_centre(built: Stats) -> None:
    more = build_centre(TINY, seed=4)
    assert _role_count(Role.LEARNER) == 2 * TINY.learners
    assert _count(Evidence) == 2 * TINY.evidence_items
    assert _count(AuditEntry) == built.audit_entries + more.audit_entries
    emails = db.session.scalars(select(User.email)).all()
    assert len(emails) == len(set(emails))
    assert verify_chain().intact
    from tests.quizzes.test_tallies import counted, kept

    assert kept() == counted()  # both batches' quiz history summarised


def test_the_same_seed_and_time_build_the_same_centre(ctx: None) -> None:
    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    first = build_centre(TINY, seed=5, now=now)
    second = build_centre(TINY, seed=5, now=now)  # added beside it: new ids and emails
    assert (first.submissions, first.decisions, first.answers, first.audit_entries) == (
        second.submissions,
        second.decisions,
        second.answers,
        second.audit_entries,
    )
    names = db.session.scalars(select(User.name).order_by(User.id)).all()
    assert names[-first.users :] == names[-2 * first.users : -first.users]
    hashes = db.session.scalars(select(Submission.content_hash).order_by(Submission.id)).all()
    assert sorted(hashes[: first.submissions]) == sorted(hashes[first.submissions :])


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.IQA, Role.ADMIN, Role.TUTOR])
def test_generated_users_sign_in_and_see_their_home_page(app: Flask, role: Role) -> None:
    with app.app_context():
        stats = build_centre(TINY, seed=6)
    person = next(login for login in stats.logins if login.role is role)
    client = app.test_client()
    signed_in = login(client, person.email, PASSWORD)
    assert signed_in.status_code == 302
    home = client.get("/")
    assert home.status_code == 200


def test_a_batch_can_join_the_staff_already_there(built: Stats) -> None:
    more = build_centre(scaled(TINY, 3), seed=7, join=True)
    assert (more.assessors, more.iqas, more.tutors, more.admins) == (0, 0, 0, 0)
    assert _role_count(Role.ASSESSOR) == TINY.assessors
    assert _role_count(Role.LEARNER) == 4 * TINY.learners
    assert _count(SamplingPlan) == TINY.assessors
    caseloads = Counter(
        db.session.scalars(select(User.assessor_id).where(User.assessor_id.is_not(None)))
    )
    assert sum(caseloads.values()) == 4 * TINY.learners
    assert len(caseloads) == TINY.assessors
    assert verify_chain().intact
