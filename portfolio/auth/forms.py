"""Sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portfolio.auth.services import MIN_PASSWORD_LENGTH, PASSWORD_LENGTH_MESSAGE

PASSWORD_LENGTH = Length(min=MIN_PASSWORD_LENGTH, max=200, message=PASSWORD_LENGTH_MESSAGE)


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        "Email",
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        "New password",
        validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
