"""The audit trail: entries chain by hash, the app cannot change them, and a row changed
directly in the database is found and named."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from portfolio.core import audit
from portfolio.core.audit import (
    GENESIS,
    AuditCheckpoint,
    AuditEntry,
    AuditTampering,
    verify_chain,
)
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


def _many(n: int) -> list[AuditEntry]:
    made = [audit.record("quiz.taken", "attempt", i, actor_id=None) for i in range(n)]
    db.session.commit()
    return made


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_the_full_check_reads_in_batches_and_finds_a_break_across_them(
    ctx: None, batch: int
) -> None:
    entries = _many(7)
    assert verify_chain(batch=batch).intact and verify_chain(batch=batch).entries == 7
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[4].id})
    db.session.commit()
    report = verify_chain(batch=batch)
    assert report.broken_id == entries[5].id and "link" in report.reason
    assert report.last_id == entries[3].id and report.last_hash == entries[3].hash


def test_the_full_check_reads_a_bounded_number_of_rows_at_a_time(ctx: None) -> None:
    from tests.support.queries import statements

    _many(25)
    with statements() as seen:
        assert verify_chain(batch=10).entries == 25
    reads = [s for s in seen if "FROM audit_entry" in s]
    # Keyset batches (id > the last one read), never OFFSET: batch 100 costs what batch 1 does.
    assert len(reads) == 3 and all("audit_entry.id >" in s for s in reads)


def test_the_full_check_is_recorded_as_the_checkpoint(ctx: None) -> None:
    entries = _many(3)
    assert audit.verify_and_record("portfolio audit verify").intact
    kept = db.session.get(AuditCheckpoint, 1)
    assert kept is not None
    assert (kept.entry_id, kept.entry_hash, kept.entries) == (entries[2].id, entries[2].hash, 3)
    assert kept.full_by == "portfolio audit verify" and kept.full_entries == 3
    assert kept.full_at is not None and kept.broken_id is None
    db.session.execute(
        text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": entries[1].id}
    )
    db.session.commit()
    report = audit.verify_and_record("portfolio audit verify")
    db.session.expire_all()
    kept = db.session.get(AuditCheckpoint, 1)
    assert kept is not None and not report.intact
    assert kept.broken_id == entries[1].id and "content" in kept.broken_reason
    assert kept.broken_by == "portfolio audit verify"
    # A page view checks nothing more while the chain is broken.
    status = audit.check_newest(100, "the audit page")
    assert not status.intact and status.broken_id == entries[1].id
    db.session.execute(
        text("UPDATE audit_entry SET action = 'quiz.taken' WHERE id = :id"), {"id": entries[1].id}
    )
    db.session.commit()
    assert audit.verify_and_record("portfolio audit verify").intact
    assert audit.check_newest(100, "the audit page").intact


def test_a_view_checks_only_what_is_new_and_never_more_than_its_limit(ctx: None) -> None:
    entries = _many(5)
    first = audit.check_newest(3, "the audit page")
    assert (first.checked_to, first.checked, first.unchecked) == (entries[2].id, 3, 2)
    assert first.newly_checked == 3 and first.full_at is None
    second = audit.check_newest(3, "the audit page")
    assert (second.checked_to, second.checked, second.unchecked) == (entries[4].id, 5, 0)
    # A change to an already-checked entry is not seen by a view (it says so), only by the
    # full check.
    db.session.execute(
        text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": entries[0].id}
    )
    db.session.commit()
    assert audit.check_newest(3, "the audit page").intact
    assert not verify_chain().intact
    # A new entry that does not link to the checked one is found by the view.
    more = _many(2)
    db.session.execute(
        text("UPDATE audit_entry SET subject_id = '99' WHERE id = :id"), {"id": more[1].id}
    )
    db.session.commit()
    found = audit.check_newest(3, "the audit page")
    assert found.broken_id == more[1].id and found.checked_to == more[0].id


def test_a_view_runs_the_same_statements_for_few_or_many_new_entries(ctx: None) -> None:
    from tests.support.queries import statements

    counts = []
    _many(1)
    audit.check_newest(50, "the audit page")  # the checkpoint row exists from here on
    for n in (3, 40):
        _many(n)
        with statements() as seen:
            audit.check_newest(50, "the audit page")
        counts.append(len(seen))
        with statements() as seen:
            audit.check_newest(50, "the audit page")
        counts.append(len(seen))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts


def test_a_view_whose_checkpoint_cannot_be_saved_still_reports_what_it_checked(
    ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    def busy(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE audit_checkpoint", {}, Exception("database is locked"))

    entries = _many(4)
    monkeypatch.setattr(audit, "_record", busy)
    status = audit.check_newest(10, "the audit page")
    assert status.intact and (status.checked_to, status.checked) == (entries[3].id, 4)
    assert status.newly_checked == 4
    assert db.session.get(AuditCheckpoint, 1) is None  # nothing kept
    db.session.execute(
        text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": entries[2].id}
    )
    db.session.commit()
    broken = audit.check_newest(10, "the audit page")
    assert broken.broken_id == entries[2].id and broken.broken_at is not None
    assert broken.checked_to == entries[1].id
