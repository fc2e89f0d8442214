"""The audit trail: entries chain by hash, the app cannot change them, and a row changed
directly in the database is found and named."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from portfolio.core import audit
from portfolio.core.audit import GENESIS, AuditEntry, AuditTampering, verify_chain
from portfolio.extensions import db


def _three() -> list[AuditEntry]:
    entries = [
        audit.record("submission.created", "submission", 1, actor_id=None, after={"n": 1}),
        audit.record(
            "decision.recorded",
            "decision",
            7,
            actor_id=None,
            learner_id=None,
            before={"status": "submitted"},
            after={"status": "referred", "feedback": "Say which right applied."},
        ),
        audit.record("element.signed_off", "element", "pts-a", actor_id=None),
    ]
    db.session.commit()
    return entries


def test_entries_chain_from_the_genesis_and_verify(ctx: None) -> None:
    first, second, third = _three()
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    report = verify_chain()
    assert report.intact and report.entries == 3


def test_an_empty_trail_is_intact(ctx: None) -> None:
    assert verify_chain().intact and verify_chain().entries == 0


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ('UPDATE audit_entry SET after = \'{"status": "accepted"}\' WHERE id = :id', "content"),
        ("UPDATE audit_entry SET action = 'decision.deleted' WHERE id = :id", "content"),
        ("UPDATE audit_entry SET actor_id = NULL, learner_id = NULL WHERE id = :id", None),
        ("DELETE FROM audit_entry WHERE id = :id", "link"),
    ],
)
def test_a_row_changed_in_the_database_is_named(ctx: None, sql: str, reason: str | None) -> None:
    entries = _three()
    middle = entries[1].id
    db.session.execute(text(sql), {"id": middle})
    db.session.commit()
    db.session.expire_all()
    report = verify_chain()
    if reason is None:  # setting a value to what it already was changes nothing
        assert report.intact
        return
    assert not report.intact
    # A deleted row breaks the link of the one after it; an edited row breaks itself.
    assert report.broken_id == (entries[2].id if reason == "link" else middle)
    assert reason in report.reason


def test_the_app_cannot_change_or_delete_an_entry(ctx: None) -> None:
    entry = _three()[0]
    entry.action = "rewritten"
    with pytest.raises(AuditTampering):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditTampering):
        db.session.delete(db.session.get(AuditEntry, entry.id))
        db.session.flush()
    db.session.rollback()
    assert verify_chain().intact


def test_an_entry_rolls_back_with_its_transaction(ctx: None) -> None:
    _three()
    audit.record("decision.recorded", "decision", 8, actor_id=None)
    db.session.rollback()
    assert verify_chain().entries == 3


def test_values_are_stored_as_json_and_still_verify(ctx: None) -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    audit.record("sample.taken", "sample", 1, actor_id=None, after={"at": when, "ids": [1, 2]})
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(db.select(AuditEntry)).one()
    assert stored.after == {"at": "2026-11-30T09:15:00+00:00", "ids": [1, 2]}
    assert verify_chain().intact
