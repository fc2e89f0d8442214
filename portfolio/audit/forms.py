"""The audit view's filter form (GET: filters belong in the address, to share and bookmark)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from portfolio.auth.models import User
from portfolio.core.forms import choices


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a read-only search by GET changes nothing

    action = SelectField("What happened", default="")
    actor = SelectField("Done by", default="")
    learner = SelectField("About learner", default="")
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def __init__(
        self, actions: Sequence[str], users: Sequence[User], *args: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = choices([("", "Anything"), *((a, a) for a in actions)])
        people = [(str(u.id), f"{u.name} ({u.email})") for u in users]
        self.actor.choices = choices([("", "Anyone"), *people])
        learners = [(str(u.id), u.name) for u in users if u.has_role("learner")]
        self.learner.choices = choices([("", "Any learner"), *learners])

    def validate(self, extra_validators: object = None) -> bool:
        valid: bool = super().validate(extra_validators)
        if valid and self.since.data and self.until.data and self.since.data > self.until.data:
            self.until.errors = [*self.until.errors, "The end date is before the start date."]
            return False
        return valid
