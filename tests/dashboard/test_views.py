"""The home page: a learner's next steps, evidence by status and coverage; other roles without."""

from __future__ import annotations

from flask import Flask

from portfolio.auth.models import Role
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import text


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
