"""The answer form, built from an attempt's questions in the order the learner saw them."""

from __future__ import annotations

from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import RadioField

from portfolio.core.forms import choices
from portfolio.quizzes.models import Option, Question


class AttemptForm(FlaskForm):  # type: ignore[misc]
    """One radio group per question, added by build_attempt_form."""

    question_ids: ClassVar[dict[str, str]] = {}

    def chosen(self) -> dict[str, str]:
        return {qid: self[name].data for name, qid in self.question_ids.items() if self[name].data}

    def question_fields(self) -> list[RadioField]:
        return [self[name] for name in self.question_ids]


def build_attempt_form(questions: list[tuple[Question, list[Option]]]) -> AttemptForm:
    fields: dict[str, object] = {"question_ids": {}}
    for number, (question, options) in enumerate(questions, start=1):
        name = f"q{number}"
        fields["question_ids"][name] = question.id  # type: ignore[index]
        # validate_choice is off: the service checks ids and explains a tampered one.
        fields[name] = RadioField(
            f"{number}. {question.stem}",
            choices=choices((o.id, o.text) for o in options),
            validate_choice=False,
        )
    form_class = type("BuiltAttemptForm", (AttemptForm,), fields)
    return form_class()  # type: ignore[no-any-return]
