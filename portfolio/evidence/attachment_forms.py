"""The learner's form for attaching a supporting file to a draft."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length

from portfolio.core.filetypes import ACCEPT
from portfolio.evidence.attachments import DESCRIPTION_MAX


class AttachmentForm(FlaskForm):  # type: ignore[misc]
    # Field names of their own: this form shares the draft page with the evidence form, whose
    # section fields come from data files and could be called anything ("description"...).
    # The type is checked from the bytes by the service; `accept` only helps the file picker.
    attachment_file = FileField(
        "File",
        validators=[FileRequired("Choose a file to attach.")],
        render_kw={"accept": ACCEPT},
    )
    attachment_description = StringField(
        "What the file shows (optional)",
        validators=[Length(max=DESCRIPTION_MAX)],
        description="For example, “Returns form I completed for the refund”.",
    )
