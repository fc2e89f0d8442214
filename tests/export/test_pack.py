"""The pack's facts (the portfolio.json the PDF carries) match the database, for the whole
portfolio, one element, and an EQA sample."""

from __future__ import annotations

import json
from typing import Any

import pytest

from portfolio.assessment import services as assessment
from portfolio.audit import services as audit
from portfolio.evidence.models import Evidence
from portfolio.export.facts import Scope
from portfolio.export.pack import REDACTED, build_pack, pack_json
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.marking import right_answer
from tests.export.support import IQA_FEEDBACK, OTHER, World, build_world
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def world(make: Factory) -> World:
    return build_world(make)


def _facts(world: World, scope: Scope | None = None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(pack_json(build_pack(world.learner, scope)))
    return data


def _items(facts: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for element in facts["elements"] for item in element["evidence"]]


def test_the_json_states_what_the_database_holds(world: World) -> None:
    facts = _facts(world)
    assert facts["learner"] == "Lily Learner"
    assert facts["assessor"] == "Alan Assessor"
    assert facts["iqas"] == ["Ian Quality"]
    assert [e["id"] for e in facts["elements"]] == ["pts-a", "pts-b"]
    items = _items(facts)
    assert [(i["number"], i["title"]) for i in items] == [
        (1, "Kettle refund"),
        (2, "Toaster exchange"),
        (3, "Sofa complaint"),
    ]
    for fact in items:
        row = db.session.get(Evidence, fact["id"])
        assert row is not None
        live = assessment.decisions_for(row)
        for sub_fact, submission in zip(fact["submissions"], row.submissions, strict=True):
            assert sub_fact["content_hash"] == submission.content_hash
            assert sub_fact["declared_name"] == submission.declared_name
            assert sub_fact["content"] == submission.content
            assert [a["sha256"] for a in sub_fact["attachments"]] == [
                a.sha256 for a in submission.attachments
            ]
            expected = [live[submission.id].id] if submission.id in live else []
            assert [d["id"] for d in sub_fact["decisions"]] == expected
    accepted, sampled, awaiting = items
    assert [a["filename"] for a in accepted["submissions"][0]["attachments"]] == [
        "till-receipt.png",
        "returns-form.pdf",
    ]
    assert accepted["submissions"][0]["decisions"][0]["outcome"] == "Accepted"
    [record] = sampled["submissions"][0]["decisions"][0]["iqa"]
    assert (record["iqa"], record["verdict"], record["feedback"]) == (
        "Ian Quality",
        "Agreed",
        IQA_FEEDBACK,
    )
    assert awaiting["submissions"][0]["decisions"] == []
    assert [a["hash"] for a in facts["audit"]] == [
        e.hash for e in audit.entries_for_learner(world.learner.id)
    ]
    assert facts["audit"]


def test_the_json_is_stable_sorted_and_whole(world: World) -> None:
    pack = build_pack(world.learner)
    assert pack_json(pack) == pack_json(pack)
    text = pack_json(pack).decode()
    assert text.index('"assessor"') < text.index('"attempts"') < text.index('"audit"')


def test_an_element_scope_holds_only_that_element(world: World) -> None:
    facts = _facts(world, Scope(element_id="pts-b"))
    assert [e["id"] for e in facts["elements"]] == ["pts-b"]
    # Numbered as in the whole portfolio, so "E3" means one item everywhere.
    assert [(i["number"], i["title"]) for i in _items(facts)] == [(3, "Sofa complaint")]


def test_an_eqa_sample_holds_only_sampled_decisions_with_other_learners_redacted(
    world: World,
) -> None:
    facts = _facts(world, Scope(eqa=True))
    [item] = _items(facts)
    assert item["id"] == world.sampled_id
    [submission] = item["submissions"]
    assert [d["id"] for d in submission["decisions"]] == [world.sampled_decision_id]
    text = pack_json(build_pack(world.learner, Scope(eqa=True))).decode()
    assert OTHER not in text
    assert IQA_FEEDBACK.replace(OTHER, REDACTED) in text
    # The whole pack still names them: redaction is for the EQA's copy.
    assert OTHER in pack_json(build_pack(world.learner)).decode()


def test_the_quiz_summary_lists_attempts_with_scores(world: World) -> None:
    quiz = quizzes.get_quiz("pts-a-rights")
    assert quiz is not None
    attempt = quizzes.start_attempt(world.learner, quiz)
    shown = quizzes.shown_questions(attempt)
    quizzes.submit_attempt(attempt, {s.question.id: right_answer(s.spec) for s in shown})
    [fact] = _facts(world)["attempts"]
    assert (fact["quiz"], fact["mode"]) == (quiz.title, "test")
    assert (fact["score"], fact["out_of"]) == (len(shown), len(shown))
    assert fact["submitted_at"] is not None
