"""The rows and fields a question editor is built from: one row class per kind of list entry
(option, step, mistake, category, item), and for each question type which lists and fields
it asks for, in the order a tutor fills them in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wtforms import BooleanField, Form, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.core import Field
from wtforms.validators import Length, Optional

from portfolio.core.forms import choices
from portfolio.quizzes.spec import QuestionKind

MAX_ROWS = 20  # more than any type allows (8 items), so a tutor sees the spec's own limit
TEXT_MAX, LONG_MAX = 1000, 4000
_LABEL_MAX = 80  # of a row's text shown as a choice in another row's select


def strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def text_field(label: str, max_length: int = TEXT_MAX, **kwargs: Any) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=max_length)],
        filters=[strip],
        render_kw={"rows": 2},
        **kwargs,
    )


def misconception_field(label: str, **kwargs: Any) -> SelectField:
    # Values are checked by References.check, which says which misconception is not allowed.
    return SelectField(label, validate_choice=False, **kwargs)


class Row(Form):  # type: ignore[misc]
    """One row of a list in the editor. A row left blank is ignored."""

    # The choice's id in the file format, kept across edits so the history reads well.
    key = HiddenField()

    def is_blank(self) -> bool:
        return not any(f.data for f in self if f.name != self.key.name)

    def to_data(self) -> dict[str, Any]:
        raise NotImplementedError

    def _present(self, **values: object) -> dict[str, Any]:
        """Blank values are left out, so the spec says "'text' is required"."""
        return {k: v for k, v in values.items() if v not in (None, "", False)}


class OptionRow(Row):
    text = text_field("Option text")
    correct = BooleanField("This option is correct")
    misconception = misconception_field("Misconception choosing it reveals")
    explanation = text_field(
        "Explanation", LONG_MAX, description="Shown to the learner after answering."
    )

    def to_data(self) -> dict[str, Any]:
        return self._present(
            id=self.key.data,
            text=self.text.data,
            correct=bool(self.correct.data),
            misconception=self.misconception.data,
            explanation=self.explanation.data,
        )


class StepRow(Row):
    text = text_field("Step text")

    def to_data(self) -> dict[str, Any]:
        return self._present(id=self.key.data, text=self.text.data)


class MistakeRow(Row):
    placed = SelectField("Step put too early", validate_choice=False)
    before = SelectField("Ahead of step", validate_choice=False)
    misconception = misconception_field("Misconception that reveals")
    explanation = text_field("Explanation", LONG_MAX)

    def to_data(self) -> dict[str, Any]:
        return self._present(
            placed=self.placed.data,
            before=self.before.data,
            misconception=self.misconception.data,
            explanation=self.explanation.data,
        )


class CategoryRow(Row):
    label = StringField("Category label", validators=[Length(max=200)], filters=[strip])

    def to_data(self) -> dict[str, Any]:
        return self._present(id=self.key.data, label=self.label.data)


class ItemRow(Row):
    text = text_field("Item text")
    category = SelectField("Right category", validate_choice=False)
    misconception = misconception_field("Misconception a wrong category reveals")
    explanation = text_field(
        "Explanation", LONG_MAX, description="Shown to the learner after answering."
    )

    def to_data(self) -> dict[str, Any]:
        return self._present(
            id=self.key.data,
            text=self.text.data,
            category=self.category.data,
            misconception=self.misconception.data,
            explanation=self.explanation.data,
        )


@dataclass(frozen=True)
class RowGroup:
    """A list of rows: its key in the file format, how each row is filled in, and how many
    rows a new question starts with."""

    key: str
    row: type[Row]
    legend: str
    noun: str
    hint: str
    minimum: int = 0
    key_prefix: str = ""  # generated ids: "" means letters a, b, c ...


def _options(hint: str, minimum: int) -> RowGroup:
    return RowGroup("options", OptionRow, "Options", "Option", hint, minimum)


_STEPS = RowGroup(
    "steps",
    StepRow,
    "Steps, in the right order",
    "Step",
    "3 to 6 steps, the first step first. Learners see them shuffled.",
    3,
    "s",
)
_MISTAKES = RowGroup(
    "mistakes",
    MistakeRow,
    "Specific mistakes (optional)",
    "Mistake",
    "Putting one step ahead of another it should follow can reveal a misconception of its "
    "own, with its own explanation. Leave these rows blank if there is none.",
    0,
    "m",  # never stored: a mistake is named by the steps it concerns
)
_CATEGORIES = RowGroup(
    "categories", CategoryRow, "Categories", "Category", "2 to 4 categories.", 2, "c"
)
_ITEMS = RowGroup(
    "items",
    ItemRow,
    "Items to sort",
    "Item",
    "2 to 8 items. For each: its right category, the misconception putting it in another "
    "category reveals, and an explanation.",
    2,
    "i",
)
_EXPLANATION_ALWAYS = "Why, shown to the learner whatever they answered."
_AFTER_ANSWERING = "Shown to the learner after answering."

# What each type asks for after the stem, scenario and marking points, in the order a tutor
# fills it in: a RowGroup, or a field made fresh for each form class.
FieldMaker = Callable[[], Field]
LAYOUT: dict[QuestionKind, tuple[RowGroup | tuple[str, FieldMaker], ...]] = {
    QuestionKind.SINGLE: (
        _options(
            "2 to 6 options. Tick the one correct option. Every wrong option names the "
            "misconception choosing it reveals, and every option has an explanation.",
            2,
        ),
    ),
    QuestionKind.MULTIPLE: (
        _options(
            "3 to 6 options. Tick every correct option: at least one, but not all. A wrong "
            "option names the misconception choosing it reveals; a correct one may name the "
            "misconception leaving it out reveals. Every option has an explanation.",
            3,
        ),
    ),
    QuestionKind.TRUE_FALSE: (
        (
            "answer",
            lambda: SelectField(
                "The statement is",
                choices=choices(
                    [("", "Choose true or false"), ("true", "True"), ("false", "False")]
                ),
                validate_choice=False,
            ),
        ),
        (
            "explanation",
            lambda: text_field("Explanation", LONG_MAX, description=_EXPLANATION_ALWAYS),
        ),
        ("misconception", lambda: misconception_field("Misconception a wrong answer reveals")),
    ),
    QuestionKind.ORDER: (
        _STEPS,
        (
            "explanation",
            lambda: text_field("Explanation", LONG_MAX, description=_EXPLANATION_ALWAYS),
        ),
        ("misconception", lambda: misconception_field("Misconception a wrong order reveals")),
        _MISTAKES,
    ),
    QuestionKind.CLASSIFY: (_CATEGORIES, _ITEMS),
}


def short(text: str) -> str:
    return text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1].rstrip() + "…"


def numbered(noun: str, n: int, text: str | None) -> str:
    """A row as a choice in another row's select: by number, since blank rows have no text
    yet, and by what it says once it does."""
    return f"{noun} {n}: {short(text)}" if text else f"{noun} {n} (not filled in yet)"


def fresh_key(group: RowGroup, used: set[str]) -> str:
    """An id no row of the list has: a, b, c ... for options, as in the files; else s1, c1..."""
    if not group.key_prefix:
        letter = next((chr(c) for c in range(ord("a"), ord("z") + 1) if chr(c) not in used), "")
        if letter:
            return letter
    prefix, n = group.key_prefix or "o", 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"
