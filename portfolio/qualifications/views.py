"""Browsing the qualification: its elements and what each marking point asks for."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from portfolio.core.security import login_required
from portfolio.qualifications import services

bp = Blueprint("qualifications", __name__, url_prefix="/qualifications")


@bp.get("/")
@login_required
def index() -> str:
    return render_template(
        "qualifications/index.html", qualifications=services.list_qualifications()
    )


@bp.get("/elements/<element_id>")
@login_required
def element(element_id: str) -> str:
    found = services.get_element(element_id)
    if found is None:
        abort(404)
    return render_template("qualifications/element.html", element=found)
