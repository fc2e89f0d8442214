"""Demo quiz history: a cohort of learners who have taken tests, so a first run shows the
tutor's analytics (facility, discrimination, misconceptions, the group heatmap) with numbers
in them. Answers go through the same services as a learner's, so every rule applies."""

from __future__ import annotations

import random
from collections.abc import Sequence

from portfolio.auth.models import User
from portfolio.quizzes import services
from portfolio.quizzes.marking import right_answer
from portfolio.quizzes.models import AttemptMode, Quiz
from portfolio.quizzes.spec import QuestionKind, QuestionSpec


def _wrong_answer(spec: QuestionSpec, rng: random.Random) -> dict[str, object]:
    """A wrong response that reveals a misconception, as a learner holding it would give."""
    ids = [c.id for c in spec.choices]
    if spec.kind is QuestionKind.SINGLE:
        return {"choice": rng.choice([c.id for c in spec.choices if not c.correct])}
    if spec.kind is QuestionKind.TRUE_FALSE:
        return {"choice": "false" if spec.answer else "true"}
    if spec.kind is QuestionKind.MULTIPLE:
        wrong = [c.id for c in spec.choices if not c.correct]
        return {"choices": [rng.choice(wrong)]}
    if spec.kind is QuestionKind.ORDER:
        return {"order": ids[1:] + ids[:1]}
    categories = [c.id for c in spec.categories]
    items = {c.id: c.category for c in spec.choices}
    first = spec.choices[0]
    items[first.id] = next(c for c in categories if c != first.category)
    return {"items": items}


def seed_demo_attempts(learners: Sequence[User], quizzes: Sequence[Quiz], seed: int = 7) -> int:
    """Each learner takes each quiz once as a test; a learner's strength decides how often
    they answer right. Seeded, so every demo shows the same numbers. Returns attempts made."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    made = 0
    for n, learner in enumerate(learners):
        strength = 0.35 + 0.6 * n / max(1, len(learners) - 1)
        for quiz in quizzes:
            attempt = services.start_attempt(learner, quiz, AttemptMode.TEST)
            responses = {}
            for shown in services.shown_questions(attempt):
                right = rng.random() < strength
                responses[shown.question.id] = (
                    right_answer(shown.spec) if right else _wrong_answer(shown.spec, rng)
                )
            services.submit_attempt(attempt, responses)
            made += 1
    return made
