"""The tutor's image upload form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portfolio.media.models import ALT_MAX, MAX_IMAGE_BYTES


class ImageUploadForm(FlaskForm):  # type: ignore[misc]
    # The type is checked from the bytes by the service; `accept` only helps the file picker.
    image = FileField(
        "Image",
        validators=[FileRequired("Choose a PNG or JPEG image to upload.")],
        description=f"PNG or JPEG, up to {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
        render_kw={"accept": "image/png,image/jpeg"},
    )
    alt = StringField(
        "Description (alt text)",
        validators=[
            DataRequired("Describe the image for people who cannot see it."),
            Length(max=ALT_MAX),
        ],
        description="What the image shows, for people using a screen reader, "
        "e.g. “Till receipt showing the date of purchase”.",
    )
