"""Forms for settling a check's flag on the submit page: replace it, or dismiss it with a reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from portfolio.evidence.check_services import MAX_REASON


class FlagActionForm(FlaskForm):  # type: ignore[misc]
    # The draft version the page was drawn from: a click made on an out-of-date page is refused.
    version = HiddenField(validators=[InputRequired(), Regexp(r"^\d{1,9}$")])


class DismissFlagForm(FlagActionForm):
    reason = StringField(
        "Why this is not a personal detail",
        validators=[
            InputRequired("Say why you are keeping it, e.g. “a product name, not a person”."),
            Length(max=MAX_REASON, message=f"Keep the reason to {MAX_REASON} characters or fewer."),
        ],
    )
