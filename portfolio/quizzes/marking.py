"""Marking one response to one question, whatever its type, and saying what it reveals.

A response is plain data in terms of the question's own ids:
  single, true_false: {"choice": id}  ("true" or "false" for true_false)
  multiple:           {"choices": [id, ...]}
  order:              {"order": [step id, ...]}
  classify:           {"items": {item id: category id}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portfolio.quizzes.spec import QuestionKind, QuestionSpec


class ResponseError(ValueError):
    """A response that does not fit its question: unanswered, or naming ids it does not have."""


@dataclass(frozen=True)
class Revealed:
    misconception_id: str
    explanation: str


@dataclass(frozen=True)
class Marking:
    correct: bool
    revealed: tuple[Revealed, ...]


def check_response(question: QuestionSpec, response: Mapping[str, Any]) -> dict[str, Any]:
    """The response in canonical form, or ResponseError saying what is wrong with it."""
    ids = [c.id for c in question.choices]
    kind = question.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE):
        allowed = ["true", "false"] if kind is QuestionKind.TRUE_FALSE else ids
        choice = response.get("choice")
        if not choice:
            raise ResponseError("Choose an answer.")
        if choice not in allowed:
            raise ResponseError("The answer named an option that does not belong to its question.")
        return {"choice": choice}
    if kind is QuestionKind.MULTIPLE:
        choices = response.get("choices") or []
        if not isinstance(choices, list) or not choices:
            raise ResponseError("Choose at least one answer.")
        if not set(choices) <= set(ids) or len(set(choices)) != len(choices):
            raise ResponseError("The answer named an option that does not belong to its question.")
        return {"choices": sorted(choices, key=ids.index)}
    if kind is QuestionKind.ORDER:
        order = response.get("order") or []
        if not isinstance(order, list) or sorted(order) != sorted(ids):
            raise ResponseError("Give each step a different position, from 1 to the last.")
        return {"order": list(order)}
    items = response.get("items") or {}
    categories = {c.id for c in question.categories}
    if not isinstance(items, Mapping) or set(items) != set(ids):
        raise ResponseError("Put every item in a category.")
    if not set(items.values()) <= categories:
        raise ResponseError("An item was put in a category that does not belong to its question.")
    return {"items": {i: items[i] for i in ids}}


def mark(question: QuestionSpec, response: Mapping[str, Any]) -> Marking:
    """Right or wrong, and each misconception the response reveals with why it is wrong."""
    response = check_response(question, response)
    revealed: list[Revealed] = []
    kind = question.kind
    if kind is QuestionKind.SINGLE:
        chosen = next(c for c in question.choices if c.id == response["choice"])
        correct = chosen.correct
        if not correct and chosen.misconception:
            revealed.append(Revealed(chosen.misconception, chosen.explanation))
    elif kind is QuestionKind.TRUE_FALSE:
        correct = (response["choice"] == "true") == question.answer
        if not correct and question.misconception:
            revealed.append(Revealed(question.misconception, question.explanation))
    elif kind is QuestionKind.MULTIPLE:
        chosen_ids = set(response["choices"])
        correct = chosen_ids == {c.id for c in question.choices if c.correct}
        for c in question.choices:
            # A wrong option chosen, or a right one left out, shows its misconception.
            if c.misconception and (c.id in chosen_ids) != c.correct:
                revealed.append(Revealed(c.misconception, c.explanation))
    elif kind is QuestionKind.ORDER:
        given = response["order"]
        correct = given == [c.id for c in question.choices]
        for m in question.mistakes:
            if given.index(m.placed) < given.index(m.before):
                revealed.append(Revealed(m.misconception, m.explanation))
        if not correct and not revealed and question.misconception:
            revealed.append(Revealed(question.misconception, question.explanation))
    else:
        placed = response["items"]
        wrong = [c for c in question.choices if placed[c.id] != c.category]
        correct = not wrong
        revealed += [Revealed(c.misconception, c.explanation) for c in wrong if c.misconception]
    unique: dict[str, Revealed] = {}
    for r in revealed:
        unique.setdefault(r.misconception_id, r)
    return Marking(correct=correct, revealed=tuple(unique.values()))


def describe(question: QuestionSpec, response: Mapping[str, Any]) -> list[str]:
    """The response in words, a line per part, for the feedback and results pages."""
    text = {c.id: c.text for c in question.choices}
    labels = {c.id: c.label for c in question.categories}
    kind = question.kind
    if kind is QuestionKind.TRUE_FALSE:
        return ["True" if response.get("choice") == "true" else "False"]
    if kind is QuestionKind.SINGLE:
        return [text.get(response.get("choice", ""), "")]
    if kind is QuestionKind.MULTIPLE:
        return [text[i] for i in response.get("choices", []) if i in text]
    if kind is QuestionKind.ORDER:
        return [f"{n}. {text[i]}" for n, i in enumerate(response.get("order", []), 1) if i in text]
    items = response.get("items", {})
    return [f"{text[i]} — {labels.get(c, c)}" for i, c in items.items() if i in text]


def right_answer(question: QuestionSpec) -> dict[str, Any]:
    kind = question.kind
    if kind is QuestionKind.TRUE_FALSE:
        return {"choice": "true" if question.answer else "false"}
    if kind is QuestionKind.SINGLE:
        return {"choice": next(c.id for c in question.choices if c.correct)}
    if kind is QuestionKind.MULTIPLE:
        return {"choices": [c.id for c in question.choices if c.correct]}
    if kind is QuestionKind.ORDER:
        return {"order": [c.id for c in question.choices]}
    return {"items": {c.id: c.category for c in question.choices}}


def why(question: QuestionSpec) -> list[str]:
    """The teaching behind the right answer, shown with the feedback."""
    kind = question.kind
    if kind in (QuestionKind.TRUE_FALSE, QuestionKind.ORDER):
        return [question.explanation]
    if kind is QuestionKind.CLASSIFY:
        labels = {c.id: c.label for c in question.categories}
        return [
            f"{c.text} — {labels.get(c.category or '', '')}: {c.explanation}"
            for c in question.choices
        ]
    return [c.explanation for c in question.choices if c.correct]
