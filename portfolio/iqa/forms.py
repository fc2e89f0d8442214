"""Forms for sampling plans, the sample's period, taking a sample and the IQA's verdict."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portfolio.assessment.models import AssessorStatus
from portfolio.core.forms import choices
from portfolio.iqa.models import Verdict
from portfolio.iqa.proposals import Filters
from portfolio.iqa.sampling import DEFAULT_PERCENTAGE, Stage

_DEFAULTS = ", ".join(f"{s.label.lower()} {DEFAULT_PERCENTAGE[s]}%" for s in AssessorStatus)


class PlanForm(FlaskForm):  # type: ignore[misc]
    status = RadioField(
        "Assessor status",
        choices=choices((s.value, s.label) for s in AssessorStatus),
        validators=[DataRequired("Choose the assessor's status.")],
        description="New and trainee assessors are sampled more. A trainee's decisions also "
        "need a countersignature.",
    )
    percentage = IntegerField(
        "Percentage of decisions to sample",
        validators=[
            InputRequired("Give a percentage from 0 to 100."),
            NumberRange(0, 100, "Give a percentage from 0 to 100."),
        ],
        description=f"A whole number from 0 to 100. Usual starting points: {_DEFAULTS}.",
    )

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if (
            valid
            and self.status.data == AssessorStatus.TRAINEE
            and self.percentage.data != DEFAULT_PERCENTAGE[AssessorStatus.TRAINEE]
        ):
            self.percentage.errors = [
                *self.percentage.errors,
                "Every decision of a trainee assessor is sampled: set 100.",
            ]
            return False
        return valid


class PeriodForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # choosing the period only changes what is shown

    since = DateField("Decisions made from", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if valid and self.since.data and self.until.data and self.since.data > self.until.data:
            self.until.errors = [*self.until.errors, "The end date is before the start date."]
            return False
        return valid


_ID = re.compile(r"[0-9]{1,18}")


class TakeSampleForm(FlaskForm):  # type: ignore[misc]
    """Take the proposal (or the part the filters show): the period and filters it was worked
    out for, a fingerprint of the decisions it held, and the page's decisions, shown and left
    ticked. The server works the proposal out again and the service refuses, with a reason,
    a proposal that has changed or a decision that was not in it."""

    since = HiddenField()
    until = HiddenField()
    fingerprint = HiddenField()
    assessor = HiddenField()
    group = HiddenField()
    element = HiddenField()
    kind = HiddenField(name="type")
    stage = HiddenField()
    shown = SelectMultipleField(coerce=int, validate_choice=False)
    decision = SelectMultipleField(coerce=int, validate_choice=False)

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for f in (self.assessor, self.group):
            if f.data and not _ID.fullmatch(f.data):
                f.errors = [*f.errors, "Not an id."]
                valid = False
        if self.stage.data and self.stage.data not in {s.value for s in Stage}:
            self.stage.errors = [*self.stage.errors, "Not a stage."]
            valid = False
        return valid

    def filters(self) -> Filters:
        """The filters the proposal was shown with (call after `validate`)."""
        return Filters(
            int(self.assessor.data) if self.assessor.data else None,
            int(self.group.data) if self.group.data else None,
            self.element.data or None,
            self.kind.data or None,
            Stage(self.stage.data) if self.stage.data else None,
        )


class VerdictForm(FlaskForm):  # type: ignore[misc]
    verdict = RadioField(
        "Your verdict",
        choices=choices(
            [
                (Verdict.AGREE.value, "Agree with the decision"),
                (Verdict.DISAGREE.value, "Disagree: reopen it for the assessor"),
            ]
        ),
        validators=[DataRequired("Choose agree or disagree.")],
    )
    feedback = TextAreaField(
        "Feedback to the assessor",
        validators=[Length(max=10_000)],
        description="Required when you disagree: say what the assessor should look at again.",
        render_kw={"rows": 6},
    )

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if self.verdict.data == Verdict.DISAGREE and not (self.feedback.data or "").strip():
            self.feedback.errors = [
                *self.feedback.errors,
                "Say what the assessor should look at again.",
            ]
            return False
        return valid
