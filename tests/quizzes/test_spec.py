"""Quiz files and question data: each question type parses, and a question whose right answer
is missing, doubled or unreachable is refused with its file, line and field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from portfolio.core.datafile import DataError
from portfolio.data import DataSet
from portfolio.quizzes.spec import (
    MistakeSpec,
    QuestionKind,
    check_quiz_refs,
    parse_quiz,
    question_from_data,
)

QUIZ = """\
id: tiny
version: 1
element: pts-a
title: Tiny
questions:
  - id: q1
    stem: Which?
    marking_points: [pts-a.1]
    options:
      - id: a
        text: Right
        correct: true
        explanation: Because.
      - id: b
        text: Wrong
        misconception: pts-a.m1
        explanation: Because not.
  - id: q2
    type: multiple
    scenario: A customer rings, upset.
    stem: Which apply?
    marking_points: [pts-a.3]
    options:
      - id: a
        text: Listen first
        correct: true
        misconception: pts-a.m2
        explanation: Listening finds the problem.
      - id: b
        text: Say sorry
        correct: true
        explanation: Empathy calms.
      - id: c
        text: Blame the courier
        misconception: pts-a.m1
        explanation: Blaming helps nobody.
  - id: q3
    type: true_false
    stem: A notice can take away rights.
    marking_points: [pts-a.1]
    answer: false
    explanation: Notices cannot remove statutory rights.
    misconception: pts-a.m1
  - id: q4
    type: order
    stem: Put these in order.
    marking_points: [pts-a.4]
    steps:
      - id: listen
        text: Listen
      - id: agree
        text: Agree a fix
      - id: record
        text: Record the outcome
    explanation: Understand, fix, record.
    misconception: pts-a.m4
    mistakes:
      - placed: agree
        before: listen
        misconception: pts-a.m2
        explanation: Agreeing a fix first solves the wrong thing.
  - id: q5
    type: classify
    stem: Sort these.
    marking_points: [pts-a.2]
    categories:
      - id: complaint
        label: Complaint
      - id: query
        label: Query
    items:
      - id: late
        text: Third time I have chased this!
        category: complaint
        misconception: pts-a.m2
        explanation: Unhappy and expects a reply.
      - id: address
        text: What is your address?
        category: query
        misconception: pts-a.m5
        explanation: Only wants information.
"""


def _quiz(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return path


def _changed(*changes: tuple[str, str]) -> str:
    text = QUIZ
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_every_type_parses(tmp_path: Path, shipped_data: DataSet) -> None:
    quiz = parse_quiz(_quiz(tmp_path, QUIZ))
    check_quiz_refs(quiz, shipped_data.qualifications)
    single, multiple, true_false, order, classify = quiz.questions
    assert [q.kind for q in quiz.questions] == [
        QuestionKind.SINGLE,
        QuestionKind.MULTIPLE,
        QuestionKind.TRUE_FALSE,
        QuestionKind.ORDER,
        QuestionKind.CLASSIFY,
    ]
    assert [q.line for q in quiz.questions] == [6, 18, 37, 44, 62]
    assert [o.correct for o in single.choices] == [True, False]
    assert single.scenario is None and multiple.scenario == "A customer rings, upset."
    assert [o.correct for o in multiple.choices] == [True, True, False]
    assert multiple.misconceptions() == {"pts-a.m1", "pts-a.m2"}
    assert (true_false.answer, true_false.misconception) == (False, "pts-a.m1")
    assert [s.id for s in order.choices] == ["listen", "agree", "record"]
    assert order.mistakes == (
        MistakeSpec("agree", "listen", "pts-a.m2", "Agreeing a fix first solves the wrong thing."),
    )
    assert order.misconceptions() == {"pts-a.m2", "pts-a.m4"}
    assert [c.id for c in classify.categories] == ["complaint", "query"]
    assert [(i.id, i.category) for i in classify.choices] == [
        ("late", "complaint"),
        ("address", "query"),
    ]
    assert all(q.marking_points for q in quiz.questions)


def test_a_question_survives_being_stored_as_data(tmp_path: Path) -> None:
    """A revision stores to_data(); read back, it is the same question."""
    for question in parse_quiz(_quiz(tmp_path, QUIZ)).questions:
        assert question_from_data(question.to_data()) == replace(question, line=0)


def test_every_shipped_question_survives_being_stored_as_data(shipped_data: DataSet) -> None:
    questions = [q for quiz in shipped_data.quizzes for q in quiz.questions]
    assert {q.kind for q in questions} == set(QuestionKind)
    for question in questions:
        assert question_from_data(question.to_data()) == replace(question, line=0)


Q1, Q2, Q3, Q4, Q5 = (f"questions[{n}]" for n in range(5))
RIGHT_OPTION = "        correct: true\n        explanation: Because.\n"
WRONG_OPTION = "        misconception: pts-a.m1\n        explanation: Because not.\n"

# (changes to QUIZ, line reported, field, message)
FAULTS = [
    (
        [(RIGHT_OPTION, "        explanation: Because.\n")],
        10,
        f"{Q1}.options[0]",
        "a wrong option must name the misconception it reveals ('misconception')",
    ),
    (
        [(RIGHT_OPTION, "        misconception: pts-a.m1\n        explanation: Because.\n")],
        10,
        f"{Q1}.options",
        "a question needs exactly one correct option, this one has 0",
    ),
    (
        [(WRONG_OPTION, "        correct: true\n        explanation: Because not.\n")],
        10,
        f"{Q1}.options",
        "a question needs exactly one correct option, this one has 2",
    ),
    (
        [(RIGHT_OPTION, "        correct: true\n        misconception: pts-a.m1\n")],
        13,
        f"{Q1}.options[0].misconception",
        "the correct option cannot name a misconception",
    ),
    (
        [("        text: Wrong\n", "        text: Wrong\n        correct: maybe\n")],
        16,
        f"{Q1}.options[1].correct",
        "'correct' must be true or false",
    ),
    (
        # The same words, in other capitals and spacing: the right answer cannot be told apart.
        [("        text: Wrong\n", "        text: '  RIGHT '\n")],
        10,
        f"{Q1}.options",
        "two entries of 'options' read 'RIGHT': a learner cannot tell them apart",
    ),
    (
        [("      - id: b\n        text: Wrong", "      - id: a\n        text: Wrong")],
        14,
        f"{Q1}.options[1].id",
        "id 'a' is used twice",
    ),
    (
        [("    marking_points: [pts-a.1]\n    options", "    options")],
        6,
        f"{Q1}.marking_points",
        "'marking_points' is required",
    ),
    (
        [("    marking_points: [pts-a.1]\n    options", "    marking_points: []\n    options")],
        8,
        f"{Q1}.marking_points",
        "name at least one marking point the question checks",
    ),
    (
        [
            ("Listen first\n        correct: true", "Listen first\n        correct: false"),
            ("Say sorry\n        correct: true\n", "Say sorry\n        misconception: pts-a.m3\n"),
        ],
        24,
        f"{Q2}.options",
        "a multiple-answer question needs at least one correct option",
    ),
    (
        [("Blame the courier\n", "Blame the courier\n        correct: true\n")],
        24,
        f"{Q2}.options",
        "a multiple-answer question needs at least one wrong option",
    ),
    (
        [
            (
                "      - id: b\n        text: Say sorry\n        correct: true\n        explanation: Empathy calms.\n",
                "",
            )
        ],
        24,
        f"{Q2}.options",
        "'options' needs between 3 and 6 entries, not 2",
    ),
    (
        [("    answer: false\n", "    answer: maybe\n")],
        41,
        f"{Q3}.answer",
        "'answer' must be true or false",
    ),
    (
        [("    answer: false\n", "")],
        37,
        f"{Q3}.answer",
        "'answer' must be true or false",
    ),
    (
        [("    answer: false\n", "    answer: false\n    steps: []\n")],
        42,
        f"{Q3}.steps",
        "unknown key 'steps' (expected one of: id, type, scenario, stem, marking_points, "
        "answer, explanation, misconception)",
    ),
    (
        # Listening already comes before agreeing: the right order would reveal it.
        [
            (
                "      - placed: agree\n        before: listen\n",
                "      - placed: listen\n        before: agree\n",
            )
        ],
        58,
        f"{Q4}.mistakes[0]",
        "in the right order 'listen' already comes before 'agree'",
    ),
    (
        [("      - placed: agree\n", "      - placed: apologise\n")],
        58,
        f"{Q4}.mistakes[0].placed",
        "'placed' names 'apologise', which is not a step",
    ),
    (
        [("    type: order\n", "    type: essay\n")],
        45,
        f"{Q4}.type",
        "unknown type 'essay' (expected one of: single, multiple, true_false, order, classify)",
    ),
    (
        [("        category: query\n", "        category: praise\n")],
        79,
        f"{Q5}.items[1].category",
        "'category' names 'praise', which is not a category",
    ),
    (
        [("        label: Query\n", "        label: complaint\n")],
        67,
        f"{Q5}.categories",
        "two entries of 'categories' read 'complaint': a learner cannot tell them apart",
    ),
    (
        [("id: tiny\n", "id: other\n")],
        1,
        "id",
        "id 'other' must match the file name 'tiny'",
    ),
]


@pytest.mark.parametrize(("changes", "line", "field", "message"), FAULTS)
def test_bad_questions_are_refused_with_file_line_and_field(
    tmp_path: Path, changes: list[tuple[str, str]], line: int, field: str, message: str
) -> None:
    path = _quiz(tmp_path, _changed(*changes))
    with pytest.raises(DataError) as caught:
        parse_quiz(path)
    assert str(caught.value) == f"{path}:{line}: {message}"
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [(c, f, m) for c, _, f, m in FAULTS if f.startswith("questions[")],
)
def test_question_data_from_a_form_is_refused_with_the_same_words_and_field(
    changes: list[tuple[str, str]], field: str, message: str
) -> None:
    """A tutor's browser form goes through question_from_data: the same rules and words, and
    the field (without the file's "questions[n]." prefix) to show the message next to."""
    number = int(field[len("questions[") : field.index("]")])
    data = yaml.safe_load(_changed(*changes))["questions"][number]
    with pytest.raises(DataError) as caught:
        question_from_data(data, "q")
    assert str(caught.value) == f"q:0: {message}"
    assert caught.value.field == field.split(".", 1)[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("misconception: pts-a.m1", "misconception: pts-a.m99"), "unknown misconception"),
        (("[pts-a.1]", "[pts-b.1]"), "'pts-b.1' is not a marking point here"),
        (("element: pts-a", "element: nowhere"), "unknown element"),
        (("    misconception: pts-a.m4\n", "    misconception: pts-a.m98\n"), "pts-a.m98"),
        (("        misconception: pts-a.m5\n", "        misconception: pts-a.m97\n"), "pts-a.m97"),
    ],
)
def test_references_must_exist(
    tmp_path: Path, shipped_data: DataSet, change: tuple[str, str], message: str
) -> None:
    quiz = parse_quiz(_quiz(tmp_path, _changed(change)))
    with pytest.raises(DataError, match=message):
        check_quiz_refs(quiz, shipped_data.qualifications)


def test_every_rubric_misconception_is_targeted(shipped_data: DataSet) -> None:
    targeted = {
        m
        for q in shipped_data.quizzes
        for question in q.questions
        for m in question.misconceptions()
    }
    rubric = {m.id for e in shipped_data.qualifications[0].elements() for m in e.misconceptions}
    assert rubric - targeted == set()
