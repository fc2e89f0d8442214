"""The tutor's page editor, the search box, and the small forms of the page history."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import Field
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portfolio.content.models import PageStatus
from portfolio.content.services import BODY_MAX, body_too_long
from portfolio.core.forms import CheckboxesField, choices
from portfolio.qualifications.models import Element, Misconception

# The same rule as for page files (content/spec.py), so a page made in the browser exports.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9\-]{0,79}$"
# Fixed addresses under /pages/: a page with one of these slugs could never be opened.
RESERVED_SLUGS = frozenset({"new", "review", "search"})
SEARCH_MAX = 200
_CITATION_MAX, _CITATIONS_MAX = 200, 40


def _body_length(form: FlaskForm, field: Field) -> None:
    # A plain length check, run before anything renders the text (preview included).
    message = body_too_long(field.data or "")
    if message:
        raise ValidationError(message)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def citations(text: str | None) -> tuple[str, ...]:
    """One citation per line of the legislation box; blank lines ignored."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


# Made before PageForm's fields, because WTForms orders fields by creation: the slug then
# comes first in the error summary, as it does on the page.
_SLUG = StringField(
    "Address (slug)",
    validators=[
        DataRequired(),
        Length(max=80),
        Regexp(SLUG_PATTERN, message="Use only lower-case letters, digits and '-'."),
    ],
    filters=[_strip],
    description="The end of the page's web address: lower-case letters, digits and '-', "
    "e.g. pts-a-faulty-goods. It cannot be changed later.",
)


class PageForm(FlaskForm):  # type: ignore[misc]
    """Every field a tutor sets on a page. The choices come from the qualification tree the
    view passes in, so the form also knows which element each point belongs to."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)], filters=[_strip])
    element_id = SelectField("Element", description="The element this page teaches.")
    marking_points = CheckboxesField(
        "Marking points this page supports",
        description="Tick only points of the element chosen above.",
    )
    misconceptions = CheckboxesField(
        "Misconceptions this page corrects",
        description="Tick only misconceptions of the element chosen above.",
    )
    legislation = TextAreaField(
        "Legislation cited",
        validators=[Optional(), Length(max=_CITATION_MAX * _CITATIONS_MAX)],
        description="One citation per line, e.g. “Consumer Rights Act 2015 s22”. Optional.",
        render_kw={"rows": 4},
    )
    reviewed_on = DateField(
        "Last reviewed",
        validators=[Optional()],
        description="Optional. When the page was last checked against the law and the rubric.",
    )
    review_by = DateField(
        "Review by",
        validators=[Optional()],
        description="Optional. When it must next be checked; not before the last review.",
    )
    status = SelectField(
        "Status",
        choices=choices((s.value, s.value.capitalize()) for s in PageStatus),
        description="Learners see a page only when it is published.",
    )
    body = TextAreaField(
        "Page text (Markdown)",
        validators=[DataRequired(), _body_length],
        description=(
            "Use ## for headings, - for lists, **bold** for emphasis. "
            f"At most {BODY_MAX:,} characters (about 15,000 words)."
        ),
        render_kw={"rows": 24},
    )

    def __init__(
        self,
        elements: Sequence[Element],
        misconceptions: Sequence[Misconception],
        *args: object,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._element_titles = {e.id: e.title for e in elements}
        self._point_element = {p.id: e.id for e in elements for p in e.marking_points}
        self._misconception_element = {m.id: m.element_id for m in misconceptions}
        self.element_id.choices = choices((e.id, e.title) for e in elements)
        self.marking_points.choices = choices(
            (p.id, f"{p.id}: {p.text}") for e in elements for p in e.marking_points
        )
        self.misconceptions.choices = choices((m.id, f"{m.id}: {m.text}") for m in misconceptions)

    def _only_this_element(self, field: Field, element_of: dict[str, str], kind: str) -> None:
        element = self.element_id.data
        # Ids that are no choice at all are WTForms' own "not a valid choice" error.
        others = [i for i in field.data or () if i in element_of and element_of[i] != element]
        if others and element in self._element_titles:
            raise ValidationError(
                f"{', '.join(others)} {'is' if len(others) == 1 else 'are'} not "
                f"{kind} of “{self._element_titles[element]}”: untick "
                f"{'it' if len(others) == 1 else 'them'} or choose that element."
            )

    def validate_marking_points(self, field: Field) -> None:
        self._only_this_element(field, self._point_element, "a marking point")

    def validate_misconceptions(self, field: Field) -> None:
        self._only_this_element(field, self._misconception_element, "a misconception")

    def validate_legislation(self, field: Field) -> None:
        lines = citations(field.data)
        if len(lines) > _CITATIONS_MAX:
            raise ValidationError(f"Give at most {_CITATIONS_MAX} citations.")
        if any(len(line) > _CITATION_MAX for line in lines):
            raise ValidationError(
                f"Each citation must be at most {_CITATION_MAX} characters: one per line."
            )

    def validate_review_by(self, field: Field) -> None:
        reviewed = self.reviewed_on.data
        if field.data and reviewed and field.data < reviewed:
            raise ValidationError(
                "The review-by date cannot be before the last review "
                f"({reviewed.strftime('%-d %B %Y')})."
            )


class NewPageForm(PageForm):
    slug = _SLUG

    def validate_slug(self, field: Field) -> None:
        if field.data in RESERVED_SLUGS:
            raise ValidationError(f"“{field.data}” is used by the site itself: choose another.")


class EditPageForm(PageForm):
    note = StringField(
        "Note for the history",
        validators=[Optional(), Length(max=200)],
        filters=[_strip],
        description="Optional. What you changed and why, e.g. “Added the 2026 refund rules”.",
    )
    version = HiddenField(validators=[InputRequired()])


class RestoreForm(FlaskForm):  # type: ignore[misc]
    """The page version the history was opened at: a restore over a newer save is refused."""

    version = HiddenField(validators=[InputRequired()])


class SearchForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a GET form that changes nothing

    q = SearchField(
        "Search revision pages",
        validators=[Length(max=SEARCH_MAX, message=f"Search for at most {SEARCH_MAX} characters.")],
        filters=[_strip],
    )


class CompareForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    from_ = SelectField("Compare revision", name="from")
    to = SelectField("with revision")

    def __init__(self, numbers: Sequence[int], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.from_.choices = self.to.choices = choices((str(n), f"Revision {n}") for n in numbers)
