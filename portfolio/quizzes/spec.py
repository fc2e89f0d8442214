"""content/quizzes/*.yaml parsed into validated QuizSpec dataclasses.

A question is validated by the same code whether it comes from a file or from a tutor's
browser form (through record_from_data), so both refuse the same faults with the same words."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portfolio.core.datafile import DataError, Record, load_yaml, record_from_data
from portfolio.qualifications.spec import MisconceptionSpec, QualificationSpec, read_id


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    ORDER = "order"
    CLASSIFY = "classify"

    @property
    def label(self) -> str:
        return {
            "single": "Single answer",
            "multiple": "Multiple answers",
            "true_false": "True or false",
            "order": "Put in order",
            "classify": "Classify",
        }[self.value]

    @property
    def hint(self) -> str:
        """How to answer, shown with the question."""
        return {
            "single": "Choose one answer.",
            "multiple": "Choose all the answers that apply.",
            "true_false": "Is the statement true or false?",
            "order": "Give each step its position: 1 for the first step, and so on.",
            "classify": "Put each item in the category it belongs to.",
        }[self.value]


@dataclass(frozen=True)
class ChoiceSpec:
    """An option (single, multiple), a step (order) or an item to sort (classify)."""

    id: str
    text: str
    explanation: str = ""
    # Revealed by choosing a wrong option, leaving out a right one (multiple), or putting an
    # item in the wrong category (classify).
    misconception: str | None = None
    correct: bool = False
    category: str | None = None


@dataclass(frozen=True)
class CategorySpec:
    id: str
    label: str


@dataclass(frozen=True)
class MistakeSpec:
    """In an order question: putting step `placed` ahead of step `before` reveals this."""

    placed: str
    before: str
    misconception: str
    explanation: str


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    kind: QuestionKind
    stem: str
    marking_points: tuple[str, ...]
    choices: tuple[ChoiceSpec, ...] = ()
    scenario: str | None = None
    categories: tuple[CategorySpec, ...] = ()
    answer: bool | None = None  # true_false
    explanation: str = ""  # true_false and order: why, shown whatever the answer
    misconception: str | None = None  # true_false and order: revealed by a wrong answer
    mistakes: tuple[MistakeSpec, ...] = ()
    line: int = 0

    def misconceptions(self) -> set[str]:
        """Every misconception a wrong answer to this question can reveal."""
        found = {c.misconception for c in self.choices if c.misconception}
        found |= {m.misconception for m in self.mistakes}
        return found | ({self.misconception} if self.misconception else set())

    def to_data(self) -> dict[str, Any]:
        """The question as plain data, in the file format: stored with each revision."""
        data: dict[str, Any] = {"id": self.id, "type": self.kind.value}
        if self.scenario:
            data["scenario"] = self.scenario
        data["stem"] = self.stem
        data["marking_points"] = list(self.marking_points)
        if self.kind is QuestionKind.TRUE_FALSE:
            data["answer"] = self.answer
        if self.categories:
            data["categories"] = [{"id": c.id, "label": c.label} for c in self.categories]
        if self.choices:
            data[_CHOICES_KEY[self.kind]] = [_choice_data(self.kind, c) for c in self.choices]
        if self.explanation:
            data["explanation"] = self.explanation
        if self.misconception:
            data["misconception"] = self.misconception
        if self.mistakes:
            data["mistakes"] = [
                {
                    "placed": m.placed,
                    "before": m.before,
                    "misconception": m.misconception,
                    "explanation": m.explanation,
                }
                for m in self.mistakes
            ]
        return data


@dataclass(frozen=True)
class QuizSpec:
    id: str
    version: int
    element_id: str
    title: str
    misconceptions: tuple[MisconceptionSpec, ...]
    questions: tuple[QuestionSpec, ...]
    path: str


_CHOICES_KEY = {
    QuestionKind.SINGLE: "options",
    QuestionKind.MULTIPLE: "options",
    QuestionKind.ORDER: "steps",
    QuestionKind.CLASSIFY: "items",
}
_COMMON_KEYS = ("id", "type", "scenario", "stem", "marking_points")
_KIND_KEYS = {
    QuestionKind.SINGLE: ("options",),
    QuestionKind.MULTIPLE: ("options",),
    QuestionKind.TRUE_FALSE: ("answer", "explanation", "misconception"),
    QuestionKind.ORDER: ("steps", "explanation", "misconception", "mistakes"),
    QuestionKind.CLASSIFY: ("categories", "items"),
}


def _choice_data(kind: QuestionKind, c: ChoiceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": c.id, "text": c.text}
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and c.correct:
        data["correct"] = True
    if c.category:
        data["category"] = c.category
    if c.misconception:
        data["misconception"] = c.misconception
    if c.explanation:
        data["explanation"] = c.explanation
    return data


def _optional_text(r: Record, key: str) -> str | None:
    return r.text(key) if r.has(key) and r.data[key] is not None else None


def _count(r: Record, key: str, items: tuple[Any, ...], low: int, high: int) -> None:
    if not low <= len(items) <= high:
        raise r.error(f"'{key}' needs between {low} and {high} entries, not {len(items)}", key)


def _distinct_texts(r: Record, key: str, texts: list[str]) -> None:
    """Two entries with the same words cannot be told apart, so the right one is unreachable."""
    seen: set[str] = set()
    for text in texts:
        folded = " ".join(text.casefold().split())
        if folded in seen:
            raise r.error(
                f"two entries of '{key}' read {text!r}: a learner cannot tell them apart", key
            )
        seen.add(folded)


def _options(r: Record, kind: QuestionKind) -> tuple[ChoiceSpec, ...]:
    seen: set[str] = set()
    options = []
    for o in r.records("options"):
        o.allow_keys("id", "text", "correct", "explanation", "misconception")
        correct = o.boolean("correct")
        misconception = _optional_text(o, "misconception")
        if not correct and misconception is None:
            raise o.error("a wrong option must name the misconception it reveals ('misconception')")
        if correct and misconception is not None and kind is QuestionKind.SINGLE:
            raise o.error("the correct option cannot name a misconception", "misconception")
        options.append(
            ChoiceSpec(
                id=read_id(o, seen),
                text=o.text("text"),
                correct=correct,
                explanation=o.text("explanation"),
                misconception=misconception,
            )
        )
    result = tuple(options)
    _count(r, "options", result, 2 if kind is QuestionKind.SINGLE else 3, 6)
    _distinct_texts(r, "options", [o.text for o in result])
    right = sum(o.correct for o in result)
    if kind is QuestionKind.SINGLE and right != 1:
        raise r.error(
            f"a question needs exactly one correct option, this one has {right}", "options"
        )
    if kind is QuestionKind.MULTIPLE and right == 0:
        raise r.error("a multiple-answer question needs at least one correct option", "options")
    if kind is QuestionKind.MULTIPLE and right == len(result):
        raise r.error("a multiple-answer question needs at least one wrong option", "options")
    return result


def _steps(r: Record) -> tuple[tuple[ChoiceSpec, ...], tuple[MistakeSpec, ...]]:
    seen: set[str] = set()
    steps = []
    for s in r.records("steps"):
        s.allow_keys("id", "text")
        steps.append(ChoiceSpec(id=read_id(s, seen), text=s.text("text")))
    result = tuple(steps)
    _count(r, "steps", result, 3, 6)
    _distinct_texts(r, "steps", [s.text for s in result])
    position = {s.id: n for n, s in enumerate(result)}
    mistakes = []
    for m in r.records("mistakes", required=False):
        m.allow_keys("placed", "before", "misconception", "explanation")
        placed, before = m.text("placed"), m.text("before")
        for key, value in (("placed", placed), ("before", before)):
            if value not in position:
                raise m.error(f"'{key}' names {value!r}, which is not a step", key)
        if position[placed] <= position[before]:
            # The right order itself would reveal this misconception.
            raise m.error(f"in the right order {placed!r} already comes before {before!r}")
        mistakes.append(MistakeSpec(placed, before, m.text("misconception"), m.text("explanation")))
    return result, tuple(mistakes)


def _classify(r: Record) -> tuple[tuple[CategorySpec, ...], tuple[ChoiceSpec, ...]]:
    seen: set[str] = set()
    categories = []
    for c in r.records("categories"):
        c.allow_keys("id", "label")
        categories.append(CategorySpec(id=read_id(c, seen), label=c.text("label")))
    cats = tuple(categories)
    _count(r, "categories", cats, 2, 4)
    _distinct_texts(r, "categories", [c.label for c in cats])
    known = {c.id for c in cats}
    seen = set()
    items = []
    for i in r.records("items"):
        i.allow_keys("id", "text", "category", "explanation", "misconception")
        category = i.text("category")
        if category not in known:
            raise i.error(f"'category' names {category!r}, which is not a category", "category")
        items.append(
            ChoiceSpec(
                id=read_id(i, seen),
                text=i.text("text"),
                category=category,
                explanation=i.text("explanation"),
                misconception=i.text("misconception"),
            )
        )
    result = tuple(items)
    _count(r, "items", result, 2, 8)
    _distinct_texts(r, "items", [i.text for i in result])
    return cats, result


def parse_question(r: Record, seen: set[str], stored: bool = False) -> QuestionSpec:
    qid = read_id(r, seen)
    kind_text = r.text("type", QuestionKind.SINGLE.value)
    try:
        kind = QuestionKind(kind_text)
    except ValueError:
        names = ", ".join(k.value for k in QuestionKind)
        raise r.error(f"unknown type {kind_text!r} (expected one of: {names})", "type") from None
    r.allow_keys(*_COMMON_KEYS, *_KIND_KEYS[kind])
    common: dict[str, Any] = {
        "id": qid,
        "kind": kind,
        "stem": r.text("stem"),
        "scenario": _optional_text(r, "scenario"),
        "marking_points": r.texts("marking_points", required=True),
        "line": r.line,
    }
    # Questions carried over from before marking points were stored have none; every
    # question written since, in a file or the browser, must name at least one.
    if not common["marking_points"] and not stored:
        raise r.error("name at least one marking point the question checks", "marking_points")
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return QuestionSpec(**common, choices=_options(r, kind))
    if kind is QuestionKind.TRUE_FALSE:
        if not isinstance(r.data.get("answer"), bool):
            raise r.error("'answer' must be true or false", "answer")
        return QuestionSpec(
            **common,
            answer=r.boolean("answer"),
            explanation=r.text("explanation"),
            misconception=r.text("misconception"),
        )
    if kind is QuestionKind.ORDER:
        steps, mistakes = _steps(r)
        return QuestionSpec(
            **common,
            choices=steps,
            mistakes=mistakes,
            explanation=r.text("explanation"),
            misconception=r.text("misconception"),
        )
    categories, items = _classify(r)
    return QuestionSpec(**common, categories=categories, choices=items)


def question_from_data(
    data: Mapping[str, Any], where: str = "question", stored: bool = False
) -> QuestionSpec:
    """A stored or submitted question, validated exactly as a file's question is."""
    return parse_question(record_from_data(data, where), set(), stored)


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
        questions=tuple(parse_question(q, seen) for q in r.records("questions")),
        path=str(path),
    )


def load_quizzes(directory: Path) -> list[QuizSpec]:
    return [parse_quiz(p) for p in sorted(directory.glob("*.yaml"))]


def check_question_refs(
    question: QuestionSpec, points: set[str], misconceptions: set[str], path: str
) -> None:
    """Every marking point and misconception a question names must exist for its element."""
    for point in question.marking_points:
        if point not in points:
            raise DataError(path, question.line, f"{point!r} is not a marking point here")
    for misconception in sorted(question.misconceptions()):
        if misconception not in misconceptions:
            raise DataError(path, question.line, f"unknown misconception {misconception!r}")


def check_quiz_refs(quiz: QuizSpec, qualifications: list[QualificationSpec]) -> None:
    element = next(
        (e for q in qualifications for e in q.elements() if e.id == quiz.element_id), None
    )
    if element is None:
        raise DataError(quiz.path, 1, f"unknown element {quiz.element_id!r}")
    points = {p.id for p in element.marking_points}
    misconceptions = {m.id for m in element.misconceptions} | {m.id for m in quiz.misconceptions}
    for question in quiz.questions:
        check_question_refs(question, points, misconceptions, quiz.path)
