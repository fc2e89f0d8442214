"""The marking form, built from the element's marking points."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields.core import Field
from wtforms.validators import DataRequired, Length

from portfolio.assessment.feedback import (
    PRAISE_PROBLEM,
    feedback_problem,
    is_generic_praise,
    point_message,
    referral_message,
)
from portfolio.assessment.marking import EMPTY_REFERRAL
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.assessment.services import PointMark
from portfolio.core.forms import choices
from portfolio.qualifications.models import MarkingPoint

NOT_ASSESSED = ""
# Who the decision is about and who signs it come from the URL and the session, never from the
# form: a form that sends one of these has been altered, and is refused.
FORBIDDEN_FIELDS = frozenset(
    {
        "learner",
        "learner_id",
        "status",
        "evidence_status",
        "signer",
        "signer_id",
        "signed_by",
        "assessor",
        "assessor_id",
        "decided_by",
        "declared_name",
    }
)


class DecisionForm(FlaskForm):  # type: ignore[misc]
    # The submission this page was built for, and the item's version then: a decision made
    # from a page that is out of date is refused rather than recorded over a newer state.
    submission_id = HiddenField()
    version = HiddenField()
    outcome = RadioField(
        "Decision",
        choices=choices((o.value, o.label) for o in Outcome),
        validators=[DataRequired("Choose accept or refer back.")],
    )
    feedback = TextAreaField(
        "Feedback to the learner",
        validators=[Length(max=10_000)],
        description="Required when you refer back: say exactly what the learner must do.",
        render_kw={"rows": 6},
    )
    # marking point id -> (status field, comment field, save-to-bank field)
    point_fields: ClassVar[dict[str, tuple[str, str, str]]] = {}

    def marks(self) -> dict[str, PointMark]:
        result = {}
        for point_id, (status_name, comment_name, save_name) in self.point_fields.items():
            status = self[status_name].data
            if status:
                result[point_id] = PointMark(
                    PointStatus(status),
                    self[comment_name].data or "",
                    save_to_bank=bool(self[save_name].data),
                )
        return result

    def rows(self) -> list[tuple[str, Field, Field, Field]]:
        return [(pid, self[s], self[c], self[b]) for pid, (s, c, b) in self.point_fields.items()]

    def field_names(self) -> set[str]:
        return {f.name for f in self} | {"csrf_token"}

    def tampering(self, submission_id: int, posted: Iterable[str]) -> str | None:
        """What about the posted form no page of ours would send, or None."""
        names = set(posted)
        forbidden = sorted(names & FORBIDDEN_FIELDS)
        if forbidden:
            return f"the form set {', '.join(forbidden)}, which only the server decides"
        unknown = sorted(names - self.field_names())
        if unknown:
            return f"the form carried fields it does not have: {', '.join(unknown)}"
        if self.submission_id.data != str(submission_id):
            return f"the form was for submission {self.submission_id.data or 'none'!s}"
        if not (self.version.data or "").isdigit():
            return "the form did not say which version of the item it was made from"
        return None

    def seen_version(self) -> int:
        return int(self.version.data)

    @property
    def praise_only(self) -> bool:
        """Accepted with feedback that is only praise: allowed, with a warning."""
        return self.outcome.data == Outcome.ACCEPTED and is_generic_praise(self.feedback.data or "")

    def validate(self, extra_validators: object = None) -> bool:
        ok = bool(super().validate(extra_validators))
        for status_name, comment_name, _ in self.point_fields.values():
            comment = self[comment_name].data or ""
            if self[status_name].data == PointStatus.NOT_YET_MET:
                if not comment.strip():
                    self[comment_name].errors.append("Say what is missing for this point.")
                    ok = False
                elif is_generic_praise(comment):
                    self[comment_name].errors.append(point_message(PRAISE_PROBLEM))
                    ok = False
        if self.outcome.data == Outcome.REFERRED:
            feedback = self.feedback.data or ""
            if not feedback.strip():
                self.feedback.errors.append(EMPTY_REFERRAL)
                ok = False
            elif problem := feedback_problem(feedback):
                self.feedback.errors.append(referral_message(problem))
                ok = False
        return ok


def build_decision_form(points: Sequence[MarkingPoint], claimed: set[str]) -> DecisionForm:
    """Every live marking point of the element, claimed or not: the assessor may judge any
    point the evidence shows, but must judge every point the learner claimed."""
    fields: dict[str, object] = {"point_fields": {}}
    for number, point in enumerate(points, start=1):
        status_name, comment_name = f"p{number}_status", f"p{number}_comment"
        save_name = f"p{number}_save"
        pairs = [(s.value, s.label) for s in PointStatus]
        validators = []
        if point.id in claimed:
            validators.append(DataRequired("The learner claimed this point: mark it."))
        else:
            pairs.append((NOT_ASSESSED, "Not assessed"))
        fields[status_name] = RadioField(
            f"{point.id}: {point.text}",
            choices=choices(pairs),
            validators=validators,
            default=None if point.id in claimed else NOT_ASSESSED,
        )
        fields[comment_name] = TextAreaField(
            f"Comment on {point.id}", validators=[Length(max=4000)], render_kw={"rows": 2}
        )
        fields[save_name] = BooleanField(f"Save this comment to the bank ({point.id})")
        fields["point_fields"][point.id] = (status_name, comment_name, save_name)  # type: ignore[index]
    form_class = type("BuiltDecisionForm", (DecisionForm,), fields)
    return form_class()  # type: ignore[no-any-return]
