"""What a learner reads after answering: their answer, the right one, and each misconception
it revealed with why it is wrong and where to revise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portfolio.content import services as content
from portfolio.content.models import Page
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Misconception
from portfolio.quizzes.marking import describe, mark, right_answer, why
from portfolio.quizzes.services import ShownQuestion


@dataclass(frozen=True)
class RevealedFeedback:
    misconception: Misconception
    explanation: str
    pages: Sequence[Page]


@dataclass(frozen=True)
class Feedback:
    shown: ShownQuestion
    correct: bool
    your_answer: list[str]
    right_answer: list[str]
    why: list[str]
    revealed: list[RevealedFeedback]


def pages_correcting(misconception: Misconception) -> Sequence[Page]:
    """The published pages that correct this misconception, else its element's pages."""
    return content.pages_for_misconception(misconception.id) or content.pages_for_element(
        misconception.element_id
    )


def pages_correcting_each(misconceptions: Sequence[Misconception]) -> dict[str, list[Page]]:
    """pages_correcting for many misconceptions at once, in two statements."""
    return content.pages_correcting(misconceptions)


def feedback_for(shown: ShownQuestion) -> Feedback | None:
    """None until the question is answered."""
    if shown.answer is None:
        return None
    spec, response = shown.spec, shown.answer.response
    marking = mark(spec, response)
    revealed = []
    for r in marking.revealed:
        misconception = qualifications.get_misconception(r.misconception_id)
        if misconception is not None:
            revealed.append(
                RevealedFeedback(misconception, r.explanation, pages_correcting(misconception))
            )
    return Feedback(
        shown=shown,
        correct=shown.answer.is_correct,
        your_answer=describe(spec, response),
        right_answer=describe(spec, right_answer(spec)),
        why=why(spec),
        revealed=revealed,
    )
