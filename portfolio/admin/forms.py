"""Forms the admin uses to create users, build caseloads and group learners."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

from flask import current_app
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portfolio.auth.forms import PASSWORD_LENGTH
from portfolio.auth.models import Role
from portfolio.auth.services import COHORT_NAME_LENGTH, MIN_PASSWORD_LENGTH, NOBODY
from portfolio.core.forms import CheckboxesField, choices


class Named(Protocol):
    """An assessor or a group as the forms offer it: a User or Cohort, or an (id, name) row."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


def offered(people: Sequence[Named]) -> list[SelectChoice]:
    """Assessors or groups as a select's choices, by id: built once for the users page, whose
    filter and create forms both offer every assessor."""
    return [SelectChoice(str(p.id), p.name) for p in people]


def _assessor_choices(assessors: Sequence[SelectChoice]) -> list[SelectChoice]:
    return [SelectChoice("", "No assessor"), *assessors]


class CreateUserForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Temporary password",
        validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Give it to the user in person.",
        render_kw={"autocomplete": "new-password"},
    )
    roles = CheckboxesField(
        "Roles",
        choices=choices((r.value, r.label) for r in Role),
        validators=[DataRequired("Choose at least one role.")],
    )
    assessor = SelectField("Assessor (learners only)", choices=[])

    def __init__(self, assessors: Sequence[SelectChoice], *args: object, **kwargs: object) -> None:
        """`assessors`: the assessors as `offered` gives them."""
        super().__init__(*args, **kwargs)
        self.assessor.choices = _assessor_choices(assessors)


class AssignForm(FlaskForm):  # type: ignore[misc]
    assessor = SelectField("Assessor", choices=[])

    def __init__(self, assessors: Sequence[Named], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.assessor.choices = _assessor_choices(offered(assessors))


def cohort_options(cohorts: Sequence[Named]) -> list[tuple[str, str]]:
    """(value, label) pairs for a learner's group; the empty value takes them out of any."""
    return [("", "No group")] + [(str(c.id), c.name) for c in cohorts]


class CohortForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Group name",
        validators=[DataRequired(), Length(max=COHORT_NAME_LENGTH)],
        description="For example the level and intake: Level 2 — September 2026 day.",
    )


class AssignCohortForm(FlaskForm):  # type: ignore[misc]
    cohort = SelectField("Group", choices=[])

    def __init__(self, cohorts: Sequence[Named], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.cohort.choices = choices(cohort_options(cohorts))


class UserFilterForm(FlaskForm):  # type: ignore[misc]
    """The users list's filters (GET, so a filtered list can be bookmarked). The assessor and
    group choices are bounded by the number of staff and groups, not of learners."""

    class Meta:
        csrf = False  # a read-only search changes nothing

    q = StringField(
        "Name or email",
        validators=[Optional(), Length(max=100)],
        description="Part of a name or email; accents and apostrophes optional.",
    )
    role = SelectField("Role", default="")
    group = SelectField("Group", default="")
    assessed_by = SelectField("Assessor", default="")
    account = SelectField(
        "Account",
        default="",
        choices=choices([("", "Any"), ("yes", "Active"), ("no", "Deactivated")]),
    )

    def __init__(
        self,
        assessors: Sequence[SelectChoice],
        cohorts: Sequence[SelectChoice],
        *args: object,
        **kwargs: object,
    ) -> None:
        """`assessors` and `cohorts`: as `offered` gives them."""
        super().__init__(*args, **kwargs)
        self.role.choices = choices([("", "Any"), *((r.value, r.label) for r in Role)])
        self.group.choices = [SelectChoice("", "Any"), SelectChoice(NOBODY, "No group"), *cohorts]
        self.assessed_by.choices = [
            SelectChoice("", "Any"),
            SelectChoice(NOBODY, "No assessor"),
            *assessors,
        ]


# Fields drawn, by what they were drawn from: see draw_once. A few entries are all the users page
# needs (its empty filters and its create form, for the current staff and groups); when full,
# it starts again rather than keep every search anyone made.
_DRAWN: dict[Hashable, Markup] = {}
_DRAWN_LIMIT = 32


def draw_once(key: Hashable | None, caller: Callable[[], Markup]) -> Markup:
    """A template's {% call draw_once(key) %} block of form fields: drawn the first time and
    given again for the same `key`, which must hold everything the block's HTML depends on
    (the fields' choices and data, for fields with no errors); None draws it every time, as
    does an app that reloads edited templates (the kept HTML would hide the edit).

    Drawing a form's fields through the shared field macro (and the selects of every assessor,
    twice) cost more than the rest of the users page's template; the page is asked for with no
    filters and an empty create form far more often than anything else."""
    if key is None or current_app.jinja_env.auto_reload:
        return caller()
    drawn = _DRAWN.get(key)
    if drawn is None:
        if len(_DRAWN) >= _DRAWN_LIMIT:
            _DRAWN.clear()
        drawn = _DRAWN[key] = caller()
    return drawn
