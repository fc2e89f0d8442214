"""The answer form, built from an attempt's questions in the order the learner saw them.

One set of fields per question type. Values are positions in the shuffled order, never the
question's own ids, so the page gives away nothing about which answer is right."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectField

from portfolio.core.forms import CheckboxesField, choices
from portfolio.quizzes.marking import ResponseError, check_response
from portfolio.quizzes.services import ShownQuestion
from portfolio.quizzes.spec import QuestionKind

# Stands in for a value that maps to no choice, so the service refuses it and says why.
_UNKNOWN = "?"


class AttemptForm(FlaskForm):  # type: ignore[misc]
    """Fields added by build_attempt_form; a question's problems are kept per question."""

    shown: ClassVar[list[ShownQuestion]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question_errors: dict[int, str] = {}

    def fields_for(self, shown: ShownQuestion) -> list[Field]:
        prefix = f"q{shown.number}"
        return [f for f in self if f.name == prefix or f.name.startswith(prefix + "_")]

    def _choice_id(self, shown: ShownQuestion, value: object) -> str:
        try:
            position = int(str(value))
        except ValueError:
            return _UNKNOWN
        # A negative position would index from the end and pass for a real choice.
        return shown.order[position] if 0 <= position < len(shown.order) else _UNKNOWN

    def response_for(self, shown: ShownQuestion) -> dict[str, Any]:
        kind, name = shown.spec.kind, f"q{shown.number}"
        if kind is QuestionKind.TRUE_FALSE:
            return {"choice": self[name].data or ""}
        if kind is QuestionKind.SINGLE:
            value = self[name].data
            return {"choice": self._choice_id(shown, value) if value else ""}
        if kind is QuestionKind.MULTIPLE:
            return {"choices": [self._choice_id(shown, v) for v in self[name].data or []]}
        fields = [self[f"{name}_{n}"] for n in range(len(shown.order))]
        if kind is QuestionKind.ORDER:
            positions = [f.data for f in fields]
            if any(not p for p in positions):
                return {"order": []}
            # Checked before ranking: a tampered position that is not a number is refused.
            if sorted(positions) != sorted(str(p) for p in range(1, len(fields) + 1)):
                return {"order": []}
            ranked = sorted(range(len(fields)), key=lambda n: int(positions[n]))
            return {"order": [shown.order[n] for n in ranked]}
        items = {shown.order[n]: f.data for n, f in enumerate(fields) if f.data}
        return {"items": items}

    def responses(self) -> dict[str, dict[str, Any]]:
        return {s.question.id: self.response_for(s) for s in self.shown if s.answer is None}

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for shown in self.shown:
            if shown.answer is not None:
                continue
            try:
                check_response(shown.spec, self.response_for(shown))
            except ResponseError as exc:
                self.question_errors[shown.number] = str(exc)
                valid = False
        return valid


def _fields(shown: ShownQuestion) -> dict[str, Field]:
    spec, name = shown.spec, f"q{shown.number}"
    label = f"{shown.number}. {spec.stem}"
    # validate_choice is off: the service checks every value and explains a tampered one.
    if spec.kind is QuestionKind.TRUE_FALSE:
        pairs = [("true", "True"), ("false", "False")]
        return {name: RadioField(label, choices=choices(pairs), validate_choice=False)}
    shown_choices = [(str(n), text) for n, text in shown.shown_choices]
    if spec.kind is QuestionKind.SINGLE:
        return {name: RadioField(label, choices=choices(shown_choices), validate_choice=False)}
    if spec.kind is QuestionKind.MULTIPLE:
        return {name: CheckboxesField(label, choices=choices(shown_choices), validate_choice=False)}
    if spec.kind is QuestionKind.ORDER:
        positions = [("", "Choose a position")] + [
            (str(p), str(p)) for p in range(1, len(shown_choices) + 1)
        ]
        return {
            f"{name}_{n}": SelectField(text, choices=choices(positions), validate_choice=False)
            for n, text in shown.shown_choices
        }
    categories = [(c.id, c.label) for c in spec.categories]
    return {
        f"{name}_{n}": RadioField(text, choices=choices(categories), validate_choice=False)
        for n, text in shown.shown_choices
    }


def build_attempt_form(shown: list[ShownQuestion]) -> AttemptForm:
    fields: dict[str, object] = {"shown": shown}
    for question in shown:
        if question.answer is None:
            fields.update(_fields(question))
    form_class = type("BuiltAttemptForm", (AttemptForm,), fields)
    return form_class()  # type: ignore[no-any-return]
