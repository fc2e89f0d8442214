"""The marking form, built from the element's marking points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.core import Field
from wtforms.validators import DataRequired, Length

from portfolio.assessment.models import Outcome, PointStatus
from portfolio.assessment.services import PointMark
from portfolio.core.forms import choices
from portfolio.qualifications.models import MarkingPoint

NOT_ASSESSED = ""


class DecisionForm(FlaskForm):  # type: ignore[misc]
    outcome = RadioField(
        "Decision",
        choices=choices((o.value, o.label) for o in Outcome),
        validators=[DataRequired("Choose accept or refer back.")],
    )
    feedback = TextAreaField(
        "Feedback to the learner",
        validators=[Length(max=10_000)],
        description="Required when you refer back: say exactly what the learner must do.",
        render_kw={"rows": 6},
    )
    point_fields: ClassVar[dict[str, tuple[str, str]]] = {}

    def marks(self) -> dict[str, PointMark]:
        result = {}
        for point_id, (status_name, comment_name) in self.point_fields.items():
            status = self[status_name].data
            if status:
                result[point_id] = PointMark(PointStatus(status), self[comment_name].data or "")
        return result

    def rows(self) -> list[tuple[str, Field, Field]]:
        return [(pid, self[s], self[c]) for pid, (s, c) in self.point_fields.items()]

    def validate(self, extra_validators: object = None) -> bool:
        ok = bool(super().validate(extra_validators))
        for status_name, comment_name in self.point_fields.values():
            if (
                self[status_name].data == PointStatus.NOT_YET_MET
                and not (self[comment_name].data or "").strip()
            ):
                self[comment_name].errors.append("Say what is missing for this point.")
                ok = False
        if self.outcome.data == Outcome.REFERRED and not (self.feedback.data or "").strip():
            self.feedback.errors.append("A referral must tell the learner what to do.")
            ok = False
        return ok


def build_decision_form(points: Sequence[MarkingPoint], claimed: set[str]) -> DecisionForm:
    fields: dict[str, object] = {"point_fields": {}}
    for number, point in enumerate(points, start=1):
        status_name, comment_name = f"p{number}_status", f"p{number}_comment"
        pairs = [(s.value, s.label) for s in PointStatus]
        validators = []
        if point.id in claimed:
            validators.append(DataRequired("The learner claimed this point: mark it."))
        else:
            pairs.append((NOT_ASSESSED, "Not assessed"))
        fields[status_name] = RadioField(
            f"{point.id}: {point.text}",
            choices=choices(pairs),
            validators=validators,
            default=None if point.id in claimed else NOT_ASSESSED,
        )
        fields[comment_name] = TextAreaField(
            f"Comment on {point.id}", validators=[Length(max=4000)], render_kw={"rows": 2}
        )
        fields["point_fields"][point.id] = (status_name, comment_name)  # type: ignore[index]
    form_class = type("BuiltDecisionForm", (DecisionForm,), fields)
    return form_class()  # type: ignore[no-any-return]
