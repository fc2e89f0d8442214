"""Migration 0012 starts the turnaround clock of every item already waiting: from its latest
submission, or from the latest reopening of the decision on it; items not waiting have none."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from portfolio.extensions import db
from tests.conftest import make_app
from tests.test_migrations import _empty_database

_ROWS_AT_0011 = [
    "INSERT INTO qualification (id, version, title) VALUES ('qual', 1, 'Q')",
    "INSERT INTO unit (id, qualification_id, position, title) VALUES ('u1', 'qual', 0, 'U')",
    "INSERT INTO element (id, unit_id, position, title, synopsis, version)"
    " VALUES ('e1', 'u1', 0, 'E', 'S', 1)",
    "INSERT INTO user_account (id, email, name, password_hash, session_token, active,"
    " assessor_id, created_at) VALUES (1, 'a@example.org', 'A', 'x', 't1', true, NULL,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO user_account (id, email, name, password_hash, session_token, active,"
    " assessor_id, created_at) VALUES (2, 'l@example.org', 'L', 'x', 't2', true, 1,"
    " '2026-01-01 00:00:00')",
]
_EVIDENCE = (
    "INSERT INTO evidence (id, learner_id, element_id, type_id, type_version, title, status,"
    " draft, draft_claims, saved_at, dismissals, version, created_at) VALUES (:id, 2, 'e1',"
    " 'reflective-account', 1, 'T', :status, '{}', '[]', '2026-03-01 09:00:00', '[]', 1,"
    " '2026-03-01 09:00:00')"
)
_SUBMISSION = (
    "INSERT INTO submission (id, evidence_id, number, title, content, type_version,"
    " rubric_version, submitted_at, declared_name, content_hash, checks) VALUES (:id, :evidence,"
    " :number, 'T', '{}', 1, 1, :at, 'L', 'h', '{}')"
)
_DECISION = (
    "INSERT INTO decision (id, submission_id, assessor_id, outcome, feedback, decided_at,"
    " superseded_at, needs_countersignature) VALUES (:id, :submission, 1, :outcome, 'Redo it.',"
    " '2026-03-03 09:00:00', :superseded, false)"
)


def test_0012_starts_the_clock_of_every_item_waiting(tmp_path: Path) -> None:
    _empty_database(tmp_path)
    app = make_app(tmp_path)
    with app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as conn:
            for statement in _ROWS_AT_0011:
                conn.execute(text(statement))
            # 1: waiting, two attempts (the first referred); 2: reopened twice, waiting;
            # 3: accepted; 4: a draft.
            for evidence, status in ((1, "submitted"), (2, "submitted"), (3, "accepted")):
                conn.execute(text(_EVIDENCE), {"id": evidence, "status": status})
            conn.execute(text(_EVIDENCE), {"id": 4, "status": "draft"})
            for submission, evidence, number, at in (
                (1, 1, 1, "2026-03-02 10:00:00"),
                (2, 1, 2, "2026-03-05 10:00:00"),
                (3, 2, 1, "2026-03-02 11:00:00"),
                (4, 3, 1, "2026-03-02 12:00:00"),
            ):
                conn.execute(
                    text(_SUBMISSION),
                    {"id": submission, "evidence": evidence, "number": number, "at": at},
                )
            for decision, submission, outcome, superseded in (
                (1, 1, "referred", None),
                (2, 3, "referred", "2026-03-06 08:00:00"),
                (3, 3, "referred", "2026-03-09 08:00:00"),
                (4, 4, "accepted", None),
            ):
                conn.execute(
                    text(_DECISION),
                    {
                        "id": decision,
                        "submission": submission,
                        "outcome": outcome,
                        "superseded": superseded,
                    },
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, awaiting_since FROM evidence ORDER BY id")).all()
        found = {i: str(at)[:19] if at is not None else None for i, at in rows}
        assert found == {
            1: "2026-03-05 10:00:00",
            2: "2026-03-09 08:00:00",
            3: None,
            4: None,
        }
        db.engine.dispose()
