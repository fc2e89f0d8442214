"""The fields of an evidence form, one field class per field type of the spec, and the small
form each row of a rows section is. Saving refuses only what must never be stored (over-long
text, values no option offers); everything else is kept as typed and checked at submission."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from wtforms import FieldList, Form, FormField, RadioField, StringField, TextAreaField
from wtforms.fields.core import Field
from wtforms.validators import Length, ValidationError
from wtforms.widgets import TextInput

from portfolio.core.forms import CheckboxesField, choices
from portfolio.evidence.spec import FieldType, SectionSpec

# Rough ceiling on characters per word, so a pasted novel is refused before it is stored.
_CHARS_PER_WORD = 12
# Dates, numbers and amounts are short; anything longer is not one, whatever it is.
_SHORT_VALUE_CHARS = 40
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YES_NO = (("yes", "Yes"), ("no", "No"))
_NOUNS = {FieldType.DATE: "a date", FieldType.NUMBER: "a number", FieldType.MONEY: "an amount"}


class DateOrTextInput(TextInput):  # type: ignore[misc]
    """A date picker, unless the saved value is not a picker's date (typed in a browser with
    no picker, say): then a text box, so what was typed is shown and can be corrected rather
    than silently blanked by the browser."""

    def __call__(self, field: Field, **kwargs: Any) -> Any:
        value = field._value()
        kwargs.setdefault("type", "date" if not value or _ISO_DATE.match(value) else "text")
        return super().__call__(field, **kwargs)


class _OneOf:
    """A value must be an option shown, or nothing; blanks are left to the submit checks."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = frozenset(ids)

    def __call__(self, form: Form, field: Field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(v not in self.ids for v in values if v):
            raise ValidationError("Choose from the options shown.")


def _hint(section: SectionSpec) -> str:
    parts = [section.prompt, section.guidance]
    kind = section.type
    if section.is_text:
        if section.min_words > 1:
            parts.append(f"({section.min_words} to {section.max_words} words.)")
        else:
            parts.append(f"(Up to {section.max_words} words.)")
    elif kind is FieldType.DATE:
        parts.append("For example, 14/3/2026.")
    elif kind is FieldType.MONEY:
        parts.append("In pounds and pence, for example 24.99.")
    elif kind is FieldType.NUMBER:
        if section.min is not None and section.max is not None:
            parts.append(f"A number from {section.min} to {section.max}.")
        else:
            parts.append("A number, for example 3.")
    elif kind is FieldType.MULTI_CHOICE:
        parts.append("Tick all that apply.")
    elif kind is FieldType.ROWS:
        parts.append(
            f"Fill in one {section.row_label.lower()} at a time; use “Add a row” for another "
            f"(up to {section.max_rows}). Blank rows are left out."
        )
    return " ".join(p for p in parts if p)


def _label(section: SectionSpec) -> str:
    return section.label if section.required else f"{section.label} (optional)"


def section_field(section: SectionSpec) -> Field:
    """The field for one section or column of any type but rows."""
    label, hint, kind = _label(section), _hint(section), section.type
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        chars = section.max_words * _CHARS_PER_WORD
        limit = Length(
            max=chars,
            message=f"Field cannot be longer than {chars} characters (about "
            f"{section.max_words} words). Nothing was saved: shorten it and save again.",
        )
        # No maxlength attribute: a browser would cut a long paste short without a word. The
        # server refuses it instead, says why, and shows everything that was typed.
        if kind is FieldType.TEXT:
            return StringField(
                label, validators=[limit], description=hint, render_kw={"maxlength": False}
            )
        return TextAreaField(
            label,
            validators=[limit],
            description=hint,
            render_kw={
                "rows": 8,
                "maxlength": False,
                "data-min-words": section.min_words,
                "data-max-words": section.max_words,
            },
        )
    if kind in (FieldType.CHOICE, FieldType.YES_NO):
        pairs = [(o.id, o.label) for o in section.options] if kind is FieldType.CHOICE else _YES_NO
        return RadioField(
            label,
            choices=choices(pairs),
            validate_choice=False,
            validators=[_OneOf(p[0] for p in pairs)],
            description=hint,
        )
    if kind is FieldType.MULTI_CHOICE:
        return CheckboxesField(
            label,
            choices=choices((o.id, o.label) for o in section.options),
            validate_choice=False,
            validators=[_OneOf(o.id for o in section.options)],
            description=hint,
        )
    short = Length(
        max=_SHORT_VALUE_CHARS,
        message=f"This is too long to be {_NOUNS.get(kind, 'an answer')}: at most "
        f"{_SHORT_VALUE_CHARS} characters. Nothing was saved.",
    )
    if kind is FieldType.DATE:
        return StringField(label, validators=[short], description=hint, widget=DateOrTextInput())
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        # Text, not type=number, so what was typed ("£24.99", "about 3") reaches the server
        # and is kept; the submit checks say what is wrong with it.
        return StringField(
            label,
            validators=[short],
            description=hint,
            render_kw={"inputmode": "decimal", "autocomplete": "off"},
        )
    raise ValueError(f"no field for {kind}")  # rows are built by rows_field


class RowForm(Form):  # type: ignore[misc]
    """One row of a rows section; its fields are the section's columns."""

    column_ids: ClassVar[tuple[str, ...]] = ()

    def values(self) -> dict[str, str]:
        return {c: text_of(self[c].data) for c in self.column_ids}


def text_of(data: object) -> str:
    return data if isinstance(data, str) else ""


def rows_field(section: SectionSpec) -> FieldList:
    """A rows section: a list of row forms, one field per column."""
    row_fields: dict[str, Any] = {c.id: section_field(c) for c in section.columns}
    row_fields["column_ids"] = tuple(c.id for c in section.columns)
    row_class = type(f"{class_name(section.id)}Row", (RowForm,), row_fields)
    return FieldList(FormField(row_class), label=_label(section), description=_hint(section))


def class_name(identifier: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", identifier))
