"""Building PDFs with WeasyPrint from the same templates as the site: a learner's portfolio,
and an element's revision sheet."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, render_template

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Decision
from portfolio.auth.models import User
from portfolio.content import services as content
from portfolio.content.models import Page
from portfolio.core.pdf import render_pdf
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence
from portfolio.media import services as media
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element


def _decisions_by_item(items: list[Evidence]) -> dict[int, dict[int, Decision]]:
    found = assessment.decisions_for_items(items)
    return {e.id: {s.id: found[s.id] for s in e.submissions if s.id in found} for e in items}


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
        decisions=_decisions_by_item(items),
        grids=grids,
        centre=current_app.config["CENTRE_NAME"],
        exported_at=utcnow(),
    )


def export_portfolio(learner: User) -> bytes:
    """The learner's whole portfolio as PDF bytes."""
    return render_pdf(portfolio_html(learner))


def sheet_html(element: Element, pages: Sequence[Page]) -> str:
    return render_template(
        "export/sheet.html",
        element=element,
        pages=pages,
        centre=current_app.config["CENTRE_NAME"],
        exported_at=utcnow(),
    )


def export_revision_sheet(element_id: str) -> bytes | None:
    """Every published page of the element as one printable PDF, with the pages' own images;
    None if there is no such element."""
    element = qualifications.get_element(element_id)
    if element is None:
        return None
    pages = content.pages_for_element(element.id)
    # Only these pages' images may be fetched: a body naming another page's image (a draft's,
    # another element's) or any outside address gets nothing.
    return render_pdf(sheet_html(element, pages), files=media.image_files_for(pages))
