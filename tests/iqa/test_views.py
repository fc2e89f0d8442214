"""IQA pages through the client: plans with errors next to the field, the proposal and taking
it (tampered ids refused), reviewing a frozen decision, the assessor's side, countersigning."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.assessment.models import AssessorStatus, Decision, Outcome
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry
from portfolio.extensions import db
from portfolio.iqa import services
from portfolio.iqa.models import Sample, SampleItem, Verdict
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text
from tests.iqa.support import decide, decided

WHY = "pts-a.4 is not shown: the account never gives the RA number. Look again at the call log."


@dataclass(frozen=True)
class Scene:
    iqa: User
    assessor: User
    learner: User
    both: User  # an assessor who is also an IQA
    decisions: tuple[int, ...]  # Alan's: referred, then accepted
    own: int  # Bea's decision


@pytest.fixture
def scene(app: Flask, make: Factory) -> Scene:
    iqa = make.user(Role.IQA, name="Ian Quality")
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor, name="Lily Learner")
    both = make.user(Role.ASSESSOR, Role.IQA, name="Bea Both")
    with app.app_context():
        first = decided(make, assessor, learner, Outcome.REFERRED, title="Kettle refund").id
        second = decided(make, assessor, learner, title="Toaster return").id
        own = decided(make, both, make.learner(assessor=both, name="Ben Learner")).id
    return Scene(iqa, assessor, learner, both, (first, second), own)


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user.email)
    return client


def _take(client: FlaskClient, ids: list[int], since: str = "", until: str = "", url: str = ""):  # type: ignore[no-untyped-def]
    """Tick `ids` on the proposal page (`url`) and take the sample, as the form would send it."""
    page = client.get(url or "/iqa/samples/new")
    form = read_form(page)

    def last(name: str) -> str:
        # The take form's hidden fields come after the period and filter form's.
        return (form.all(name) or [""])[-1]

    return send(
        client,
        "/iqa/samples",
        {
            **{name: last(name) for name in TAKE_FIELDS},
            "since": since or last("since"),
            "until": until or last("until"),
            "shown": form.all("shown"),
            "decision": ids,
        },
    )


TAKE_FIELDS = ("fingerprint", "assessor", "group", "element", "type", "stage")


def _sample_and_items(app: Flask) -> tuple[int, list[int]]:
    with app.app_context():
        sample = db.session.scalars(select(Sample).order_by(Sample.id.desc())).first()
        assert sample is not None
        return sample.id, [i.id for i in sample.items]


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Sampling plans


def test_the_plans_page_lists_every_assessor_with_defaults(app: Flask, scene: Scene) -> None:
    for who in (scene.iqa, _admin(app)):
        page = text(_signed_in(app, who).get("/iqa/plans"))
        assert "Alan Assessor" in page and "Bea Both" in page
        assert page.count("Default plan") == 2 and "10%" in page


def _admin(app: Flask) -> User:
    return Factory(app).user(Role.ADMIN, name="Ada Admin")


@pytest.mark.parametrize(
    ("status", "percentage", "error"),
    [
        ("qualified", "", "Give a percentage from 0 to 100."),
        ("qualified", "150", "Give a percentage from 0 to 100."),
        ("new", "ten", "Give a percentage from 0 to 100."),
        ("trainee", "50", "Every decision of a trainee assessor is sampled: set 100."),
    ],
)
def test_plan_errors_are_shown_next_to_the_field(
    app: Flask, scene: Scene, status: str, percentage: str, error: str
) -> None:
    client = _signed_in(app, scene.iqa)
    url = f"/iqa/plans/{scene.assessor.id}"
    response = send(client, url, {"status": status, "percentage": percentage})
    assert response.status_code == 422
    form = read_form(response)
    assert error in form.errors["percentage"]
    assert form.value("status") == status  # what was typed is kept
    assert "sampling_plan.changed" not in _actions(app)


def test_a_plan_change_is_saved_and_audited(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    url = f"/iqa/plans/{scene.assessor.id}"
    assert read_form(client.get(url)).value("percentage") == "10"
    response = send(client, url, {"status": "new", "percentage": "50"})
    assert response.status_code == 302 and response.headers["Location"] == "/iqa/plans"
    page = text(client.get("/iqa/plans"))
    assert "Sampling plan for Alan Assessor saved." in page
    assert "New to the centre" in page and "50%" in page
    assert _actions(app).count("sampling_plan.changed") == 1
    assert read_form(client.get(url)).value("status") == "new"


def test_an_admin_may_change_a_plan(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, _admin(app))
    response = send(
        client, f"/iqa/plans/{scene.assessor.id}", {"status": "trainee", "percentage": "100"}
    )
    assert response.status_code == 302


def test_a_plan_for_someone_not_an_assessor_is_not_found(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    assert client.get(f"/iqa/plans/{scene.learner.id}").status_code == 404
    assert client.get("/iqa/plans/999999").status_code == 404


# The proposal, and taking it


def test_the_proposal_shows_each_decision_with_its_reason(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.both)
    page = text(client.get("/iqa/samples/new"))
    assert "Proposed sample" in page
    # 10% of Alan's two decisions, at least one interim and one final: both.
    assert "Kettle refund" in page and "Toaster return" in page
    assert "First decision sampled for Lily Learner" in page
    assert "a referral (interim) decision" in page and "An acceptance (final) decision" in page
    assert "1 of your own decision in this period is left out" in page
    assert "Ben Learner" not in page  # her own decision is not proposed
    assert sorted(map(int, read_form(page).all("decision"))) == sorted(scene.decisions)


def test_a_bad_period_is_shown_next_to_the_field(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    response = client.get("/iqa/samples/new?since=2026-12-01&until=2026-11-01")
    assert response.status_code == 422
    assert read_form(response).errors["until"] == "Error: The end date is before the start date."
    response = client.get("/iqa/samples/new?since=2000-01-01&until=2000-01-31")
    assert response.status_code == 200
    assert "No decisions to sample in this period." in text(response)


def test_taking_the_sample_with_one_unticked(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    response = _take(client, [scene.decisions[0]])
    sample_id, _ = _sample_and_items(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/iqa/samples/{sample_id}"
    page = text(client.get(f"/iqa/samples/{sample_id}"))
    assert "Sample taken: 1 decisions to review." in page
    assert "Kettle refund" in page and "Toaster return" not in page
    assert "To review" in page
    assert "sample.taken" in _actions(app)
    assert f"Sample {sample_id}," in text(client.get("/iqa/"))


@pytest.mark.parametrize("tamper", ["own", "unknown", "none"])
def test_a_tampered_sample_is_refused(app: Flask, scene: Scene, tamper: str) -> None:
    client = _signed_in(app, scene.both)
    ids = {"own": [scene.decisions[0], scene.own], "unknown": [999_999], "none": []}[tamper]
    response = _take(client, ids)
    assert response.status_code == 422
    message = {
        "own": "You cannot sample your own assessment decisions.",
        "unknown": "The proposal has changed since you opened it",
        "none": "Choose at least one decision to sample.",
    }[tamper]
    assert message in text(response)
    assert "The sample was not taken" in text(response)
    with app.app_context():
        assert db.session.scalar(select(Sample.id)) is None


def test_a_malformed_take_form_is_a_bad_request(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    assert _take(client, ["abc"]).status_code == 400  # type: ignore[list-item]
    assert (
        send(client, "/iqa/samples", {"since": "x", "until": "y", "decision": [1]}).status_code
        == 400
    )


# Reviewing


def _item_url(app: Flask) -> tuple[str, str]:
    sample_id, (item_id, *_) = _sample_and_items(app)
    return f"/iqa/samples/{sample_id}/items/{item_id}", f"/iqa/samples/{sample_id}"


def test_the_item_page_shows_the_frozen_decision_not_the_live_one(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    _take(client, [scene.decisions[0]])
    url, _ = _item_url(app)
    with app.app_context():
        db.session.get(User, scene.learner.id).name = "Lily Renamed"  # type: ignore[union-attr]
        db.session.get(Decision, scene.decisions[0]).feedback = "Edited later"  # type: ignore[union-attr]
        db.session.commit()
    page = text(client.get(url))
    assert "Lily Learner" in page and "Lily Renamed" not in page
    assert "Add the RA number" in page and "Edited later" not in page
    assert "In March 2026 a customer phoned the store" in page  # the content, laid out
    assert "Record verdict" in page


def test_disagreeing_needs_feedback_next_to_the_field(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    _take(client, [scene.decisions[0]])
    url, _ = _item_url(app)
    response = send(client, url + "/verdict", {"verdict": "disagree", "feedback": "  "})
    assert response.status_code == 422
    assert "Say what the assessor should look at again." in read_form(response).errors["feedback"]
    response = send(client, url + "/verdict", {})
    assert "Choose agree or disagree." in read_form(response).errors["verdict"]


def test_disagreement_goes_back_to_the_assessor_and_comes_back_resolved(
    app: Flask, scene: Scene
) -> None:
    iqa = _signed_in(app, scene.iqa)
    _take(iqa, list(scene.decisions))
    url, sample_url = _item_url(app)
    response = send(iqa, url + "/verdict", {"verdict": "disagree", "feedback": WHY})
    assert response.status_code == 302 and response.headers["Location"] == sample_url
    page = text(iqa.get(sample_url))
    assert "the decision is back in the assessor's queue" in page
    assert "Disagreed; back with the assessor" in page
    assert "Not yet: the decision is back in Alan Assessor\u2019s queue" in text(iqa.get(url))
    # The verdict stands: a second one is refused.
    again = send(iqa, url + "/verdict", {"verdict": "agree"})
    assert again.status_code == 422 and "already been reviewed" in text(again)

    assessor = _signed_in(app, scene.assessor)
    with app.app_context():
        submission_id = db.session.get(Decision, scene.decisions[0]).submission_id  # type: ignore[union-attr]
    queue = text(assessor.get("/assessment/queue"))
    assert "Kettle refund" in queue
    mark = text(assessor.get(f"/assessment/submissions/{submission_id}"))
    assert "Reopened by IQA" in mark and WHY in mark
    with app.app_context():
        from portfolio.evidence.models import Submission

        decide(scene.assessor, db.session.get(Submission, submission_id), Outcome.ACCEPTED)  # type: ignore[arg-type]

    page = text(iqa.get(sample_url))
    assert "Disagreed; the assessor has decided again: accepted on" in page
    item_page = text(iqa.get(url))
    assert "Resolved: Alan Assessor decided again" in item_page and WHY in item_page
    actions = _actions(app)
    last_decision = max(i for i, a in enumerate(actions) if a == "decision.recorded")
    assert actions.index("sample.taken") < actions.index("iqa.disagreed") < last_decision


def test_agreeing_from_the_page(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    _take(client, [scene.decisions[1]])
    url, sample_url = _item_url(app)
    send(client, url + "/verdict", {"verdict": "agree", "feedback": "Marks match the account."})
    page = text(client.get(sample_url))
    assert "Agreement recorded." in page and "Agreed" in page
    assert "Marks match the account." in text(client.get(url))
    assert "iqa.agreed" in _actions(app)


def test_other_iqas_and_admins_read_the_item_without_a_form(app: Flask, scene: Scene) -> None:
    _take(_signed_in(app, scene.iqa), [scene.decisions[1]])
    url, _ = _item_url(app)
    for reader in (scene.both, _admin(app)):
        page = text(_signed_in(app, reader).get(url))
        assert "Record verdict" not in page
        assert "Ian Quality, who took this sample, reviews it." in page
    refused = send(_signed_in(app, scene.both), url + "/verdict", {"verdict": "agree"})
    assert refused.status_code == 422
    assert "Only Ian Quality, who took this sample, can review it." in text(refused)


def test_an_item_of_another_sample_is_not_found(app: Flask, scene: Scene) -> None:
    client = _signed_in(app, scene.iqa)
    _take(client, [scene.decisions[1]])
    sample_id, (item_id,) = _sample_and_items(app)
    assert client.get(f"/iqa/samples/{sample_id + 1}/items/{item_id}").status_code == 404
    assert client.get(f"/iqa/samples/{sample_id}/items/{item_id + 1}").status_code == 404
    assert client.get(f"/iqa/samples/{sample_id + 1}").status_code == 404


# Countersigning


def _trainee_decision(app: Flask, scene: Scene) -> tuple[User, int]:
    make = Factory(app)
    trainee = make.user(Role.ASSESSOR, name="Tom Trainee")
    with app.app_context():
        services.change_plan(
            db.session.get(User, trainee.id),  # type: ignore[arg-type]
            AssessorStatus.TRAINEE,
            100,
            db.session.get(User, scene.iqa.id),  # type: ignore[arg-type]
        )
        decision = decided(make, trainee, make.learner(assessor=trainee, name="Tess Learner"))
        return trainee, decision.id


def test_countersigning_from_the_list(app: Flask, scene: Scene) -> None:
    _, decision_id = _trainee_decision(app, scene)
    client = _signed_in(app, scene.iqa)
    page = text(client.get("/iqa/countersignatures"))
    assert "Tom Trainee" in page and "Tess Learner" in page
    assert "(1)" in text(client.get("/iqa/"))
    response = send(client, f"/iqa/decisions/{decision_id}/countersignature", {})
    assert response.status_code == 302
    page = text(client.get("/iqa/countersignatures"))
    assert "Countersigned Tom Trainee's decision." in page
    assert "Nothing is waiting for a countersignature." in page
    again = send(client, f"/iqa/decisions/{decision_id}/countersignature", {})
    assert "already been countersigned" in text(_follow(client, again))
    assert _actions(app).count("decision.countersigned") == 1


def _follow(client: FlaskClient, response):  # type: ignore[no-untyped-def]
    return client.get(response.headers["Location"])


def test_a_trainee_iqa_cannot_countersign_their_own(app: Flask, scene: Scene) -> None:
    with app.app_context():
        services.change_plan(
            db.session.get(User, scene.both.id),  # type: ignore[arg-type]
            AssessorStatus.TRAINEE,
            100,
            db.session.get(User, scene.iqa.id),  # type: ignore[arg-type]
        )
        own = decided(Factory(app), scene.both, Factory(app).learner(assessor=scene.both)).id
    client = _signed_in(app, scene.both)
    assert "Nothing is waiting" in text(client.get("/iqa/countersignatures"))
    response = send(client, f"/iqa/decisions/{own}/countersignature", {})
    assert "You cannot countersign your own decision." in text(_follow(client, response))
    assert send(client, "/iqa/decisions/999999/countersignature", {}).status_code == 404


def test_admins_see_the_list_without_buttons(app: Flask, scene: Scene) -> None:
    _trainee_decision(app, scene)
    page = text(_signed_in(app, _admin(app)).get("/iqa/countersignatures"))
    assert "Tom Trainee" in page
    assert not re.search(r"<button[^>]*>Countersign", page)


def test_the_nav_links_quality_assurance_for_iqas_and_admins(app: Flask, scene: Scene) -> None:
    assert "Quality assurance" in text(_signed_in(app, scene.iqa).get("/"))
    assert "Quality assurance" not in text(_signed_in(app, scene.assessor).get("/"))


def test_verdict_enum_and_item_model_agree() -> None:
    assert SampleItem(verdict=None).state == "To review"
    assert SampleItem(verdict=Verdict.AGREE).state == "Agreed"
