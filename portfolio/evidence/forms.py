"""Evidence forms, built from an evidence type spec: one field class per section type."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.core import Field
from wtforms.validators import DataRequired, InputRequired, Length

from portfolio.core.forms import CheckboxesField, choices
from portfolio.evidence.spec import EvidenceTypeSpec, SectionSpec
from portfolio.qualifications.models import Element, MarkingPoint

# Rough ceiling on characters per word, so a pasted novel is refused before it is stored.
_CHARS_PER_WORD = 12


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


class EvidenceForm(FlaskForm):  # type: ignore[misc]
    """Title, claims and version; section fields are added by build_evidence_form."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    claims = CheckboxesField(
        "Marking points this evidence covers",
        description="Claim the points your account shows. "
        "Your assessor decides whether each one is met.",
    )
    version = HiddenField(validators=[InputRequired()])
    section_ids: tuple[str, ...] = ()

    def sections(self) -> dict[str, str]:
        return {sid: self[sid].data or "" for sid in self.section_ids}

    def section_fields(self) -> list[Field]:
        return [self[sid] for sid in self.section_ids]


def _section_field(section: SectionSpec) -> Field:
    limit = Length(max=section.max_words * _CHARS_PER_WORD)
    hint = f"{section.prompt} ({section.min_words} to {section.max_words} words.)"
    if section.type == "text":
        return StringField(section.label, validators=[limit], description=hint)
    return TextAreaField(
        section.label,
        validators=[limit],
        description=hint,
        render_kw={
            "rows": 8,
            "data-min-words": section.min_words,
            "data-max-words": section.max_words,
        },
    )


def build_evidence_form(
    spec: EvidenceTypeSpec, points: Sequence[MarkingPoint], **kwargs: object
) -> EvidenceForm:
    fields: dict[str, object] = {s.id: _section_field(s) for s in spec.sections}
    fields["section_ids"] = spec.section_ids()
    form_class = type(f"{spec.id.title().replace('-', '')}Form", (EvidenceForm,), fields)
    form: EvidenceForm = form_class(**kwargs)
    form.claims.choices = choices((p.id, f"{p.id}: {p.text}") for p in points)
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
