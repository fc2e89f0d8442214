"""The audit view's filter form (GET: filters belong in the address, to share and bookmark).
People are found by a name search, not picked from a list of everyone: a centre has thousands."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from portfolio.core.forms import choices

NAME_HINT = "Part of a name or email; accents and apostrophes optional."


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a read-only search by GET changes nothing

    action = SelectField("What happened", default="")
    actor = StringField("Done by", validators=[Optional(), Length(max=100)], description=NAME_HINT)
    actor_id = HiddenField()
    learner = StringField(
        "About learner", validators=[Optional(), Length(max=100)], description=NAME_HINT
    )
    learner_id = HiddenField()
    subject_type = SelectField("Subject", default="")
    subject_id = StringField(
        "Subject number or id", validators=[Optional(), Length(max=64)], description="Optional."
    )
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def __init__(
        self,
        actions: Sequence[str],
        subject_types: Sequence[str],
        *args: object,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = choices([("", "Anything"), *((a, a) for a in actions)])
        self.subject_type.choices = choices([("", "Any"), *((t, t) for t in subject_types)])

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if valid and self.since.data and self.until.data and self.since.data > self.until.data:
            self.until.errors = [*self.until.errors, "The end date is before the start date."]
            return False
        return valid
