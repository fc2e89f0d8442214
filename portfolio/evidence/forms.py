"""Evidence forms, built from an evidence type spec (fields.py makes each field): starting a
piece of evidence, the draft form with its rows sections (a blank row to fill in, "Add a row",
blank rows dropped), and the declaration. What the draft form refuses is never stored;
everything else is kept as typed and checked when the learner submits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, HiddenField, SelectField, StringField
from wtforms.fields.core import Field
from wtforms.validators import DataRequired, InputRequired, Length

from portfolio.core.forms import CheckboxesField, choices
from portfolio.evidence.content import Problem, parse_path
from portfolio.evidence.fields import class_name, rows_field, section_field, text_of
from portfolio.evidence.spec import EvidenceTypeSpec, FieldType, SectionSpec
from portfolio.qualifications.models import Element, MarkingPoint


class NewEvidenceForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=200)],
        description="A short name you will recognise, e.g. “Refund for a faulty kettle”.",
    )
    type_id = SelectField("Kind of evidence")
    element_id = SelectField("Element")

    def __init__(
        self,
        types: Sequence[EvidenceTypeSpec],
        elements: Sequence[Element],
        *args: object,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.type_id.choices = choices((t.id, t.title) for t in types)
        self.element_id.choices = choices((e.id, e.title) for e in elements)


@dataclass(frozen=True)
class SummaryItem:
    """An error summary entry the shared macro cannot find by itself, linked to its place."""

    href: str
    text: str


class EvidenceForm(FlaskForm):  # type: ignore[misc]
    """Title, claims and version; section fields are added by build_evidence_form."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    claims = CheckboxesField(
        "Marking points this evidence covers",
        description="Claim the points your account shows. "
        "Your assessor decides whether each one is met.",
    )
    version = HiddenField(validators=[InputRequired()])
    spec: ClassVar[EvidenceTypeSpec]
    section_ids: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Faults of a rows section as a whole, by its id (the rows macro shows them).
        self.row_errors: dict[str, list[str]] = {}

    def sections(self) -> dict[str, Any]:
        """The typed values in the draft's shape; blank rows left out."""
        found: dict[str, Any] = {}
        for section in self.spec.sections:
            f = self[section.id]
            if section.type is FieldType.ROWS:
                rows = [entry.form.values() for entry in f.entries]
                found[section.id] = [r for r in rows if any(v.strip() for v in r.values())]
            elif section.type is FieldType.MULTI_CHOICE:
                found[section.id] = [v for v in f.data or [] if isinstance(v, str)]
            else:
                found[section.id] = text_of(f.data)
        return found

    def section_fields(self) -> list[Field]:
        return [self[sid] for sid in self.section_ids]

    def section(self, section_id: str) -> SectionSpec:
        found = self.spec.section(section_id)
        if found is None:
            raise KeyError(section_id)
        return found

    def _row_sections(self) -> list[SectionSpec]:
        return [s for s in self.spec.sections if s.type is FieldType.ROWS]

    # --- Rows --------------------------------------------------------------------------------

    def blank_rows(self, section_id: str) -> int:
        return sum(
            not any(v.strip() for v in e.form.values().values()) for e in self[section_id].entries
        )

    def can_add(self, section_id: str) -> bool:
        return len(self[section_id].entries) < self.section(section_id).max_rows

    def add_blank_rows(self, more: Mapping[str, int] | None = None) -> None:
        """One blank row to fill in under each rows section (more where `more` asks), within
        the section's maximum."""
        for section in self._row_sections():
            f = self[section.id]
            wanted = max(1, (more or {}).get(section.id, 1))
            for _ in range(wanted):
                if len(f.entries) >= section.max_rows:
                    break
                f.append_entry()

    def pressed_add_row(self) -> str | None:
        """The rows section whose "Add a row" button was pressed, if one was."""
        if not self.is_submitted():
            return None
        value = request.form.get("add_row", "")
        return value if value in {s.id for s in self._row_sections()} else None

    # --- Validation and errors ---------------------------------------------------------------

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for section in self._row_sections():
            f = self[section.id]
            # Row faults are shown on each cell and in summary(), not as nested lists.
            f.errors = []
            kept = len(f.entries) - self.blank_rows(section.id)
            if kept > section.max_rows:
                self.row_errors.setdefault(section.id, []).append(
                    f"{section.label} can have at most {section.max_rows} rows; "
                    f"remove {kept - section.max_rows}."
                )
                valid = False
        return valid

    @property
    def errors(self) -> dict[str, Any]:
        """As a form's errors, with rows sections' faults too, so a view that asks whether
        anything is wrong gets the right answer."""
        found: dict[str, Any] = dict(super().errors)
        for section in self._row_sections():
            nested = [
                message
                for entry in self[section.id].entries
                for sub in entry.form
                for message in sub.errors
            ]
            if nested or self.errors_of(section.id):
                found[section.id] = self.errors_of(section.id) + nested
        return found

    def errors_of(self, section_id: str) -> list[str]:
        return self.row_errors.get(section_id, [])

    def place_problems(self, problems: Iterable[Problem]) -> None:
        """Show each submission problem next to the field, cell or rows section it names.
        The form must hold the saved draft (rows in the order they were saved)."""
        for problem in problems:
            try:
                section_id, index, column = parse_path(problem.field)
            except ValueError:
                continue
            if section_id not in self:
                continue
            f = self[section_id]
            if index is None and isinstance(f, FieldList):
                self.row_errors.setdefault(section_id, []).append(problem.message)
            elif index is None:
                f.errors = [*f.errors, problem.message]
            elif isinstance(f, FieldList) and index < len(f.entries):
                row = f.entries[index].form
                if column in row:
                    row[column].errors = [*row[column].errors, problem.message]

    def summary(self) -> list[SummaryItem]:
        """Error summary entries for rows sections and their cells."""
        found: list[SummaryItem] = []
        for section in self._row_sections():
            f = self[section.id]
            found += [SummaryItem(f.id, f"{f.label.text}: {m}") for m in self.errors_of(f.id)]
            for n, entry in enumerate(f.entries, start=1):
                for sub in entry.form:
                    found += [
                        SummaryItem(sub.id, f"{section.row_label} {n}, {sub.label.text}: {m}")
                        for m in sub.errors
                    ]
        return found


def build_evidence_form(
    spec: EvidenceTypeSpec,
    points: Sequence[MarkingPoint],
    more_rows: Mapping[str, int] | None = None,
    **kwargs: object,
) -> EvidenceForm:
    """The form for one evidence type. Shown for editing (not a submission), each rows section
    gets a blank row to fill in, or `more_rows[section id]` of them."""
    fields: dict[str, object] = {
        s.id: rows_field(s) if s.type is FieldType.ROWS else section_field(s) for s in spec.sections
    }
    fields["section_ids"] = spec.section_ids()
    fields["spec"] = spec
    form_class = type(f"{class_name(spec.id)}Form", (EvidenceForm,), fields)
    form: EvidenceForm = form_class(**kwargs)
    form.claims.choices = choices((p.id, f"{p.id}: {p.text}") for p in points)
    if not form.is_submitted():
        form.add_blank_rows(more_rows)
    return form


class DeclarationForm(FlaskForm):  # type: ignore[misc]
    confirm = BooleanField(
        "I declare that this evidence is my own work, describes what I did, and that I have "
        "removed customers' personal details.",
        validators=[DataRequired("Tick the declaration to submit.")],
    )
    declared_name = StringField(
        "Your full name, as your signature",
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    # The draft version the learner read and signed: a replayed or doubled submit, or one made
    # after the draft changed in another tab, is refused rather than signing unseen content.
    version = HiddenField()
