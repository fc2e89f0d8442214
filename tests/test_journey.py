"""The whole mission once, through the test client, as the demo users would do it."""

from __future__ import annotations

import io
import re

from flask import Flask
from pypdf import PdfReader

from portfolio.auth.models import Role
from portfolio.quizzes.marking import mark
from tests.conftest import csrf_token, login
from tests.export.support import export
from tests.factories import ACCOUNT, Factory
from tests.quizzes.support import form as quiz_form
from tests.quizzes.support import shown, wrong


def test_the_whole_journey(app: Flask, make: Factory) -> None:
    tutor = make.user(Role.TUTOR, name="Tina Tutor")
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    tutor_c, learner_c, assessor_c = app.test_client(), app.test_client(), app.test_client()
    login(tutor_c, tutor.email)
    login(learner_c, learner.email)
    login(assessor_c, assessor.email)

    # 2. A draft page is invisible to learners until the tutor publishes it.
    assert learner_c.get("/pages/pts-a-overview").status_code == 404
    edit = tutor_c.get("/pages/pts-a-overview/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    body = "## Short-term right to reject\n\nA customer has **30 days** to reject faulty goods."
    r = tutor_c.post(
        "/pages/pts-a-overview/edit",
        data={
            "csrf_token": csrf_token(tutor_c, "/pages/"),
            "title": "Rights after the sale",
            "body": body,
            "status": "published",
            "version": version,
        },
    )
    assert r.status_code == 302
    page = learner_c.get("/pages/pts-a-overview").get_data(as_text=True)
    assert "Rights after the sale" in page and "<strong>30 days</strong>" in page

    # 3. A short quiz: a wrong answer shows the misconception behind it.
    r = learner_c.post(
        "/quizzes/pts-a-rights/attempts", data={"csrf_token": csrf_token(learner_c, "/quizzes/")}
    )
    take_url = r.headers["Location"]
    page = learner_c.get(take_url).get_data(as_text=True)
    questions = shown(app, int(take_url.rsplit("/", 1)[1]))
    assert all(f'name="q{s.number}' in page for s in questions)
    first = questions[0]
    (revealed,) = mark(first.spec, wrong(first.spec)).revealed
    with app.app_context():
        from portfolio.qualifications import services as qualifications

        found = qualifications.get_misconception(revealed.misconception_id)
        assert found is not None
        misconception_text = found.text
    r = learner_c.post(
        take_url,
        data={
            "csrf_token": csrf_token(learner_c, take_url),
            **quiz_form(questions, wrong_numbers={1}),
        },
    )
    result = learner_c.get(r.headers["Location"]).get_data(as_text=True)
    assert f"You scored <strong>{len(questions) - 1} out of {len(questions)}</strong>" in result
    assert "The misconception behind it" in result
    assert misconception_text.replace("'", "&#39;") in result

    # 4. A reflective account: draft, come back, claim, declare, submit.
    r = learner_c.post(
        "/evidence/",
        data={
            "csrf_token": csrf_token(learner_c, "/evidence/"),
            "title": "Kettle refund",
            "type_id": "reflective-account",
            "element_id": "pts-a",
        },
    )
    edit_url = r.headers["Location"]
    form = learner_c.get(edit_url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    r = learner_c.post(
        edit_url,
        data={
            "csrf_token": csrf_token(learner_c, edit_url),
            "title": "Kettle refund",
            "version": version,
            "next": "save",
            **ACCOUNT,
        },
    )
    assert r.status_code == 302
    form = learner_c.get(edit_url).get_data(as_text=True)
    assert "stopped heating" in form  # the draft came back
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    r = learner_c.post(
        edit_url,
        data={
            "csrf_token": csrf_token(learner_c, edit_url),
            "title": "Kettle refund",
            "version": version,
            "next": "submit",
            "claims": ["pts-a.1", "pts-a.4"],
            **ACCOUNT,
        },
    )
    submit_url = r.headers["Location"]
    r = learner_c.post(
        submit_url,
        data={
            "csrf_token": csrf_token(learner_c, submit_url),
            "confirm": "y",
            "declared_name": "Lily Learner",
        },
    )
    assert r.status_code == 302
    # Submitted: nobody can edit it.
    r = learner_c.post(
        edit_url,
        data={
            "csrf_token": csrf_token(learner_c, "/evidence/"),
            "title": "Changed",
            "version": "99",
            **ACCOUNT,
        },
    )
    assert r.status_code == 409

    # 5. The assessor's queue; mark every point; refer back with feedback.
    queue = assessor_c.get("/assessment/queue").get_data(as_text=True)
    mark_url = re.search(r'href="(/assessment/submissions/\d+)"', queue).group(1)
    page = assessor_c.get(mark_url).get_data(as_text=True)
    # The page's hidden fields: which submission, and the item's version it showed.
    hidden = dict(re.findall(r'name="(submission_id|version)" type="hidden" value="(\d+)"', page))
    assert set(hidden) == {"submission_id", "version"}
    r = assessor_c.post(
        mark_url,
        data={
            "csrf_token": csrf_token(assessor_c, mark_url),
            **hidden,
            "p1_status": "met",
            "p1_comment": "Rights named correctly.",
            "p4_status": "not_yet_met",
            "p4_comment": "Show the completed RA form.",
            "outcome": "referred",
            "feedback": "Attach the RA form and say who signed it.",
        },
    )
    assert r.status_code == 302
    record = learner_c.get(
        edit_url.replace("/evidence/", "/assessment/evidence/").replace("/edit", "")
    ).get_data(as_text=True)
    assert "Referred back" in record and "Attach the RA form" in record
    assert "Show the completed RA form." in record

    # 6. The portfolio PDF: cover, contents with page numbers, decisions, tracking grid.
    pdf = export(learner_c, learner.id)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Evidence portfolio" in text and "Lily Learner" in text
    assert re.search(r"E1\. Kettle refund\s*\.*\s*\d+", text)  # contents line with a page number
    assert "stopped heating" in text
    assert "Not yet met" in text and "Show the completed RA form." in text
    assert "Tracking matrix" in text
    assert export(assessor_c, learner.id).status_code == 200
