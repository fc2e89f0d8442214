"""What the quiz tests share: a right or a wrong response to any question in the question's own
ids, and the same response as the form fields a learner fills in (positions, never ids)."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask

from portfolio.extensions import db
from portfolio.quizzes import services
from portfolio.quizzes.marking import mark, right_answer
from portfolio.quizzes.models import Attempt
from portfolio.quizzes.spec import QuestionKind, QuestionSpec

Response = dict[str, Any]


def right(spec: QuestionSpec) -> Response:
    return right_answer(spec)


def _candidates(spec: QuestionSpec) -> Iterator[Response]:
    """Responses that differ from the right one, the smallest changes first."""
    ids = [c.id for c in spec.choices]
    if spec.kind is QuestionKind.TRUE_FALSE:
        yield {"choice": "false" if spec.answer else "true"}
    elif spec.kind is QuestionKind.SINGLE:
        yield from ({"choice": c.id} for c in spec.choices if not c.correct)
    elif spec.kind is QuestionKind.MULTIPLE:
        chosen = {c.id for c in spec.choices if c.correct}
        for c in spec.choices:
            toggled = chosen ^ {c.id}
            if toggled:
                yield {"choices": [i for i in ids if i in toggled]}
    elif spec.kind is QuestionKind.ORDER:
        for m in spec.mistakes:
            order = [i for i in ids if i != m.placed]
            order.insert(order.index(m.before), m.placed)
            yield {"order": order}
        yield from ({"order": list(p)} for p in itertools.permutations(ids))
    else:
        for c in spec.choices:
            for other in spec.categories:
                if other.id != c.category:
                    yield {
                        "items": {i.id: other.id if i is c else i.category for i in spec.choices}
                    }


def wrong(spec: QuestionSpec, misconception: str | None = None, only: bool = False) -> Response:
    """A wrong response that reveals `misconception` (or, without one, any misconception);
    with `only`, one that reveals nothing else."""
    for response in _candidates(spec):
        marking = mark(spec, response)
        revealed = [r.misconception_id for r in marking.revealed]
        if marking.correct or not revealed:
            continue
        if misconception is None or (
            misconception in revealed and (not only or revealed == [misconception])
        ):
            return response
    raise AssertionError(f"no wrong answer to {spec.id} reveals {misconception or 'anything'}")


@dataclass(frozen=True)
class Shown:
    """One question of an attempt as the learner's page shows it, usable outside the app."""

    number: int
    question_id: str
    spec: QuestionSpec
    order: list[str]


def shown(app: Flask, attempt_id: int) -> list[Shown]:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        return [
            Shown(s.number, s.question.id, s.spec, s.order)
            for s in services.shown_questions(attempt)
        ]


def fields(s: Shown, response: Response) -> dict[str, Any]:
    """The form fields that give `response` to question `s`: positions in the shuffled order."""
    name = f"q{s.number}"
    kind = s.spec.kind
    if kind is QuestionKind.TRUE_FALSE:
        return {name: response["choice"]}
    if kind is QuestionKind.SINGLE:
        return {name: str(s.order.index(response["choice"]))}
    if kind is QuestionKind.MULTIPLE:
        return {name: [str(s.order.index(i)) for i in response["choices"]]}
    if kind is QuestionKind.ORDER:
        given = response["order"]
        return {f"{name}_{n}": str(given.index(i) + 1) for n, i in enumerate(s.order)}
    return {f"{name}_{n}": response["items"][i] for n, i in enumerate(s.order)}


def form(questions: list[Shown], wrong_numbers: Collection[int] = ()) -> dict[str, Any]:
    """Every question answered, right except the numbers in `wrong_numbers`."""
    data: dict[str, Any] = {}
    for s in questions:
        data |= fields(s, wrong(s.spec) if s.number in wrong_numbers else right(s.spec))
    return data
