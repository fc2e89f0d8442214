"""Drafts, claims, the declaration, frozen submissions and resubmission after a referral."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, insert, select, update

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry, verify_chain
from portfolio.db import utcnow
from portfolio.evidence import services as evidence
from portfolio.evidence.attachments import add_attachment
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from portfolio.qualifications.models import MarkingPoint
from tests.factories import ACCOUNT, Factory


@pytest.fixture
def learner(ctx: None, make: Factory) -> User:
    return make.learner(assessor=make.user(Role.ASSESSOR), name="Lily Learner")


def _fresh(item: Evidence) -> Evidence:
    db.session.expire_all()
    found = db.session.get(Evidence, item.id)
    assert found is not None
    return found


def _submissions() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


def _save(item: Evidence, **changes: object) -> Evidence:
    fields: dict[str, object] = {
        "title": item.title,
        "sections": ACCOUNT,
        "claims": ["pts-a.1", "pts-a.4"],
        "expected_version": item.version,
        **changes,
    }
    return evidence.save_draft(item, **fields)  # type: ignore[arg-type]


def test_a_draft_is_saved_and_comes_back(learner: User) -> None:
    item = evidence.start_evidence(learner, "reflective-account", "pts-a", "  Kettle  ")
    assert item.title == "Kettle"
    assert item.draft == {"situation": "", "action": "", "outcome": "", "reflection": ""}
    version = item.version
    _save(item, title="Kettle refund")
    item = _fresh(item)
    assert item.title == "Kettle refund"
    assert item.draft == ACCOUNT
    assert item.draft_claims == ["pts-a.1", "pts-a.4"]
    assert item.version > version
    assert item.status is EvidenceStatus.DRAFT
    assert evidence.get_own(learner, item.id) is item


def test_a_blank_title_keeps_the_old_one_and_unknown_sections_are_dropped(learner: User) -> None:
    item = evidence.start_evidence(learner, "reflective-account", "pts-a", "Kettle")
    _save(item, title="   ", sections={**ACCOUNT, "injected": "not a section"})
    item = _fresh(item)
    assert item.title == "Kettle"
    assert set(item.draft) == {"situation", "action", "outcome", "reflection"}


def test_claims_outside_the_element_are_dropped(learner: User) -> None:
    retired = db.session.get(MarkingPoint, "pts-a.5")
    assert retired is not None
    retired.retired = True
    db.session.commit()
    item = evidence.start_evidence(learner, "reflective-account", "pts-a", "Kettle")
    _save(item, claims=["pts-a.4", "pts-b.1", "made-up", "pts-a.1", "pts-a.4", "pts-a.5"])
    assert _fresh(item).draft_claims == ["pts-a.1", "pts-a.4"]


def test_a_stale_draft_save_is_refused_and_the_first_save_kept(learner: User) -> None:
    item = evidence.start_evidence(learner, "reflective-account", "pts-a", "Kettle")
    opened = item.version
    _save(item, sections={**ACCOUNT, "outcome": "From the first tab."}, expected_version=opened)
    with pytest.raises(evidence.StaleDraft) as caught:
        _save(
            item, sections={**ACCOUNT, "outcome": "From the second tab."}, expected_version=opened
        )
    assert caught.value.current.draft["outcome"] == "From the first tab."
    assert _fresh(item).draft["outcome"] == "From the first tab."


def test_submission_problems_name_each_field(learner: User) -> None:
    item = evidence.start_evidence(learner, "reflective-account", "pts-a", "Kettle")
    assert {p.field for p in evidence.submission_problems(item)} == {
        "situation",
        "action",
        "outcome",
        "reflection",
        "claims",
    }
    _save(item, sections={**ACCOUNT, "action": "I refunded it."}, claims=[])
    problems = evidence.submission_problems(_fresh(item))
    assert [(p.field, p.message) for p in problems] == [
        ("action", "Action needs at least 40 words; it has 3."),
        ("claims", "Claim at least one marking point this evidence covers."),
    ]
    _save(_fresh(item), sections={**ACCOUNT, "situation": "word " * 401})
    problems = evidence.submission_problems(_fresh(item))
    assert [(p.field, p.message) for p in problems] == [
        ("situation", "Situation may have at most 400 words; it has 401."),
    ]
    _save(_fresh(item))
    assert evidence.submission_problems(_fresh(item)) == []


def test_a_draft_with_problems_is_not_submitted(learner: User) -> None:
    item = evidence.start_evidence(learner, "reflective-account", "pts-a", "Kettle")
    _save(item, claims=[])
    with pytest.raises(evidence.SubmitRefused) as caught:
        evidence.submit_evidence(_fresh(item), learner, "Lily Learner")
    assert [p.field for p in caught.value.problems] == ["claims"]
    db.session.rollback()
    assert _fresh(item).status is EvidenceStatus.DRAFT and _submissions() == 0


def test_the_declaration_must_match_the_learners_name(learner: User, make: Factory) -> None:
    item = make.evidence(learner)
    for typed in ("Someone Else", "Lily", "Lily Learner Jr", ""):
        with pytest.raises(evidence.SubmitRefused) as caught:
            evidence.submit_evidence(item, learner, typed)
        assert [p.field for p in caught.value.problems] == ["declared_name"], typed
        assert "Lily Learner" in caught.value.problems[0].message
        db.session.rollback()
        item = _fresh(item)
        assert item.status is EvidenceStatus.DRAFT and _submissions() == 0
    # Case and spacing do not matter; the account's spelling is what is stored.
    submission = evidence.submit_evidence(item, learner, "  lily   LEARNER ")
    assert submission.declared_name == "Lily Learner"


def test_submit_freezes_the_content_with_its_sha256(learner: User, make: Factory) -> None:
    item = make.evidence(learner, title="Kettle refund", claims=("pts-a.4", "pts-a.1"))
    submission = evidence.submit_evidence(item, learner, "Lily Learner")
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert submission is not None
    assert submission.number == 1
    assert submission.title == "Kettle refund"
    assert submission.content == ACCOUNT
    assert [p.id for p in submission.claims] == ["pts-a.1", "pts-a.4"]
    assert submission.evidence.status is EvidenceStatus.SUBMITTED
    assert submission.rubric_version == submission.evidence.element.version
    assert submission.type_version == 1

    claims = [p.id for p in submission.claims]
    assert submission.content_hash == evidence.content_hash(
        submission.title, submission.content, claims
    )
    canonical = json.dumps(
        {"title": "Kettle refund", "content": ACCOUNT, "claims": ["pts-a.1", "pts-a.4"]},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert submission.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    # Any change to what was signed changes the fingerprint.
    changed = {**ACCOUNT, "outcome": ACCOUNT["outcome"] + "!"}
    assert evidence.content_hash(submission.title, changed, claims) != submission.content_hash
    assert evidence.content_hash(submission.title, ACCOUNT, ["pts-a.1"]) != (
        submission.content_hash
    )


def test_submitted_evidence_cannot_be_changed(learner: User, make: Factory) -> None:
    item = make.evidence(learner)
    submission = evidence.submit_evidence(item, learner, "Lily Learner")
    content_hash = submission.content_hash
    item = _fresh(item)
    with pytest.raises(evidence.NotEditable):
        _save(item, sections={**ACCOUNT, "action": "Rewritten."})
    with pytest.raises(evidence.NotEditable):
        evidence.submit_evidence(item, learner, "Lily Learner")
    db.session.rollback()
    item = _fresh(item)
    assert item.draft == ACCOUNT
    assert item.status is EvidenceStatus.SUBMITTED
    assert [s.number for s in item.submissions] == [1]
    assert item.submissions[0].content_hash == content_hash


def test_a_submit_that_loses_a_race_is_refused_and_the_winner_stands(
    learner: User, make: Factory
) -> None:
    item = make.evidence(learner)
    assert item.submissions == []
    # Another tab submits between this request's read and its write.
    table, submissions = Evidence.__table__, Submission.__table__
    with db.engine.begin() as other:
        other.execute(
            insert(submissions).values(
                evidence_id=item.id,
                number=1,
                title="From the other tab",
                content=ACCOUNT,
                type_version=1,
                rubric_version=1,
                submitted_at=utcnow(),
                declared_name="Lily Learner",
                content_hash="0" * 64,
            )
        )
        other.execute(
            update(table)
            .where(table.c.id == item.id)
            .values(status="submitted", version=table.c.version + 1)
        )
    with pytest.raises(evidence.NotEditable):
        evidence.submit_evidence(item, learner, "Lily Learner")
    db.session.rollback()
    item = _fresh(item)
    assert [s.title for s in item.submissions] == ["From the other tab"]
    assert item.status is EvidenceStatus.SUBMITTED


def test_referred_evidence_is_editable_and_resubmitted_as_attempt_two(
    learner: User, make: Factory
) -> None:
    first = make.submission(learner)
    first_hash = first.content_hash
    assessor = learner.assessor
    assert assessor is not None
    assessment.record_decision(
        assessor,
        first,
        {
            "pts-a.1": assessment.PointMark(PointStatus.MET, ""),
            "pts-a.4": assessment.PointMark(PointStatus.NOT_YET_MET, "Show the RA form."),
        },
        Outcome.REFERRED,
        "Add the RA form.",
    )
    item = _fresh(first.evidence)
    assert item.status is EvidenceStatus.REFERRED and item.status.editable

    _save(item, sections={**ACCOUNT, "outcome": ACCOUNT["outcome"] + " The RA form was signed."})
    second = evidence.submit_evidence(_fresh(item), learner, "Lily Learner")
    assert second.number == 2

    item = _fresh(item)
    assert item.status is EvidenceStatus.SUBMITTED
    assert [s.number for s in item.submissions] == [1, 2]
    one, two = item.submissions
    assert one.content == ACCOUNT and one.content_hash == first_hash
    assert two.content["outcome"].endswith("The RA form was signed.")
    assert two.content_hash != first_hash
    assert assessment.decision_for(one) is not None  # attempt 1 keeps its decision
    assert assessment.decision_for(two) is None


def test_accepted_evidence_stays_locked(learner: User, make: Factory) -> None:
    submission = make.submission(learner)
    assert learner.assessor is not None
    assessment.record_decision(
        learner.assessor,
        submission,
        {p.id: assessment.PointMark(PointStatus.MET, "") for p in submission.claims},
        Outcome.ACCEPTED,
        "",
    )
    item = _fresh(submission.evidence)
    assert item.status is EvidenceStatus.ACCEPTED
    with pytest.raises(evidence.NotEditable):
        _save(item)


def test_a_submission_is_written_to_the_audit_trail(learner: User, make: Factory) -> None:
    item = make.evidence(learner, title="Kettle refund", claims=("pts-a.4", "pts-a.1"))
    add_attachment(item, learner, "call-log.txt", b"Call log: refund agreed.\n", "")
    submission = evidence.submit_evidence(item, learner, "Lily Learner")
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "submission.created")
    )
    assert (entry.actor_id, entry.learner_id) == (learner.id, learner.id)
    assert (entry.subject_type, entry.subject_id) == ("submission", str(submission.id))
    assert entry.before == {"evidence_status": "draft"}
    assert entry.after == {
        "evidence": item.id,
        "number": 1,
        "content_hash": submission.content_hash,
        "claims": ["pts-a.1", "pts-a.4"],
        "attachments": [
            {
                "filename": "call-log.txt",
                "sha256": hashlib.sha256(b"Call log: refund agreed.\n").hexdigest(),
            }
        ],
    }
    assert verify_chain().intact


def test_a_refused_submission_writes_no_audit_entry(learner: User, make: Factory) -> None:
    item = make.evidence(learner)
    with pytest.raises(evidence.SubmitRefused):
        evidence.submit_evidence(item, learner, "Someone Else")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_the_learner_list_leaves_the_json_columns_unread_until_asked(
    learner: User, make: Factory
) -> None:
    make.submission(learner, title="Listed")
    db.session.expire_all()
    (item,) = evidence.list_for_learner(learner)
    state = db.inspect(item)
    assert {"draft", "draft_claims", "dismissals"} <= state.unloaded
    assert {"content", "checks"} <= db.inspect(item.submissions[0]).unloaded
    # Still there when a caller does read them.
    assert item.submissions[0].content
