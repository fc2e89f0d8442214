"""The difference between two submitted attempts: word by word, per field, with text labels, for
everyone entitled to the record and nobody else."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role
from portfolio.content.diff import diff_words
from portfolio.evidence import services as evidence
from portfolio.evidence.models import Evidence, Submission
from portfolio.evidence.versions import field_texts
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import ACCOUNT, Factory
from tests.helpers import text

REVISED = {
    **ACCOUNT,
    "outcome": ACCOUNT["outcome"].replace(
        "processed the same day", "processed the same day and the RA form was signed"
    ),
}


def _refer(app: Flask, submission_id: int) -> None:
    with app.app_context():
        submission = db.session.get(Submission, submission_id)
        assert submission is not None
        assessor = submission.evidence.learner.assessor
        assert assessor is not None
        assessment.record_decision(
            assessor,
            submission,
            {
                p.id: assessment.PointMark(PointStatus.NOT_YET_MET, "Show it.")
                for p in submission.claims
            },
            Outcome.REFERRED,
            "Attach the RA form.",
        )


def _resubmit(
    app: Flask, evidence_id: int, sections: dict[str, str], claims: tuple[str, ...]
) -> None:
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        evidence.save_draft(
            item,
            title=item.title,
            sections=sections,
            claims=claims,
            expected_version=item.version,
        )
        evidence.submit_evidence(item, item.learner, item.learner.name)


@dataclass
class World:
    app: Flask
    evidence_id: int
    emails: dict[str, str]

    def client(self, who: str) -> FlaskClient:
        client = self.app.test_client()
        login(client, self.emails[who])
        return client

    @property
    def url(self) -> str:
        return f"/assessment/evidence/{self.evidence_id}/diff"


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    assessor = make.user(Role.ASSESSOR)
    learner = make.learner(assessor=assessor, name="Lily Learner")
    first = make.submission(learner)  # claims pts-a.1 and pts-a.4
    _refer(app, first.id)
    _resubmit(app, first.evidence_id, REVISED, ("pts-a.1", "pts-a.2"))
    return World(
        app,
        first.evidence_id,
        {
            "learner": learner.email,
            "assessor": assessor.email,
            "iqa": make.user(Role.IQA).email,
            "admin": make.user(Role.ADMIN).email,
            "other": make.learner().email,
            "other_assessor": make.user(Role.ASSESSOR).email,
            "tutor": make.user(Role.TUTOR).email,
        },
    )


def test_the_assessor_sees_what_changed_word_by_word(world: World) -> None:
    response = world.client("assessor").get(world.url)
    assert response.status_code == 200
    html = text(response)
    assert "What changed from attempt 1 to attempt 2" in html
    # Only the words added are marked, with a label a screen reader reads out.
    assert (
        '<ins><span class="visually-hidden">[added: </span> and the RA form was signed'
        '<span class="visually-hidden">]</span></ins>' in html
    )
    assert "1 of 4 answers changed: Outcome." in html
    assert "Unchanged answers" in html and "Situation; Action; Reflection." in html
    assert "added pts-a.2" in html and "no longer claimed pts-a.4" in html


def test_the_record_and_the_marking_page_link_to_it(world: World) -> None:
    link = "Compare attempt 1 with attempt 2"
    record = text(world.client("learner").get(f"/assessment/evidence/{world.evidence_id}"))
    assert link in record
    assert f'href="/assessment/evidence/{world.evidence_id}/diff?from=1&amp;to=2"' in (
        world.client("learner")
        .get(f"/assessment/evidence/{world.evidence_id}")
        .get_data(as_text=True)
    )
    with world.app.app_context():
        item = db.session.get(Evidence, world.evidence_id)
        assert item is not None
        second = item.submissions[-1].id
    assert link in text(world.client("assessor").get(f"/assessment/submissions/{second}"))


@pytest.mark.parametrize("who", ["learner", "assessor", "iqa", "admin"])
def test_everyone_entitled_may_see_it(world: World, who: str) -> None:
    assert world.client(who).get(world.url + "?from=1&to=2").status_code == 200


@pytest.mark.parametrize("who", ["other", "other_assessor", "tutor"])
def test_nobody_else_may(world: World, who: str) -> None:
    assert world.client(who).get(world.url).status_code == 404


@pytest.mark.parametrize("query", ["?from=2&to=2", "?from=1&to=3", "?from=0&to=1", "?to=9"])
def test_attempts_that_do_not_exist_are_not_found(world: World, query: str) -> None:
    assert world.client("assessor").get(world.url + query).status_code == 404


def test_one_attempt_has_nothing_to_compare(app: Flask, make: Factory) -> None:
    learner = make.learner()
    single = make.submission(learner)
    client = app.test_client()
    login(client, learner.email)
    assert client.get(f"/assessment/evidence/{single.evidence_id}/diff").status_code == 404
    assert "Compare attempt" not in text(client.get(f"/assessment/evidence/{single.evidence_id}"))


def test_any_two_of_three_attempts_can_be_compared(world: World) -> None:
    _refer(world.app, _latest_id(world))
    third = {
        **REVISED,
        "reflection": "Next time I would check the returns log before calling the customer "
        "back, so that I can confirm the refund date straight away and the customer does not "
        "have to wait while I look it up.",
    }
    _resubmit(world.app, world.evidence_id, third, ("pts-a.1", "pts-a.2"))
    client = world.client("learner")

    latest = text(client.get(world.url))  # the last two by default
    assert "What changed from attempt 2 to attempt 3" in latest
    assert '<label for="from">Compare attempt</label>' in latest
    assert "1 of 4 answers changed: Reflection." in latest

    both = text(client.get(world.url + "?from=1&to=3"))
    assert "2 of 4 answers changed: Outcome; Reflection." in both
    # Backwards works too: what attempt 1 had that attempt 3 has not.
    back = text(client.get(world.url + "?from=3&to=1"))
    assert "What changed from attempt 3 to attempt 1" in back


def _latest_id(world: World) -> int:
    with world.app.app_context():
        item = db.session.get(Evidence, world.evidence_id)
        assert item is not None
        return item.submissions[-1].id


def test_word_diff_marks_only_the_changed_words() -> None:
    diff = diff_words("I refunded the customer.", "I refunded the customer in full.")
    assert [(s.kind, s.text) for s in diff.segments] == [
        ("same", "I refunded the customer"),
        ("added", " in full"),
        ("same", "."),
    ]
    assert (diff.added, diff.removed, diff.changed) == (2, 0, True)
    swapped = diff_words("The quick fox", "A slow fox")
    assert [(s.kind, s.text) for s in swapped.segments] == [
        ("removed", "The quick"),
        ("added", "A slow"),
        ("same", " fox"),
    ]
    assert not diff_words("Same text.", "Same text.").changed


def test_every_field_type_is_compared_as_a_reader_sees_it(app: Flask, ctx: None) -> None:
    spec = evidence.evidence_types()["service-interaction-log"]
    content = {
        "setting": "A call centre.",
        "interactions": [
            {"contact_date": "2026-03-03", "channel": "phone", "request": "Where is my order?"}
        ],
        # A value no section describes any more (an older version of the type) is kept.
        "retired": [{"note": "old row"}],
        "retired_list": ["one", "two"],
    }
    texts = {path: (label, value) for path, label, value in field_texts(spec, content)}
    assert texts["setting"] == ("Where and when", "A call centre.")
    channel = next(
        v for p, v in texts.items() if p.startswith("interactions[0]") and "Channel" in v[0]
    )
    assert channel == ("Interactions, Interaction 1: Channel", "Phone")
    assert texts["retired[0].note"] == ("retired, row 1: note", "old row")
    assert texts["retired_list"] == ("retired_list", "one\ntwo")
