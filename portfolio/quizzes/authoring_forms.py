"""The tutor's question editor, built from data: one form class per question type, made by
build_question_form from that type's rows and fields. What was typed becomes the quiz file
format and is checked by the same code as a file (References.check); each fault is shown
next to the field, row or list it names, and everything typed is kept."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import request
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, HiddenField, SelectField, StringField
from wtforms.fields.core import Field
from wtforms.validators import InputRequired, Length, Optional

from portfolio.core.datafile import DataError
from portfolio.core.forms import CheckboxesField, choices
from portfolio.quizzes.authoring import References
from portfolio.quizzes.authoring_rows import (
    LAYOUT,
    LONG_MAX,
    MAX_ROWS,
    RowGroup,
    fresh_key,
    numbered,
    short,
    strip,
    text_field,
)
from portfolio.quizzes.models import QuestionStatus
from portfolio.quizzes.spec import QuestionKind, QuestionSpec

STATUS_HINT = (
    "Learners are given a question only while it is published. Archiving takes it out of new "
    "attempts; answers already given are kept."
)


@dataclass(frozen=True)
class Problem:
    """An entry of the error summary that links to where the fault is shown."""

    href: str
    text: str


class QuestionForm(FlaskForm):  # type: ignore[misc]
    """Fields are added by build_question_form. After validate(), `spec` is the question
    when it is valid; faults are on the fields, in `row_errors` (by row or list id) and in
    `problems` (no field of their own)."""

    kind: ClassVar[QuestionKind]
    groups: ClassVar[tuple[RowGroup, ...]]
    layout: ClassVar[tuple[str, ...]]

    def __init__(self, refs: References, local_id: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refs, self.local_id = refs, local_id
        self.spec: QuestionSpec | None = None
        self.row_errors: dict[str, list[str]] = {}
        self.problems: list[str] = []
        self._rows: dict[str, list[int]] = {}  # data index -> row index, per list
        # Which button was pressed: "save", "preview" or "add:<list key>".
        self.action = request.form.get("action", "save") if self.is_submitted() else ""
        if not self.is_submitted():
            for group in self.groups:
                field = self[group.key]
                for _ in range(max(2, group.minimum - len(field.entries))):
                    self._append(group)
        self._refresh_choices()

    # --- Rows ------------------------------------------------------------------------------

    def group(self, key: str) -> RowGroup | None:
        return next((g for g in self.groups if g.key == key), None)

    def _append(self, group: RowGroup) -> None:
        field = self[group.key]
        used = {e.form.key.data for e in field.entries}
        field.append_entry({"key": fresh_key(group, used)})

    def add_row(self, key: str) -> bool:
        """One more blank row in the list `key`; False if there is no such list."""
        group = self.group(key)
        if group is None:
            return False
        if len(self[key].entries) >= MAX_ROWS:
            self.row_errors.setdefault(key, []).append(f"There can be at most {MAX_ROWS} rows.")
            return True
        self._append(group)
        self._refresh_choices()
        return True

    def _refresh_choices(self) -> None:
        named = [(m.id, f"{short(m.text)} ({m.id})") for m in self.refs.misconceptions]
        self.marking_points.choices = choices((p.id, f"{p.id}: {p.text}") for p in self.refs.points)
        if "misconception" in self:
            self["misconception"].choices = choices([("", "Choose a misconception"), *named])
        for group in self.groups:
            for entry in self[group.key].entries:
                row = entry.form
                if "misconception" in row:
                    blank = "None (a correct option)" if group.key == "options" else "Choose one"
                    row.misconception.choices = choices([("", blank), *named])
        if "categories" in self:
            cats = [
                (e.form.key.data, numbered("Category", n, e.form.label.data))
                for n, e in enumerate(self["categories"].entries, start=1)
            ]
            for entry in self["items"].entries:
                entry.form.category.choices = choices([("", "Choose a category"), *cats])
        if "steps" in self:
            steps = [
                (e.form.key.data, numbered("Step", n, e.form.text.data))
                for n, e in enumerate(self["steps"].entries, start=1)
            ]
            for entry in self["mistakes"].entries:
                entry.form.placed.choices = choices([("", "Choose a step"), *steps])
                entry.form.before.choices = choices([("", "Choose a step"), *steps])

    # --- Data ------------------------------------------------------------------------------

    def question_data(self) -> dict[str, Any]:
        """What was typed, in the quiz file format; blank rows and blank values left out."""
        data: dict[str, Any] = {"id": self.local_id, "type": self.kind.value}
        if self.scenario.data:
            data["scenario"] = self.scenario.data
        if self.stem.data:
            data["stem"] = self.stem.data
        data["marking_points"] = list(self.marking_points.data or [])
        for name in self.layout:
            if self.group(name) is not None:
                entries = self[name].entries
                self._rows[name] = [n for n, e in enumerate(entries) if not e.form.is_blank()]
                data[name] = [entries[n].form.to_data() for n in self._rows[name]]
            elif name == "answer":
                if self.answer.data in ("true", "false"):
                    data["answer"] = self.answer.data == "true"
            elif self[name].data:
                data[name] = self[name].data
        if not data.get("mistakes", True):
            del data["mistakes"]
        return data

    @property
    def status_value(self) -> QuestionStatus:
        return QuestionStatus(self.status.data)

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for group in self.groups:
            # Shown row by row (summary), not as the list's nested error lists.
            self[group.key].errors = []
        try:
            spec = self.refs.check(self.question_data())
        except DataError as exc:
            self.place_error(exc.field, exc.message)
            valid = False
        else:
            self.spec = spec if valid else None
        return valid

    # --- Errors ----------------------------------------------------------------------------

    def place_error(self, where: str, message: str) -> None:
        """Show `message` next to what `where` names: "stem", "options" (the list),
        "options[1]" (a row) or "options[1].text" (a row's field)."""
        match = re.fullmatch(r"(\w+)(?:\[(\d+)\](?:\.(\w+))?)?", where or "")
        name, index, sub = match.groups() if match else ("", None, None)
        if self.group(name) is not None:
            rows = self._rows.get(name, [])
            if index is None:
                self.row_errors.setdefault(name, []).append(message)
                return
            if int(index) < len(rows):
                entry = self[name].entries[rows[int(index)]]
                if sub and sub != "key" and sub in entry.form:
                    _add_error(entry.form[sub], message)
                else:
                    self.row_errors.setdefault(entry.id, []).append(message)
                return
        elif name and name in self and name not in ("csrf_token", "version"):
            _add_error(self[name], message)
            return
        self.problems.append(message)

    def summary(self) -> list[Problem | str]:
        """The error summary's entries the shared macro cannot find by itself: faults of
        lists, rows and their fields, and faults with no field."""
        found: list[Problem | str] = list(self.problems)
        for group in self.groups:
            field = self[group.key]
            found += [Problem(group.key, f"{group.legend}: {m}") for m in self.errors_of(group.key)]
            for n, entry in enumerate(field.entries, start=1):
                where = f"{group.noun} {n}"
                found += [Problem(entry.id, f"{where}: {m}") for m in self.errors_of(entry.id)]
                for sub in entry.form:
                    found += [
                        Problem(sub.id, f"{where}, {sub.label.text}: {m}") for m in sub.errors
                    ]
        return found

    def errors_of(self, row_or_list_id: str) -> list[str]:
        return self.row_errors.get(row_or_list_id, [])


# The spec's messages use the file's key names; next to a field, say it in the form's words.
_REQUIRED = re.compile(r"'\w+' (is required|must be non-empty text)")


def _add_error(field: Field, message: str) -> None:
    if _REQUIRED.fullmatch(message):
        verb = "Choose" if field.type in ("SelectField", "RadioField") else "Enter"
        message = f"{verb} the {field.label.text.lower()}."
    field.errors = [*field.errors, message]


def build_question_form(
    kind: QuestionKind,
    refs: References,
    local_id: str,
    editing: bool,
    data: Mapping[str, Any] | None = None,
) -> QuestionForm:
    """The editor for one question type. `data` (from form_data) fills it when it is not a
    submission; a submission fills it from the request alone."""
    fields: dict[str, Any] = {
        "stem": text_field("Question", LONG_MAX, description="What the learner is asked."),
        "scenario": text_field(
            "Scenario (optional)",
            LONG_MAX,
            description="A short case the question is about, read before the question.",
        ),
        "marking_points": CheckboxesField(
            "Marking points this question checks",
            validate_choice=False,
            description="Tick at least one.",
        ),
    }
    groups: list[RowGroup] = []
    layout: list[str] = []
    for part in LAYOUT[kind]:
        if isinstance(part, RowGroup):
            groups.append(part)
            layout.append(part.key)
            fields[part.key] = FieldList(FormField(part.row), max_entries=MAX_ROWS)
        else:
            name, make = part
            layout.append(name)
            fields[name] = make()
    fields["status"] = SelectField(
        "Status",
        choices=choices((s.value, s.value.capitalize()) for s in QuestionStatus),
        description=STATUS_HINT,
    )
    fields["note"] = StringField(
        "Note for the history",
        validators=[Optional(), Length(max=200)],
        filters=[strip],
        description="Optional. What you changed and why.",
    )
    if editing:
        fields["version"] = HiddenField(validators=[InputRequired()])
    form_class = type(
        f"{kind.name.title().replace('_', '')}QuestionForm",
        (QuestionForm,),
        {**fields, "kind": kind, "groups": tuple(groups), "layout": tuple(layout)},
    )
    form: QuestionForm = form_class(refs, local_id, data=data)
    return form


def form_data(
    definition: Mapping[str, Any], status: QuestionStatus, version: int | None = None
) -> dict[str, Any]:
    """A stored definition as the editor's initial data."""
    data: dict[str, Any] = {
        "stem": definition.get("stem", ""),
        "scenario": definition.get("scenario", ""),
        "marking_points": list(definition.get("marking_points", [])),
        "status": status.value,
        "explanation": definition.get("explanation", ""),
        "misconception": definition.get("misconception") or "",
    }
    if "answer" in definition:
        data["answer"] = "true" if definition["answer"] else "false"
    for key in ("options", "steps", "items", "categories"):
        if key in definition:
            data[key] = [_row_data(row) for row in definition[key]]
    data["mistakes"] = [dict(m) for m in definition.get("mistakes", [])]
    if version is not None:
        data["version"] = str(version)
    return data


def _row_data(row: Mapping[str, Any]) -> dict[str, Any]:
    found = {k: v for k, v in row.items() if k != "id"}
    return {"key": row.get("id", ""), **found}


class RestoreForm(FlaskForm):  # type: ignore[misc]
    """The question version the history was opened at: a restore over a newer save is refused."""

    version = HiddenField(validators=[InputRequired()])


class MisconceptionForm(FlaskForm):  # type: ignore[misc]
    """A new misconception of one quiz, on the page of the quiz's own."""

    text = StringField(
        "New misconception",
        validators=[InputRequired(message="Describe the misconception."), Length(max=300)],
        filters=[strip],
        description="The mistaken belief, e.g. “Believing a receipt is needed for a refund”.",
    )


class CompareForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a GET form that changes nothing

    from_ = SelectField("Compare revision", name="from")
    to = SelectField("with revision")

    def __init__(self, numbers: Sequence[int], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.from_.choices = self.to.choices = choices((str(n), f"Revision {n}") for n in numbers)
