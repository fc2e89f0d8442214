"""Migrations that carry data over: a database built at the revision before, holding rows in the
old shape, comes out of `upgrade` with the same facts in the new shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.feedback import feedback_for
from portfolio.quizzes.marking import mark
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    AttemptMode,
    HeldMisconception,
    Question,
    QuestionStatus,
)
from portfolio.quizzes.spec import QuestionKind
from tests.conftest import TEST_DATABASE_URL, _reset_schema, make_app

SUBMITTED = datetime(2026, 5, 1, 10, 5, tzinfo=UTC)

# The single-answer bank before 0007: options as rows, attempts naming option ids.
ROWS_AT_0006 = [
    "INSERT INTO qualification (id, version, title) VALUES ('qual', 1, 'Q')",
    "INSERT INTO unit (id, qualification_id, position, title) VALUES ('u1', 'qual', 0, 'U')",
    "INSERT INTO element (id, unit_id, position, title, synopsis, version)"
    " VALUES ('e1', 'u1', 0, 'E', 'S', 1)",
    "INSERT INTO misconception (id, element_id, text) VALUES ('e1.m1', 'e1', 'Pay day starts it')",
    "INSERT INTO misconception (id, element_id, text) VALUES ('e1.m2', 'e1', 'Working days')",
    "INSERT INTO user_account (id, email, name, password_hash, session_token, active,"
    " assessor_id, created_at) VALUES (1, 'l@example.org', 'L', 'x', 't', true, NULL,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO user_role (user_id, role) VALUES (1, 'learner')",
    "INSERT INTO quiz (id, version, element_id, title) VALUES ('quiz1', 3, 'e1', 'Quiz one')",
    "INSERT INTO question (id, quiz_id, position, stem) VALUES ('quiz1.q2', 'quiz1', 1, 'Second?')",
    "INSERT INTO question (id, quiz_id, position, stem) VALUES ('quiz1.q1', 'quiz1', 0, 'When?')",
    "INSERT INTO option (id, question_id, position, text, is_correct, explanation,"
    " misconception_id) VALUES ('quiz1.q1.b', 'quiz1.q1', 1, 'Pay day', false, 'Not pay day.',"
    " 'e1.m1')",
    "INSERT INTO option (id, question_id, position, text, is_correct, explanation,"
    " misconception_id) VALUES ('quiz1.q1.a', 'quiz1.q1', 0, 'Day after delivery', true,"
    " 'Ownership and delivery.', NULL)",
    "INSERT INTO option (id, question_id, position, text, is_correct, explanation,"
    " misconception_id) VALUES ('quiz1.q1.c', 'quiz1.q1', 2, '30 working days', false,"
    " 'Calendar days.', 'e1.m2')",
    "INSERT INTO option (id, question_id, position, text, is_correct, explanation,"
    " misconception_id) VALUES ('quiz1.q2.a', 'quiz1.q2', 0, 'Yes', true, 'It is.', NULL)",
    "INSERT INTO option (id, question_id, position, text, is_correct, explanation,"
    " misconception_id) VALUES ('quiz1.q2.b', 'quiz1.q2', 1, 'No', false, 'It is not.', 'e1.m2')",
    # A submitted attempt, q1 wrong and q2 right; an open one with nothing answered.
    "INSERT INTO attempt (id, user_id, quiz_id, quiz_version, option_order, started_at,"
    " submitted_at, score) VALUES (1, 1, 'quiz1', 3, :order1, '2026-05-01 10:00:00',"
    " '2026-05-01 10:05:00', 1)",
    "INSERT INTO attempt (id, user_id, quiz_id, quiz_version, option_order, started_at,"
    " submitted_at, score) VALUES (2, 1, 'quiz1', 3, :order2, '2026-05-02 09:00:00', NULL, NULL)",
    "INSERT INTO answer (attempt_id, question_id, option_id, is_correct)"
    " VALUES (1, 'quiz1.q1', 'quiz1.q1.b', false)",
    "INSERT INTO answer (attempt_id, question_id, option_id, is_correct)"
    " VALUES (1, 'quiz1.q2', 'quiz1.q2.a', true)",
    # One misconception still held, one cleared since.
    "INSERT INTO held_misconception (user_id, misconception_id, first_seen_at, last_seen_at,"
    " times_seen, last_option_id, cleared_at) VALUES (1, 'e1.m1', '2026-05-01 10:05:00',"
    " '2026-05-01 10:05:00', 1, 'quiz1.q1.b', NULL)",
    "INSERT INTO held_misconception (user_id, misconception_id, first_seen_at, last_seen_at,"
    " times_seen, last_option_id, cleared_at) VALUES (1, 'e1.m2', '2026-04-01 10:00:00',"
    " '2026-04-01 10:00:00', 2, 'quiz1.q1.c', '2026-04-20 10:00:00')",
]
SEQUENCES_FOLLOW = [
    "SELECT setval(pg_get_serial_sequence('user_account', 'id'), (SELECT max(id) FROM user_account))",
    "SELECT setval(pg_get_serial_sequence('attempt', 'id'), (SELECT max(id) FROM attempt))",
]
ORDER_1 = {
    "quiz1.q2": ["quiz1.q2.b", "quiz1.q2.a"],
    "quiz1.q1": ["quiz1.q1.c", "quiz1.q1.a", "quiz1.q1.b"],
}
ORDER_2 = {
    "quiz1.q1": ["quiz1.q1.a", "quiz1.q1.b", "quiz1.q1.c"],
    "quiz1.q2": ["quiz1.q2.a", "quiz1.q2.b"],
}


def _empty_database(tmp_path: Path) -> None:
    if TEST_DATABASE_URL:
        app = make_app(tmp_path)
        with app.app_context():
            _reset_schema()
            db.drop_all()
            db.engine.dispose()


def test_0007_carries_the_single_answer_bank_attempts_and_misconceptions_over(
    tmp_path: Path,
) -> None:
    _empty_database(tmp_path)
    app = make_app(tmp_path)
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            for statement in ROWS_AT_0006:
                conn.execute(
                    text(statement),
                    {"order1": json.dumps(ORDER_1), "order2": json.dumps(ORDER_2)},
                )
            if conn.dialect.name == "postgresql":
                # Rows given their ids, as a restored backup would be: the sequences follow.
                for statement in SEQUENCES_FOLLOW:
                    conn.execute(text(statement))
        upgrade()
        assert "option" not in inspect(db.engine).get_table_names()

        # The question is now a definition in the file format, with revision 1 published.
        q1 = db.session.get(Question, "quiz1.q1")
        assert q1 is not None
        assert q1.definition == {
            "id": "q1",
            "type": "single",
            "stem": "When?",
            "marking_points": [],
            "options": [
                {
                    "id": "a",
                    "text": "Day after delivery",
                    "correct": True,
                    "explanation": "Ownership and delivery.",
                },
                {
                    "id": "b",
                    "text": "Pay day",
                    "misconception": "e1.m1",
                    "explanation": "Not pay day.",
                },
                {
                    "id": "c",
                    "text": "30 working days",
                    "misconception": "e1.m2",
                    "explanation": "Calendar days.",
                },
            ],
        }
        assert (q1.kind, q1.status, q1.revision, q1.version) == (
            QuestionKind.SINGLE,
            QuestionStatus.PUBLISHED,
            1,
            1,
        )
        assert [(r.number, r.definition, r.status, r.author_id) for r in q1.revisions] == [
            (1, q1.definition, QuestionStatus.PUBLISHED, None)
        ]
        assert [m.id for m in q1.misconceptions] == ["e1.m1", "e1.m2"]
        # It reads as a question the app can mark.
        spec = q1.spec
        assert [c.id for c in spec.choices if c.correct] == ["a"]
        assert [r.misconception_id for r in mark(spec, {"choice": "b"}).revealed] == ["e1.m1"]

        # Attempts: a layout in question order with the option order shown, in local ids.
        done = db.session.get(Attempt, 1)
        still_open = db.session.get(Attempt, 2)
        assert done is not None and still_open is not None
        assert (done.mode, done.quiz_id, done.quiz_version, done.score) == (
            AttemptMode.TEST,
            "quiz1",
            3,
            1,
        )
        assert done.layout == [
            {"question": "quiz1.q1", "revision": 1, "order": ["c", "a", "b"]},
            {"question": "quiz1.q2", "revision": 1, "order": ["b", "a"]},
        ]
        assert still_open.layout == [
            {"question": "quiz1.q1", "revision": 1, "order": ["a", "b", "c"]},
            {"question": "quiz1.q2", "revision": 1, "order": ["a", "b"]},
        ]
        assert still_open.submitted_at is None and still_open.answers == []

        # Answers: the option chosen is a response in the question's own ids, with what it
        # revealed; they were answered when the attempt was submitted.
        answers = {a.question_id: a for a in db.session.scalars(select(Answer))}
        wrong, right = answers["quiz1.q1"], answers["quiz1.q2"]
        assert (wrong.response, wrong.revealed, wrong.is_correct, wrong.revision) == (
            {"choice": "b"},
            ["e1.m1"],
            False,
            1,
        )
        assert (right.response, right.revealed, right.is_correct) == ({"choice": "a"}, [], True)
        assert wrong.answered_at == right.answered_at == SUBMITTED

        # The old attempt still shows its feedback.
        shown = quizzes.shown_questions(done)
        assert [s.order for s in shown] == [["c", "a", "b"], ["b", "a"]]
        item = feedback_for(shown[0])
        assert item is not None and not item.correct
        assert [r.misconception.id for r in item.revealed] == ["e1.m1"]
        assert item.your_answer == ["Pay day"] and item.right_answer == ["Day after delivery"]
        # Held misconceptions: why the answer was wrong, which question showed it, and when
        # each comes up for review (a held one the day after it was last seen).
        held = db.session.get(HeldMisconception, (1, "e1.m1"))
        cleared = db.session.get(HeldMisconception, (1, "e1.m2"))
        assert held is not None and cleared is not None
        assert (held.last_explanation, held.last_question_id, held.box) == (
            "Not pay day.",
            "quiz1.q1",
            1,
        )
        assert held.due_at == SUBMITTED + timedelta(days=1)
        assert held.cleared_at is None and held.times_seen == 1
        assert (cleared.last_explanation, cleared.last_question_id, cleared.due_at) == (
            "Calendar days.",
            "quiz1.q1",
            None,
        )
        assert cleared.cleared_at == datetime(2026, 4, 20, 10, tzinfo=UTC)
        # The open attempt can be finished; right answers on a later day clear e1.m1.
        quizzes.submit_attempt(
            still_open, {"quiz1.q1": {"choice": "a"}, "quiz1.q2": {"choice": "a"}}
        )
        assert still_open.score == 2
        assert held.cleared_at is not None and held.box == 2
        db.session.remove()
        db.engine.dispose()


# Quiz history before 0015: three learners' attempts at one quiz of two questions (finished
# tests and practice with scores 2, 1 and 1, an unfinished one, a review with no quiz), and
# misconceptions held, cleared, and held by someone who has finished nothing.
_Q = '{"id": "q%s", "type": "true_false", "stem": "S?", "answer": true, "marking_points": []}'
_AT = "2026-05-01 10:00:00"
ROWS_AT_0014: list[tuple[str, list[dict[str, object]]]] = [
    ("INSERT INTO qualification (id, version, title) VALUES ('qual', 1, 'Q')", [{}]),
    (
        "INSERT INTO unit (id, qualification_id, position, title) VALUES ('u1', 'qual', 0, 'U')",
        [{}],
    ),
    (
        "INSERT INTO element (id, unit_id, position, title, synopsis, version)"
        " VALUES ('e1', 'u1', 0, 'E', 'S', 1)",
        [{}],
    ),
    (
        "INSERT INTO misconception (id, element_id, text) VALUES (:id, 'e1', 'M')",
        [{"id": "e1.m1"}, {"id": "e1.m2"}],
    ),
    (
        "INSERT INTO user_account (id, email, name, password_hash, session_token, active,"
        " assessor_id, created_at) VALUES (:id, :email, 'L', 'x', :token, true, NULL,"
        " '2026-01-01 00:00:00')",
        [{"id": n, "email": f"l{n}@example.org", "token": f"t{n}"} for n in (1, 2, 3)],
    ),
    ("INSERT INTO quiz (id, version, element_id, title) VALUES ('quiz1', 1, 'e1', 'Q1')", [{}]),
    (
        "INSERT INTO question (id, quiz_id, position, stem, kind, definition, status, revision,"
        " updated_at, version) VALUES (:id, 'quiz1', :n, 'S?', 'true_false', :definition,"
        " 'published', 1, '2026-01-01 00:00:00', 1)",
        [{"id": f"quiz1.q{n}", "n": n, "definition": _Q % n} for n in (1, 2)],
    ),
    (
        "INSERT INTO attempt (id, user_id, quiz_id, quiz_version, started_at, submitted_at,"
        " score, mode, layout) VALUES (:id, :user, :quiz, 1, :started, :submitted, :score,"
        " :mode, '[]')",
        [
            {"id": a, "user": u, "quiz": quiz, "started": _AT, "submitted": at, "score": score}
            | {"mode": mode}
            for a, u, quiz, at, score, mode in [
                (1, 1, "quiz1", "2026-05-01 10:05:00", 2, "test"),
                (2, 2, "quiz1", "2026-05-02 10:05:00", 1, "test"),
                (3, 1, "quiz1", "2026-05-03 10:05:00", 1, "practice"),
                (4, 2, "quiz1", None, None, "practice"),
                (5, 3, None, "2026-05-05 10:05:00", 0, "review"),
            ]
        ],
    ),
    (
        "INSERT INTO answer (attempt_id, question_id, is_correct, revision, response, revealed,"
        " answered_at) VALUES (:attempt, :question, :right, 1, '{}', '[]', :at)",
        [
            {"attempt": a, "question": f"quiz1.q{q}", "right": right, "at": _AT}
            for a, q, right in [
                (1, 1, True),
                (1, 2, True),
                (2, 1, False),
                (2, 2, True),
                (3, 1, True),
                (3, 2, False),
                (4, 1, False),
                (5, 2, False),
            ]
        ],
    ),
    (
        "INSERT INTO held_misconception (user_id, misconception_id, first_seen_at, last_seen_at,"
        " times_seen, cleared_at, last_explanation, box) VALUES (:user, :m, :at, :at, 1,"
        " :cleared, 'Why', 1)",
        [
            {"user": u, "m": m, "at": _AT, "cleared": cleared}
            for u, m, cleared in [
                (1, "e1.m1", "2026-05-04 10:00:00"),
                (2, "e1.m1", None),
                (2, "e1.m2", None),
                (3, "e1.m2", None),
            ]
        ],
    ),
]


def test_0015_counts_the_quiz_history_into_the_analytics_summaries(tmp_path: Path) -> None:
    from portfolio.quizzes import analytics
    from tests.quizzes.test_tallies import counted, kept

    _empty_database(tmp_path)
    app = make_app(tmp_path)
    with app.app_context():
        upgrade(revision="0014")
        with db.engine.begin() as conn:
            for statement, rows in ROWS_AT_0014:
                conn.execute(text(statement), rows)
        upgrade()
        summaries = kept()
        assert summaries == counted()
        # Every answer, in any mode (the review's too); finished attempts at the quiz only.
        assert summaries["question"] == {("quiz1.q1", 4, 2), ("quiz1.q2", 4, 2)}
        assert summaries["quiz_score"] == {("quiz1", 2, 1), ("quiz1", 1, 2)}
        assert summaries["question_score"] == {
            ("quiz1.q1", 2, 1, 1),
            ("quiz1.q2", 2, 1, 1),
            ("quiz1.q1", 1, 2, 1),
            ("quiz1.q2", 1, 2, 1),
        }
        first = datetime(2026, 5, 1, 10, 5, tzinfo=UTC)
        assert summaries["element_learner"] == {
            ("e1", 1, first),
            ("e1", 2, first + timedelta(days=1)),
        }
        assert summaries["holding"] == {("e1.m1", 1), ("e1.m2", 2)}
        # The analytics read them: learner 3 holds e1.m2 without having finished a quiz.
        figures = {s.misconception.id: s for s in analytics.misconception_stats()}
        assert (figures["e1.m1"].holders_now, figures["e1.m1"].learners) == (1, 2)
        assert (figures["e1.m2"].holders_now, figures["e1.m2"].learners) == (2, 2)
        db.session.remove()
        db.engine.dispose()
