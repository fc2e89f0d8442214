"""The tutor's page editor."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portfolio.content.models import PageStatus
from portfolio.core.forms import choices


class PageForm(FlaskForm):  # type: ignore[misc]
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        "Page text (Markdown)",
        validators=[DataRequired(), Length(max=100_000)],
        description="Use ## for headings, - for lists, **bold** for emphasis.",
        render_kw={"rows": 24},
    )
    status = SelectField(
        "Status",
        choices=choices((s.value, s.value.capitalize()) for s in PageStatus),
        description="Learners see a page only when it is published.",
    )
    version = HiddenField(validators=[InputRequired()])
