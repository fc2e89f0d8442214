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


def test_the_pack_dates_and_times_are_london_time(app: Flask, make: Factory) -> None:
    """A decision at 00:30 BST on 1 July (23:30 UTC on 30 June) was made on 1 July; the pack
    said 30 June, and printed submission times in UTC."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from portfolio.assessment.models import Decision
    from portfolio.evidence.models import Submission

    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    done = make.submission(learner, title="Kettle refund", claims=tuple(POINTS))
    midnight_bst = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    with app.app_context():
        person, signer = db.session.get(User, learner.id), db.session.get(User, assessor.id)
        assert person is not None and signer is not None
        decide(done.id, dict.fromkeys(POINTS, MET), assessor=signer)
        db.session.execute(update(Decision).values(decided_at=midnight_bst))
        db.session.execute(update(Submission).values(submitted_at=midnight_bst))
        db.session.commit()
        html = export.portfolio_html(person)
    assert "by Alan Assessor on 1 July 2026" in html
    assert "1 July 2026, 00:30 UK time" in html
    assert "30 June 2026" not in html and "UTC" not in html
