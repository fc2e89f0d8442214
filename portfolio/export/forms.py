"""The export forms: what part of a learner's portfolio to export, and a cohort's ZIP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField

from portfolio.core.forms import choices
from portfolio.export.facts import Scope
from portfolio.qualifications.models import Element

WHOLE, ELEMENT, EQA = "whole", "element", "eqa"
PDFA_LABEL = "Archival PDF/A-3b (the version to send to the awarding organisation)"


class PortfolioExportForm(FlaskForm):  # type: ignore[misc]
    scope = RadioField(
        "What to export",
        choices=choices(
            [
                (WHOLE, "The whole portfolio"),
                (ELEMENT, "One element"),
                (EQA, "The EQA sample: decisions an IQA sampled, other learners' names hidden"),
            ]
        ),
        default=WHOLE,
    )
    element = SelectField("Element", validate_choice=False)
    pdfa = BooleanField(PDFA_LABEL, default=True)

    def __init__(self, elements: Sequence[Element], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ids = {e.id for e in elements}
        self.element.choices = choices(
            [("", "Choose an element"), *((e.id, f"{e.id}: {e.title}") for e in elements)]
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        if self.scope.data not in (WHOLE, ELEMENT, EQA):
            self.scope.errors = ["Choose what to export."]
            return False
        if self.scope.data == ELEMENT and self.element.data not in self._ids:
            self.element.errors = ["Choose the element to export."]
            return False
        return ok

    def chosen(self) -> Scope:
        if self.scope.data == ELEMENT:
            return Scope(self.element.data)
        return Scope(eqa=self.scope.data == EQA)


class CohortExportForm(FlaskForm):  # type: ignore[misc]
    # The cohort page's own filters, checked again on the server like the page's.
    learners = HiddenField()
    group = HiddenField()
    pdfa = BooleanField(PDFA_LABEL, default=True)
