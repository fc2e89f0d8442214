"""Building a learner's portfolio PDF with WeasyPrint, from the same templates as the site."""

from __future__ import annotations

from flask import current_app, render_template

from portfolio.assessment import services as assessment
from portfolio.auth.models import User
from portfolio.core.pdf import render_pdf
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.qualifications import services as qualifications


def portfolio_html(learner: User) -> str:
    grids = assessment.tracking_grid(learner)
    # The same order as the grid's columns, so "E2" means one item everywhere in the PDF.
    items = [item for grid in grids for item in grid.evidence]
    return render_template(
        "export/portfolio.html",
        learner=learner,
        qualifications=qualifications.list_qualifications(),
        items=items,
        specs={e.id: evidence_services.spec_for(e) for e in items},
        decisions={e.id: assessment.decisions_for(e) for e in items},
        grids=grids,
        centre=current_app.config["CENTRE_NAME"],
        exported_at=utcnow(),
    )


def export_portfolio(learner: User) -> bytes:
    """The learner's whole portfolio as PDF bytes."""
    return render_pdf(portfolio_html(learner))
