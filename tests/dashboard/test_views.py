"""The home page: a learner's next steps, evidence by status and coverage; other roles without."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from portfolio.assessment import caseload
from portfolio.auth.models import Role
from tests.assessment.support import backdate
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import text
from tests.support.queries import count_request


def test_a_learner_sees_next_steps_status_and_coverage(app: Flask, make: Factory) -> None:
    learner = make.learner(assessor=make.user(Role.ASSESSOR))
    draft = make.evidence(learner, title="Kettle refund")
    make.submission(learner, title="Sofa complaint")
    client = app.test_client()
    login(client, learner.email)
    html = text(client.get("/"))

    assert '<h2 id="next-title">What to do next</h2>' in html
    assert (
        f'<a href="/evidence/{draft.id}/edit">Finish your draft “Kettle refund” and submit it.</a>'
        in html
    )
    assert "Drafts</span>: 1</strong>" in html
    assert "Submitted, awaiting assessment</span>: 1</strong>" in html
    assert "Referred back to you</span>: 0</strong>" in html
    assert "Accepted</span>: 0</strong>" in html
    assert f'<a href="/evidence/{draft.id}/edit">Kettle refund</a>' in html
    assert '<caption class="visually-hidden">For each element' in html
    # Sofa complaint claims pts-a.1 and pts-a.4 and awaits a decision.
    assert "<td>2 (pts-a.1, pts-a.4)</td>" in html
    assert 'href="/evidence/#start"' in html


def test_other_roles_do_not_get_the_learner_sections(app: Flask, make: Factory) -> None:
    client = app.test_client()
    login(client, make.user(Role.ASSESSOR).email)
    html = text(client.get("/"))
    assert "What to do next" not in html and "Marking points per element" not in html


def test_the_iqa_home_page_lists_decisions_overdue(
    app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caseload, "today", lambda: date(2026, 3, 12))
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    late, on_time = make.submission(learner, title="Sofa complaint"), make.submission(learner)
    with app.app_context():
        for submission, day in ((late, 2), (on_time, 11)):
            backdate(submission.id, datetime(2026, 3, day, 10, tzinfo=UTC))
    iqa = app.test_client()
    login(iqa, make.user(Role.IQA).email)
    html = text(iqa.get("/"))
    section = html.split('<h2 id="overdue-title">Decisions overdue</h2>')[1].split("</section>")[0]
    row = section.split("<tbody>")[1]
    assert f'<a href="/assessment/evidence/{late.evidence_id}">Sofa complaint</a>' in row
    assert ">Lily Learner</a></td>" in row and ">Alan Assessor</a></td>" in row
    assert '<strong class="badge badge-overdue">Overdue</strong> by 1 working day' in row
    assert "Kettle refund" not in section  # on time: not the IQA's concern yet

    # Others do not get the list; with nothing late, the IQA is told so.
    assessor_client = app.test_client()
    login(assessor_client, assessor.email)
    assert "Decisions overdue" not in text(assessor_client.get("/"))
    monkeypatch.setattr(caseload, "today", lambda: date(2026, 3, 2))
    assert "No decision is overdue." in text(iqa.get("/"))


def test_the_learner_home_reads_the_evidence_list_once(app: Flask, make: Factory) -> None:
    learner = make.learner(assessor=make.user(Role.ASSESSOR))
    make.evidence(learner, title="Kettle refund")
    make.submission(learner, title="Sofa complaint")
    client = app.test_client()
    login(client, learner.email)
    seen = count_request(app, lambda: client.get("/"))
    from_evidence = [
        s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM evidence" in s
    ]
    assert len(from_evidence) == 1
