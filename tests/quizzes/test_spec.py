"""Quiz files: a question whose correct answer is missing, doubled or unreachable is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio.core.datafile import DataError
from portfolio.data import DataSet
from portfolio.quizzes.spec import check_quiz_refs, parse_quiz

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
"""


def _quiz(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return path


def test_a_good_quiz_parses(tmp_path: Path, shipped_data: DataSet) -> None:
    quiz = parse_quiz(_quiz(tmp_path, QUIZ))
    check_quiz_refs(quiz, shipped_data.qualifications)
    assert [o.correct for o in quiz.questions[0].options] == [True, False]


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("        correct: true\n", ""), 10, "a wrong option must name the misconception"),
        (("        misconception: pts-a.m1\n", "        correct: true\n"), 10, "has 2"),
        (
            ("        text: Wrong\n", "        text: Wrong\n        correct: maybe\n"),
            16,
            "'correct' must be true or false",
        ),
        (("      - id: b\n", "      - id: a\n"), 14, "id 'a' is used twice"),
        (("id: tiny\n", "id: other\n"), 1, "must match the file name"),
    ],
)
def test_bad_questions_are_refused_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    path = _quiz(tmp_path, QUIZ.replace(*change))
    with pytest.raises(DataError) as caught:
        parse_quiz(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("misconception: pts-a.m1", "misconception: pts-a.m99"), "unknown misconception"),
        (("[pts-a.1]", "[pts-b.1]"), "not a marking point of pts-a"),
        (("element: pts-a", "element: nowhere"), "unknown element"),
    ],
)
def test_references_must_exist(
    tmp_path: Path, shipped_data: DataSet, change: tuple[str, str], message: str
) -> None:
    quiz = parse_quiz(_quiz(tmp_path, QUIZ.replace(*change)))
    with pytest.raises(DataError, match=message):
        check_quiz_refs(quiz, shipped_data.qualifications)


def test_every_rubric_misconception_is_targeted(shipped_data: DataSet) -> None:
    targeted = {
        o.misconception
        for q in shipped_data.quizzes
        for question in q.questions
        for o in question.options
    }
    rubric = {m.id for e in shipped_data.qualifications[0].elements() for m in e.misconceptions}
    assert rubric - targeted == set()
