"""Coverage hints: marking points' cue words matched in a text (pure), the JSON-ready hints for a
draft, and the hints on the edit page."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import User
from portfolio.evidence import check_services
from portfolio.evidence.coverage import coverage
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import text

# --- Coverage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    id: str
    text: str
    cues: tuple[str, ...]


POINTS = (
    Point("p1", "Rights", ("consumer rights act", "refund", "right to reject")),
    Point("p2", "Listening", ("listened", "empathised", "apologised", "repeated back")),
    Point("p3", "Logging", ("logged", "query", "return authorisation", "RA number")),
    Point("p4", "Root cause", ("root cause", "5 whys")),
    Point("p5", "No cues", ()),
)


def _covered(text: str) -> dict[str, tuple[str, ...]]:
    return {h.point_id: h.matched for h in coverage(text, POINTS) if h.covered}


def test_cues_are_matched_case_insensitively_as_whole_words() -> None:
    text = "Under the CONSUMER RIGHTS ACT I listened and gave a refund."
    assert _covered(text) == {"p1": ("consumer rights act", "refund"), "p2": ("listened",)}


def test_cue_words_match_their_other_forms() -> None:
    assert _covered("I refunded her and apologise for the delay.") == {
        "p1": ("refund",),
        "p2": ("apologised",),
    }
    assert _covered("She had two queries, which I log every time.") == {"p3": ("logged", "query")}
    assert _covered("The returns authorization form and the RA numbers.") == {
        "p3": ("return authorisation", "RA number")
    }
    assert _covered("I used the 5 why method to find the root causes.") == {
        "p4": ("root cause", "5 whys")
    }
    assert _covered("I repeated it back and empathized.") == {"p2": ("empathised",)}


def test_parts_of_words_do_not_count() -> None:
    assert _covered("The refundable deposit was unlogged; a blog about causes.") == {}


def test_every_point_gets_a_hint_in_order() -> None:
    hints = coverage("I listened.", POINTS)
    assert [(h.point_id, h.covered) for h in hints] == [
        ("p1", False),
        ("p2", True),
        ("p3", False),
        ("p4", False),
        ("p5", False),
    ]


@dataclass
class Learner:
    client: FlaskClient
    user: User


@pytest.fixture
def learner(app: Flask, make: Factory) -> Learner:
    user = make.learner()
    client = app.test_client()
    login(client, user.email)
    return Learner(client, user)


def test_the_edit_page_shows_coverage_hints(app: Flask, make: Factory, learner: Learner) -> None:
    blank = make.evidence(learner.user, filled=False)
    html = text(learner.client.get(f"/evidence/{blank.id}/edit"))
    assert "Hints only: you claim, your assessor decides." in html
    assert "Marking points your text seems to address" in html
    assert "Not yet covered" in html

    filled = make.evidence(learner.user)
    html = text(learner.client.get(f"/evidence/{filled.id}/edit"))
    covered = html.split('id="coverage-covered"')[1].split("</ul>")[0]
    assert "pts-a.1" in covered and "found: consumer rights act, right to reject, refund" in covered


def test_coverage_for_draft_is_json_ready(app: Flask, make: Factory, learner: Learner) -> None:
    item = make.evidence(learner.user, filled=False)
    with app.app_context():
        found = db.session.get(Evidence, item.id)
        assert found is not None
        hints = check_services.coverage_for_draft(found)
        assert [h["id"] for h in hints] == [f"pts-a.{n}" for n in range(1, 6)]
        assert not any(h["covered"] for h in hints)
        typed = {**found.draft, "action": "I escalated it to my supervisor and apologised."}
        hints = check_services.coverage_for_draft(found, typed)
        json.dumps(hints)
        assert {h["id"]: h["cues"] for h in hints if h["covered"]} == {
            "pts-a.3": ["apologised"],
            "pts-a.5": ["escalated", "supervisor"],
        }
