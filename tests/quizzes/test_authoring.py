"""Writing the question bank: creating each type, saving revisions, stale saves, restoring,
comparing, naming misconceptions; drafts kept from learners; file reloads keep tutors' edits."""

from __future__ import annotations

from typing import Any

import pytest

from portfolio.auth.models import Role, User
from portfolio.core.paging import PageArg
from portfolio.data import DataSet
from portfolio.extensions import db
from portfolio.quizzes import authoring, bank
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.models import Question, QuestionStatus, Quiz
from portfolio.quizzes.spec import QuestionSpec, question_from_data
from tests.factories import Factory
from tests.quizzes.authoring_support import ELEMENT_M, OTHER_QUIZ_M, POINT, QUIZ, QUIZ_M

VALID: dict[str, dict[str, Any]] = {
    "single": {
        "stem": "Which remedy comes first after 30 days?",
        "options": [
            {"id": "a", "text": "Repair or replacement", "correct": True, "explanation": "Yes."},
            {"id": "b", "text": "A full refund", "misconception": QUIZ_M, "explanation": "No."},
        ],
    },
    "multiple": {
        "stem": "Which of these are statutory rights?",
        "options": [
            {"id": "a", "text": "Satisfactory quality", "correct": True, "explanation": "Yes."},
            {"id": "b", "text": "Fit for purpose", "correct": True, "explanation": "Yes."},
            {
                "id": "c",
                "text": "A 2-year guarantee",
                "misconception": ELEMENT_M,
                "explanation": "No.",
            },
        ],
    },
    "true_false": {
        "scenario": "A customer bought a kettle in a sale.",
        "stem": "Sale goods have no statutory rights.",
        "answer": False,
        "explanation": "Sale goods must still be of satisfactory quality.",
        "misconception": QUIZ_M,
    },
    "order": {
        "stem": "Put these steps in order.",
        "steps": [
            {"id": "s1", "text": "Listen"},
            {"id": "s2", "text": "Check the receipt"},
            {"id": "s3", "text": "Offer the remedy"},
        ],
        "explanation": "Listen first, then check, then offer.",
        "misconception": ELEMENT_M,
        "mistakes": [
            {
                "placed": "s3",
                "before": "s1",
                "misconception": QUIZ_M,
                "explanation": "Offering before listening skips the customer.",
            }
        ],
    },
    "classify": {
        "stem": "Sort these contacts.",
        "categories": [{"id": "c1", "label": "Complaint"}, {"id": "c2", "label": "Query"}],
        "items": [
            {
                "id": "i1",
                "text": "My kettle broke and I am cross",
                "category": "c1",
                "misconception": QUIZ_M,
                "explanation": "Dissatisfaction makes it a complaint.",
            },
            {
                "id": "i2",
                "text": "What time do you close?",
                "category": "c2",
                "misconception": ELEMENT_M,
                "explanation": "A request for information is a query.",
            },
        ],
    },
}


def spec_of(kind: str, **changes: Any) -> QuestionSpec:
    return question_from_data(
        {"id": "new", "type": kind, "marking_points": [POINT], **VALID[kind], **changes}
    )


def _quiz(quiz_id: str = QUIZ) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    assert quiz is not None
    return quiz


@pytest.fixture
def tutor(ctx: None, make: Factory) -> User:
    user = db.session.get(User, make.user(Role.TUTOR).id)
    assert user is not None
    return user


@pytest.mark.parametrize("kind", list(VALID))
def test_each_type_is_created_at_the_end_as_revision_one(tutor: User, kind: str) -> None:
    quiz = _quiz()
    last = max(q.position for q in quiz.questions)
    question = authoring.create_question(tutor, quiz, spec_of(kind), QuestionStatus.DRAFT, "")
    assert question.id == f"{QUIZ}.q10"  # one past the file's q9
    assert question.position == last + 1
    assert question.kind.value == kind
    assert question.status is QuestionStatus.DRAFT
    assert question.definition == spec_of(kind, id="q10").to_data()
    [revision] = question.revisions
    assert (revision.number, revision.author_id, revision.note) == (1, tutor.id, "Created")
    assert {m.id for m in question.misconceptions} == spec_of(kind).misconceptions()
    assert _quiz().questions[-1].id == question.id


def test_a_given_local_id_is_used_and_a_taken_one_is_a_clear_error(tutor: User) -> None:
    quiz = _quiz()
    made = authoring.create_question(
        tutor, quiz, spec_of("single"), QuestionStatus.DRAFT, local_id="refund-first"
    )
    assert made.id == f"{QUIZ}.refund-first"
    for taken in ("q1", "refund-first"):
        with pytest.raises(authoring.QuestionError, match="already used") as caught:
            authoring.create_question(
                tutor, quiz, spec_of("single"), QuestionStatus.DRAFT, local_id=taken
            )
        assert caught.value.field == "id"
    with pytest.raises(authoring.QuestionError, match="lower-case"):
        authoring.create_question(
            tutor, quiz, spec_of("single"), QuestionStatus.DRAFT, local_id="Bad.Id"
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"marking_points": ["pts-b.1"]}, "marking_points"),
        ({"misconception": OTHER_QUIZ_M}, "misconception"),
        ({"misconception": "pts-b.m1"}, "misconception"),  # another element's
    ],
)
def test_references_outside_the_quiz_are_refused_with_the_field(
    tutor: User, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(authoring.QuestionError) as caught:
        authoring.create_question(
            tutor, _quiz(), spec_of("true_false", **changes), QuestionStatus.DRAFT
        )
    assert caught.value.field == field
    assert db.session.get(Question, f"{QUIZ}.q10") is None


def test_a_row_naming_a_foreign_misconception_is_located(ctx: None) -> None:
    data = {"id": "x", "type": "classify", "marking_points": [POINT], **VALID["classify"]}
    data["items"] = [dict(i) for i in data["items"]]
    data["items"][1]["misconception"] = OTHER_QUIZ_M
    from portfolio.core.datafile import DataError

    with pytest.raises(DataError) as caught:
        authoring.references(_quiz()).check(data)
    assert caught.value.field == "items[1].misconception"
    assert OTHER_QUIZ_M in caught.value.message


def test_references_are_the_element_s_and_the_quiz_s_own(ctx: None) -> None:
    refs = authoring.references(_quiz())
    ids = {m.id for m in refs.misconceptions}
    assert {ELEMENT_M, QUIZ_M} <= ids
    assert OTHER_QUIZ_M not in ids and "pts-b.m1" not in ids
    assert [p.id for p in refs.points] == [f"pts-a.{n}" for n in range(1, 6)]


def test_saving_appends_a_revision_and_publishing_makes_it_the_learners(tutor: User) -> None:
    question = authoring.create_question(tutor, _quiz(), spec_of("single"), QuestionStatus.DRAFT)
    version = question.version
    authoring.save_question(
        question,
        spec_of("single", stem="Edited stem?"),
        QuestionStatus.PUBLISHED,
        tutor,
        "Reworded",
        version,
    )
    assert question.version == version + 1
    assert [r.number for r in question.revisions] == [1, 2]
    assert question.revision == 2 and question.status is QuestionStatus.PUBLISHED
    assert question.stem == "Edited stem?"
    assert question.revisions[-1].note == "Reworded"
    # The id stays the question's own whatever the submitted spec says.
    assert question.definition["id"] == "q10"
    authoring.save_question(
        question,
        spec_of("single", stem="Draft again?"),
        QuestionStatus.DRAFT,
        tutor,
        "",
        question.version,
    )
    assert question.revision == 2  # the last published revision


def test_a_stale_save_is_refused_with_the_current_question(tutor: User, make: Factory) -> None:
    other = db.session.get(User, make.user(Role.TUTOR).id)
    assert other is not None
    question = db.session.get(Question, f"{QUIZ}.q1")
    assert question is not None
    opened = question.version
    authoring.save_question(
        question, question.spec, QuestionStatus.PUBLISHED, other, "Theirs", opened
    )
    theirs = question.definition
    with pytest.raises(authoring.StaleQuestion) as caught:
        authoring.save_question(
            question,
            question_from_data({**question.definition, "stem": "Mine"}),
            QuestionStatus.PUBLISHED,
            tutor,
            "Mine",
            opened,
        )
    assert caught.value.current is question
    assert caught.value.current.version == opened + 1
    db.session.expire_all()
    assert db.session.get(Question, f"{QUIZ}.q1").definition == theirs  # type: ignore[union-attr]


def test_the_type_cannot_change(tutor: User) -> None:
    question = db.session.get(Question, f"{QUIZ}.q1")
    assert question is not None
    with pytest.raises(authoring.QuestionError, match="type cannot change"):
        authoring.save_question(
            question, spec_of("true_false"), QuestionStatus.DRAFT, tutor, "", question.version
        )


def test_restore_makes_a_new_revision_and_history_is_kept(tutor: User) -> None:
    question = db.session.get(Question, f"{QUIZ}.q7")
    assert question is not None
    original = question.definition
    authoring.save_question(
        question,
        question_from_data({**original, "stem": "Changed statement."}),
        QuestionStatus.DRAFT,
        tutor,
        "",
        question.version,
    )
    authoring.restore_question_revision(question, 1, tutor, question.version)
    assert [r.number for r in question.revisions] == [1, 2, 3]
    assert question.definition == original
    assert question.status is QuestionStatus.PUBLISHED  # the status revision 1 had
    assert question.revision == 3
    assert question.revisions[-1].note == "Restored revision 1"
    assert question.revisions[-1].author_id == tutor.id
    assert authoring.question_revision(question, 2).definition["stem"] == "Changed statement."  # type: ignore[union-attr]
    with pytest.raises(authoring.StaleQuestion):
        authoring.restore_question_revision(question, 2, tutor, question.version - 1)
    with pytest.raises(authoring.QuestionError, match="no revision 9"):
        authoring.restore_question_revision(question, 9, tutor, question.version)


def test_the_diff_shows_the_changed_lines_and_the_status(tutor: User) -> None:
    question = db.session.get(Question, f"{QUIZ}.q7")
    assert question is not None
    authoring.save_question(
        question,
        question_from_data({**question.definition, "answer": True}),
        QuestionStatus.DRAFT,
        tutor,
        "",
        question.version,
    )
    old, new = question.revisions
    diff = authoring.diff_question_revisions(old, new)
    lines = [(d.kind, d.text) for d in diff.lines]
    assert ("removed", "status: published") in lines and ("added", "status: draft") in lines
    assert ("removed", "answer: false") in lines and ("added", "answer: true") in lines
    assert diff.added == diff.removed == 2
    assert authoring.diff_question_revisions(old, old).lines == ()


def test_only_published_questions_enter_new_attempts(tutor: User, make: Factory) -> None:
    quiz = _quiz()
    question = authoring.create_question(tutor, quiz, spec_of("order"), QuestionStatus.DRAFT)

    def offered() -> bool:
        learner = db.session.get(User, make.learner().id)
        assert learner is not None
        attempt = quizzes.start_attempt(learner, _quiz())
        return question.id in [entry["question"] for entry in attempt.layout]

    assert not offered()
    authoring.save_question(
        question, question.spec, QuestionStatus.PUBLISHED, tutor, "", question.version
    )
    assert offered()
    entry_revision = question.revision
    assert entry_revision == 2
    authoring.save_question(
        question, question.spec, QuestionStatus.ARCHIVED, tutor, "", question.version
    )
    assert not offered()


def test_reloading_the_files_keeps_tutors_edits(tutor: User, shipped_data: DataSet) -> None:
    edited = db.session.get(Question, f"{QUIZ}.q2")
    assert edited is not None
    authoring.save_question(
        edited,
        question_from_data({**edited.definition, "stem": "A tutor's better wording?"}),
        QuestionStatus.PUBLISHED,
        tutor,
        "",
        edited.version,
    )
    created = authoring.create_question(tutor, _quiz(), spec_of("single"), QuestionStatus.DRAFT)
    created_id, count = created.id, len(edited.revisions)
    quizzes.sync_quizzes(shipped_data.quizzes)
    db.session.expire_all()
    again = db.session.get(Question, f"{QUIZ}.q2")
    assert again is not None
    assert again.stem == "A tutor's better wording?"
    assert len(again.revisions) == count
    kept = db.session.get(Question, created_id)
    assert kept is not None and kept.status is QuestionStatus.DRAFT
    assert len(kept.revisions) == 1


def test_a_tutor_names_a_new_misconception_and_uses_it(tutor: User) -> None:
    quiz = _quiz()
    made = authoring.add_quiz_misconception(quiz, "  Believing a receipt is always needed  ")
    assert made.id == f"{QUIZ}.m-believing-a-receipt-is-always-needed"
    assert made.text == "Believing a receipt is always needed"
    assert made.element_id == quiz.element_id
    with pytest.raises(authoring.QuestionError, match="already has that misconception"):
        authoring.add_quiz_misconception(quiz, "believing a receipt is ALWAYS needed")
    with pytest.raises(authoring.QuestionError, match="Describe"):
        authoring.add_quiz_misconception(quiz, "   ")
    long = authoring.add_quiz_misconception(quiz, "Believing " + "very " * 30 + "long things")
    assert len(long.id) <= 64
    question = authoring.create_question(
        tutor, quiz, spec_of("true_false", misconception=made.id), QuestionStatus.DRAFT
    )
    assert [m.id for m in question.misconceptions] == [made.id]


def test_the_bank_lists_each_question_with_its_latest_revision(tutor: User) -> None:
    question = db.session.get(Question, f"{QUIZ}.q3")
    assert question is not None
    authoring.save_question(
        question, question.spec, QuestionStatus.DRAFT, tutor, "", question.version
    )
    quiz = db.session.get(Quiz, QUIZ)
    banks = {
        b.quiz.id: b for b in bank.bank_page(bank.BankFilters(quiz_id=QUIZ), PageArg(), quiz).banks
    }
    assert set(banks) == {QUIZ}
    rows = {r.question.id: r for r in banks[QUIZ].rows}
    assert len(rows) == 9
    assert rows[f"{QUIZ}.q3"].latest.number == 2
    assert rows[f"{QUIZ}.q3"].latest.author_id == tutor.id
    assert rows[f"{QUIZ}.q3"].latest.author_name == tutor.name
    assert rows[f"{QUIZ}.q1"].latest.author_id is None
    own = bank.quiz_misconceptions(QUIZ, PageArg())
    ids = {m.id for m in own.items}
    assert QUIZ_M in ids and ELEMENT_M not in ids
    assert banks[QUIZ].misconceptions == own.total == len(ids)


def test_each_quiz_on_a_bank_page_counts_only_its_own_misconceptions(tutor: User) -> None:
    """Counted for every quiz on the page in one statement: each count is what the quiz's
    own page of misconceptions lists."""
    quiz = _quiz()
    made = authoring.add_quiz_misconception(quiz, "Believing a sale item cannot be faulty")
    assert made.id.startswith(f"{QUIZ}.")
    banks = bank.bank_page(bank.BankFilters(), PageArg()).banks
    counts = {b.quiz.id: b.misconceptions for b in banks}
    for quiz_id, n in counts.items():
        assert n == bank.quiz_misconceptions(quiz_id, PageArg()).total
    assert counts[QUIZ] >= 2


def test_next_local_id_follows_the_highest_number(tutor: User) -> None:
    quiz = _quiz()
    authoring.create_question(tutor, quiz, spec_of("single"), QuestionStatus.DRAFT, local_id="q44")
    assert authoring.next_local_id(_quiz()) == "q45"
