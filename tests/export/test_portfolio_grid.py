"""The portfolio PDF draws the same tracking tables as the learner page (live decisions only,
sign-offs in the caption), and still renders."""

from __future__ import annotations

from flask import Flask

from portfolio.assessment import signoff
from portfolio.auth.models import Role, User
from portfolio.export import services as export
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from tests.assessment.support import MET, decide
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_tables

POINTS = [f"pts-a.{n}" for n in range(1, 6)]


def test_the_pdf_grid_is_the_learner_pages_grid(app: Flask, make: Factory) -> None:
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    done = make.submission(learner, title="Kettle refund", claims=tuple(POINTS))
    make.submission(learner, element_id="pts-b", title="Sofa complaint", claims=("pts-b.1",))
    with app.app_context():
        person, signer = db.session.get(User, learner.id), db.session.get(User, assessor.id)
        element = qualifications.get_element("pts-a")
        assert person is not None and signer is not None and element is not None
        decide(done.id, dict.fromkeys(POINTS, MET), assessor=signer)
        signoff.sign_off_element(signer, person, element)
        pdf_tables = read_tables(export.portfolio_html(person))
        assert export.export_portfolio(person).startswith(b"%PDF")

    client = app.test_client()
    login(client, learner.email)
    page_tables = read_tables(client.get(f"/assessment/learners/{learner.id}"))
    # The declarations table comes first; then the tracking grid, as on the page.
    assert pdf_tables[0][0] == ["Declarations of own work"]
    grid = pdf_tables[1 : 1 + len(page_tables)]
    assert grid == page_tables
    assert "signed off by alan assessor on" in grid[0][0][0]
    assert grid[1][1][1] == "E2: Sofa complaint"
