"""content/quizzes/*.yaml parsed into validated QuizSpec dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portfolio.core.datafile import DataError, Record, load_yaml
from portfolio.qualifications.spec import MisconceptionSpec, QualificationSpec, read_id


@dataclass(frozen=True)
class OptionSpec:
    id: str
    text: str
    correct: bool
    explanation: str
    misconception: str | None


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    stem: str
    marking_points: tuple[str, ...]
    options: tuple[OptionSpec, ...]
    line: int


@dataclass(frozen=True)
class QuizSpec:
    id: str
    version: int
    element_id: str
    title: str
    misconceptions: tuple[MisconceptionSpec, ...]
    questions: tuple[QuestionSpec, ...]
    path: str


def _option(r: Record, seen: set[str]) -> OptionSpec:
    r.allow_keys("id", "text", "correct", "explanation", "misconception")
    correct = r.boolean("correct")
    misconception = r.text("misconception") if r.has("misconception") else None
    if not correct and misconception is None:
        raise r.error("a wrong option must name the misconception it reveals ('misconception')")
    if correct and misconception is not None:
        raise r.error("the correct option cannot name a misconception", "misconception")
    return OptionSpec(
        id=read_id(r, seen),
        text=r.text("text"),
        correct=correct,
        explanation=r.text("explanation"),
        misconception=misconception,
    )


def _question(r: Record, seen: set[str]) -> QuestionSpec:
    r.allow_keys("id", "stem", "marking_points", "options")
    qid = read_id(r, seen)
    option_ids: set[str] = set()
    options = tuple(_option(o, option_ids) for o in r.records("options"))
    if not 2 <= len(options) <= 6:
        raise r.error("a question needs between 2 and 6 options", "options")
    correct = sum(o.correct for o in options)
    if correct != 1:
        raise r.error(
            f"a question needs exactly one correct option, this one has {correct}", "options"
        )
    return QuestionSpec(
        id=qid,
        stem=r.text("stem"),
        marking_points=r.texts("marking_points"),
        options=options,
        line=r.line,
    )


def parse_quiz(path: Path) -> QuizSpec:
    r = load_yaml(path)
    r.allow_keys("id", "version", "element", "title", "misconceptions", "questions")
    quiz_id = read_id(r, set())
    if quiz_id != path.stem:
        raise r.error(f"id {quiz_id!r} must match the file name {path.stem!r}", "id")
    local: list[MisconceptionSpec] = []
    for m in r.records("misconceptions", required=False):
        m.allow_keys("id", "text")
        mid = m.text("id")
        if not mid.startswith(f"{quiz_id}."):
            raise m.error(f"a quiz's own misconception ids must start with '{quiz_id}.'", "id")
        local.append(MisconceptionSpec(id=mid, text=m.text("text")))
    seen: set[str] = set()
    return QuizSpec(
        id=quiz_id,
        version=r.integer("version"),
        element_id=r.text("element"),
        title=r.text("title"),
        misconceptions=tuple(local),
        questions=tuple(_question(q, seen) for q in r.records("questions")),
        path=str(path),
    )


def load_quizzes(directory: Path) -> list[QuizSpec]:
    return [parse_quiz(p) for p in sorted(directory.glob("*.yaml"))]


def check_quiz_refs(quiz: QuizSpec, qualifications: list[QualificationSpec]) -> None:
    """Every element, marking point and misconception a quiz names must exist."""
    element = next(
        (e for q in qualifications for e in q.elements() if e.id == quiz.element_id), None
    )
    if element is None:
        raise DataError(quiz.path, 1, f"unknown element {quiz.element_id!r}")
    points = {p.id for p in element.marking_points}
    misconceptions = {m.id for m in element.misconceptions} | {m.id for m in quiz.misconceptions}
    for question in quiz.questions:
        for point in question.marking_points:
            if point not in points:
                raise DataError(
                    quiz.path, question.line, f"{point!r} is not a marking point of {element.id}"
                )
        for option in question.options:
            if option.misconception and option.misconception not in misconceptions:
                raise DataError(
                    quiz.path,
                    question.line,
                    f"option {option.id}: unknown misconception {option.misconception!r}",
                )
