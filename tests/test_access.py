"""Access rules for every route: anonymous -> sign in, wrong role -> 403, someone else's -> 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.assessment import comment_bank
from portfolio.assessment.models import CommentBankEntry, PointStatus
from portfolio.assessment.services import PointMark
from portfolio.auth.models import Role
from portfolio.evidence.attachments import add_attachment
from portfolio.evidence.models import Evidence
from portfolio.export.models import ExportJob, JobKind
from portfolio.extensions import db
from portfolio.iqa import services as iqa_services
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.marking import right_answer
from portfolio.quizzes.models import AttemptMode
from tests.conftest import login, post
from tests.factories import Factory
from tests.iqa.support import decide


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # formatted with the World's ids
    roles: tuple[str, ...]  # empty: any signed-in user


FLAG = "0123456789abcdef0123"  # a flag id of the right shape; the draft has no flags

# Every route of the app, with who may use it. test_every_route_is_listed keeps this complete.
ROUTES = [
    Route("dashboard.index", "GET", "/", ()),
    Route("auth.logout", "POST", "/auth/logout", ()),
    Route("auth.password", "GET", "/auth/password", ()),
    Route("admin.users", "GET", "/admin/users", (Role.ADMIN,)),
    Route("admin.user", "GET", "/admin/users/{learner}", (Role.ADMIN,)),
    Route("admin.assign", "POST", "/admin/users/{learner}/assessor", (Role.ADMIN,)),
    Route("admin.assign_cohort", "POST", "/admin/users/{learner}/cohort", (Role.ADMIN,)),
    Route("admin.cohorts", "GET", "/admin/cohorts", (Role.ADMIN,)),
    Route("admin.cohorts", "POST", "/admin/cohorts", (Role.ADMIN,)),
    Route("audit.index", "GET", "/audit/", (Role.ADMIN, Role.IQA)),
    Route("qualifications.index", "GET", "/qualifications/", ()),
    Route("qualifications.element", "GET", "/qualifications/elements/pts-a", ()),
    Route("content.index", "GET", "/pages/", ()),
    Route("content.show", "GET", "/pages/pts-b-overview", ()),
    Route("content.search", "GET", "/pages/search?q=refund", ()),
    Route("content.read", "POST", "/pages/pts-b-overview/read", (Role.LEARNER,)),
    Route("content.create", "GET", "/pages/new", (Role.TUTOR, Role.ADMIN)),
    Route("content.review", "GET", "/pages/review", (Role.TUTOR, Role.ADMIN)),
    Route("content.edit", "GET", "/pages/pts-b-overview/edit", (Role.TUTOR, Role.ADMIN)),
    Route(
        "media.page_images", "GET", "/media/pages/pts-b-overview/images", (Role.TUTOR, Role.ADMIN)
    ),
    Route(
        "media.page_images", "POST", "/media/pages/pts-b-overview/images", (Role.TUTOR, Role.ADMIN)
    ),
    Route("media.image", "GET", "/media/images/{image}", ()),
    Route("content.history", "GET", "/pages/pts-b-overview/history", (Role.TUTOR, Role.ADMIN)),
    Route("content.revision", "GET", "/pages/pts-b-overview/revisions/1", (Role.TUTOR, Role.ADMIN)),
    Route(
        "content.restore",
        "POST",
        "/pages/pts-b-overview/revisions/1/restore",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route("content.diff", "GET", "/pages/pts-b-overview/diff", (Role.TUTOR, Role.ADMIN)),
    Route("quizzes.index", "GET", "/quizzes/", (Role.LEARNER,)),
    Route("quizzes.analytics", "GET", "/quizzes/analytics", (Role.TUTOR, Role.ADMIN)),
    Route(
        "quizzes.send", "POST", "/quizzes/misconceptions/pts-a.m1/send", (Role.TUTOR, Role.ADMIN)
    ),
    Route("quizzes.misconceptions", "GET", "/quizzes/misconceptions", (Role.LEARNER,)),
    Route("quizzes.start", "POST", "/quizzes/pts-a-rights/attempts", (Role.LEARNER,)),
    Route("quizzes.review", "POST", "/quizzes/review", (Role.LEARNER,)),
    Route("quizzes.take", "GET", "/quizzes/attempts/{attempt}", (Role.LEARNER,)),
    Route("quizzes.take", "POST", "/quizzes/attempts/{attempt}", (Role.LEARNER,)),
    Route("quizzes.feedback", "GET", "/quizzes/attempts/{attempt}/answers/1", (Role.LEARNER,)),
    Route("quizzes.result", "GET", "/quizzes/attempts/{attempt}/result", (Role.LEARNER,)),
    Route("evidence.index", "GET", "/evidence/", (Role.LEARNER,)),
    Route("evidence.create", "POST", "/evidence/", (Role.LEARNER,)),
    Route("evidence.edit", "GET", "/evidence/{draft}/edit", (Role.LEARNER,)),
    Route("evidence.submit", "GET", "/evidence/{draft}/submit", (Role.LEARNER,)),
    # Autosave (a script posting the draft form): JSON only when asked for; see
    # tests/evidence/test_autosave.py for its 401/403/404 in JSON.
    Route("evidence.autosave", "POST", "/evidence/{draft}/autosave", (Role.LEARNER,)),
    # The submit page's check actions (evidence/check_views.py): the learner's own draft only.
    Route(
        "evidence.redact", "POST", f"/evidence/{{draft}}/flags/{FLAG}/redaction", (Role.LEARNER,)
    ),
    Route("evidence.redact_all", "POST", "/evidence/{draft}/flags/redaction", (Role.LEARNER,)),
    Route(
        "evidence.dismiss", "POST", f"/evidence/{{draft}}/flags/{FLAG}/dismissal", (Role.LEARNER,)
    ),
    # Supporting files (evidence/attachment_views.py): the learner attaches and removes them on
    # their own draft; anyone entitled to the evidence downloads them.
    Route("evidence.attachments", "GET", "/evidence/{draft}/attachments", (Role.LEARNER,)),
    Route("evidence.attachments", "POST", "/evidence/{draft}/attachments", (Role.LEARNER,)),
    Route(
        "evidence.attachment_remove",
        "POST",
        "/evidence/{draft}/attachments/{attachment}/remove",
        (Role.LEARNER,),
    ),
    Route("evidence.attachment", "GET", "/evidence/attachments/{attachment}", ()),
    Route("assessment.queue", "GET", "/assessment/queue", (Role.ASSESSOR, Role.IQA, Role.ADMIN)),
    Route("assessment.overdue", "GET", "/assessment/overdue", (Role.IQA, Role.ADMIN)),
    Route("assessment.mark", "GET", "/assessment/submissions/{submission}", (Role.ASSESSOR,)),
    # Marking (assessment/marking_views.py): a decision posted outside the caseload is a 404, and
    # logged (tests/assessment/test_marking_views.py); the comment bank is each assessor's.
    Route("assessment.mark", "POST", "/assessment/submissions/{submission}", (Role.ASSESSOR,)),
    Route("assessment.comments", "GET", "/assessment/comments", (Role.ASSESSOR,)),
    Route(
        "assessment.comment_delete",
        "POST",
        "/assessment/comments/{comment}/delete",
        (Role.ASSESSOR,),
    ),
    Route("assessment.record", "GET", "/assessment/evidence/{submitted}", ()),
    # Two attempts compared; the World's item has one, so the entitled get 404 here too
    # (tests/assessment/test_diff.py lets them through with two).
    Route("assessment.diff", "GET", "/assessment/evidence/{submitted}/diff", ()),
    Route("assessment.learner", "GET", "/assessment/learners/{learner}", ()),
    # Tracking (assessment/tracking_views.py): the learner's grid as CSV for whoever may see the
    # page; signing off for the learner's own assessor; the cohort matrix for assessors (their
    # own learners), IQAs and admins.
    Route("assessment.learner_csv", "GET", "/assessment/learners/{learner}/tracking.csv", ()),
    Route(
        "assessment.sign_off",
        "POST",
        "/assessment/learners/{learner}/elements/pts-a/sign-off",
        (Role.ASSESSOR,),
    ),
    Route("assessment.cohort", "GET", "/assessment/cohort", (Role.ASSESSOR, Role.IQA, Role.ADMIN)),
    Route(
        "assessment.cohort_csv",
        "GET",
        "/assessment/cohort.csv?group=none",
        (Role.ASSESSOR, Role.IQA, Role.ADMIN),
    ),
    Route("export.start", "GET", "/export/learners/{learner}", ()),
    Route("export.start", "POST", "/export/learners/{learner}", ()),
    Route("export.start_cohort", "POST", "/export/cohort", (Role.ASSESSOR, Role.IQA, Role.ADMIN)),
    Route("export.job_list", "GET", "/export/jobs", ()),
    # A job is its requester's alone (here the learner's own export).
    Route("export.job", "GET", "/export/jobs/{job}", ()),
    Route("export.status", "GET", "/export/jobs/{job}/status", ()),
    Route("export.download", "GET", "/export/jobs/{job}/download", ()),
    Route("export.sheet", "GET", "/export/elements/pts-a/sheet.pdf", ()),
    # Internal quality assurance (portfolio/iqa): IQAs do everything; admins read every page and
    # change sampling plans, but never sample, review or countersign.
    Route("iqa.index", "GET", "/iqa/", (Role.IQA, Role.ADMIN)),
    Route("iqa.plans", "GET", "/iqa/plans", (Role.IQA, Role.ADMIN)),
    Route("iqa.plan", "GET", "/iqa/plans/{assessor}", (Role.IQA, Role.ADMIN)),
    Route("iqa.plan", "POST", "/iqa/plans/{assessor}", (Role.IQA, Role.ADMIN)),
    Route("iqa.propose", "GET", "/iqa/samples/new", (Role.IQA,)),
    Route("iqa.take", "POST", "/iqa/samples", (Role.IQA,)),
    Route("iqa.sample", "GET", "/iqa/samples/{sample}", (Role.IQA, Role.ADMIN)),
    Route("iqa.item", "GET", "/iqa/samples/{sample}/items/{sample_item}", (Role.IQA, Role.ADMIN)),
    Route("iqa.review", "POST", "/iqa/samples/{sample}/items/{sample_item}/verdict", (Role.IQA,)),
    Route("iqa.countersignatures", "GET", "/iqa/countersignatures", (Role.IQA, Role.ADMIN)),
    Route("iqa.countersign", "POST", "/iqa/decisions/{decision}/countersignature", (Role.IQA,)),
    # The question bank (quizzes/authoring_views.py): tutors and admins only.
    Route("quizzes.manage", "GET", "/quizzes/manage", (Role.TUTOR, Role.ADMIN)),
    Route(
        "quizzes.misconceptions_of",
        "GET",
        "/quizzes/manage/pts-a-rights/misconceptions",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.misconception_new",
        "POST",
        "/quizzes/manage/pts-a-rights/misconceptions",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_new",
        "GET",
        "/quizzes/manage/pts-a-rights/questions/new?type=classify",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_new",
        "POST",
        "/quizzes/manage/pts-a-rights/questions/new?type=single",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_edit",
        "GET",
        "/quizzes/manage/questions/pts-a-rights.q1/edit",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_edit",
        "POST",
        "/quizzes/manage/questions/pts-a-rights.q1/edit",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_history",
        "GET",
        "/quizzes/manage/questions/pts-a-rights.q1/history",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_revision",
        "GET",
        "/quizzes/manage/questions/pts-a-rights.q1/revisions/1",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_diff",
        "GET",
        "/quizzes/manage/questions/pts-a-rights.q1/diff",
        (Role.TUTOR, Role.ADMIN),
    ),
    Route(
        "quizzes.question_restore",
        "POST",
        "/quizzes/manage/questions/pts-a-rights.q1/revisions/1/restore",
        (Role.TUTOR, Role.ADMIN),
    ),
]
PUBLIC = {"auth.login", "static"}


@dataclass
class World:
    ids: dict[str, int]
    emails: dict[str, str]


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    assessor = make.user(Role.ASSESSOR)
    other_assessor = make.user(Role.ASSESSOR)
    learner = make.learner(assessor=assessor)
    other = make.learner(assessor=other_assessor)
    draft = make.evidence(learner, title="Draft")
    tutor = make.user(Role.TUTOR)
    image = make.page_image("pts-b-overview", uploader=tutor)  # a published page
    draft_image = make.page_image("pts-a-overview", uploader=tutor)  # a draft page
    submission = make.submission(learner)
    with app.app_context():
        from portfolio.auth.models import User

        # A practice attempt with its first question answered: it has feedback to show.
        attempt = quizzes.start_attempt(
            db.session.get(User, learner.id),
            quizzes.get_quiz("pts-a-rights"),
            AttemptMode.PRACTICE,
        )
        first = quizzes.shown_questions(attempt)[0]
        quizzes.answer_question(attempt, 1, right_answer(first.spec))
        attempt_id = attempt.id
        comment_bank.add_to_bank(
            db.session.get(User, assessor.id),
            {"pts-a.1": PointMark(PointStatus.MET, "Rights named.", save_to_bank=True)},
        )
        db.session.commit()
        comment_id = db.session.scalars(select(CommentBankEntry.id)).one()
        attachment_id = add_attachment(
            db.session.get(Evidence, draft.id),
            db.session.get(User, learner.id),
            "call-log.txt",
            b"Call log: refund agreed.\n",
            "",
        ).id
    # IQA: a decision on a second item of the learner's, in a sample the IQA took.
    iqa = make.user(Role.IQA)
    with app.app_context():
        decision = decide(assessor, make.submission(learner, title="Sampled"))
        sample = iqa_services.take_sample(
            db.session.get(User, iqa.id), iqa_services.default_period(), {decision.id}
        )
        sample_ids = {"sample": sample.id, "sample_item": sample.items[0].id}
        decision_id = decision.id
        job = ExportJob(kind=JobKind.PORTFOLIO, requested_by_id=learner.id, learner_id=learner.id)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    return World(
        ids={
            "learner": learner.id,
            "draft": draft.id,
            "submitted": submission.evidence_id,
            "submission": submission.id,
            "attempt": attempt_id,
            "other": other.id,
            "image": image.id,
            "draft_image": draft_image.id,
            "attachment": attachment_id,
            "comment": comment_id,
            "assessor": assessor.id,
            "decision": decision_id,
            "job": job_id,
            **sample_ids,
        },
        emails={
            "learner": learner.email,
            "other": other.email,
            "assessor": assessor.email,
            "other_assessor": other_assessor.email,
            "tutor": tutor.email,
            "iqa": iqa.email,
            "admin": make.user(Role.ADMIN).email,
        },
    )


def _request(client: FlaskClient, route: Route, world: World):  # type: ignore[no-untyped-def]
    path = route.path.format(**world.ids)
    if route.method == "POST":
        return post(client, path)
    return client.get(path)


def test_every_route_is_listed(app: Flask) -> None:
    listed = {r.endpoint for r in ROUTES} | PUBLIC
    missing = {rule.endpoint for rule in app.url_map.iter_rules()} - listed
    assert not missing, f"routes without an access rule in this test: {sorted(missing)}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.endpoint)
def test_anonymous_is_sent_to_sign_in(client: FlaskClient, world: World, route: Route) -> None:
    response = _request(client, route, world)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


ROLE_USERS = {
    Role.LEARNER: "other",
    Role.TUTOR: "tutor",
    Role.ASSESSOR: "other_assessor",
    Role.IQA: "iqa",
    Role.ADMIN: "admin",
}


@pytest.mark.parametrize("route", [r for r in ROUTES if r.roles], ids=lambda r: r.endpoint)
def test_wrong_role_is_forbidden(app: Flask, world: World, route: Route) -> None:
    for role, who in ROLE_USERS.items():
        if role in route.roles:
            continue
        client = app.test_client()
        login(client, world.emails[who])
        response = _request(client, route, world)
        assert response.status_code == 403, (role, response.status_code)
        assert "You do not have access" in response.get_data(as_text=True)


# Objects that belong to `learner`: another learner, or an assessor without them in their
# caseload, gets 404, as if the object did not exist.
OWNED = [
    ("other", "evidence.edit"),
    ("other", "evidence.submit"),
    ("other", "evidence.redact"),
    ("other", "evidence.redact_all"),
    ("other", "evidence.dismiss"),
    ("other", "assessment.record"),
    ("other", "evidence.autosave"),
    ("other", "assessment.diff"),
    ("other_assessor", "assessment.diff"),
    ("tutor", "assessment.diff"),
    ("other", "evidence.attachments"),
    ("other", "evidence.attachment_remove"),
    ("other", "evidence.attachment"),
    ("other_assessor", "evidence.attachment"),
    ("tutor", "evidence.attachment"),
    ("other", "quizzes.take"),
    ("other", "quizzes.feedback"),
    ("other", "quizzes.result"),
    ("other", "assessment.learner"),
    ("other", "export.start"),
    ("other", "export.job"),
    ("other", "export.status"),
    ("other", "export.download"),
    ("assessor", "export.job"),
    ("admin", "export.status"),
    ("other_assessor", "assessment.mark"),
    ("other_assessor", "assessment.comment_delete"),
    ("other_assessor", "assessment.record"),
    ("other_assessor", "assessment.learner"),
    ("other_assessor", "export.start"),
    ("tutor", "assessment.record"),
    ("tutor", "export.start"),
    ("tutor", "assessment.learner"),
    ("other", "assessment.learner_csv"),
    ("other_assessor", "assessment.learner_csv"),
    ("tutor", "assessment.learner_csv"),
    ("other_assessor", "assessment.sign_off"),
]


@pytest.mark.parametrize(("who", "endpoint"), OWNED)
def test_someone_elses_object_is_not_found(
    app: Flask, world: World, who: str, endpoint: str
) -> None:
    route = next(r for r in ROUTES if r.endpoint == endpoint)
    client = app.test_client()
    login(client, world.emails[who])
    assert _request(client, route, world).status_code == 404


# Objects hidden from everyone but editors (an image of a draft page), and objects that do not
# exist: 404 for whoever asks, with the role that may use the route.
HIDDEN = [
    ("learner", "/media/images/{draft_image}"),
    ("assessor", "/media/images/{draft_image}"),
    ("iqa", "/media/images/{draft_image}"),
    ("learner", "/media/images/999999"),
    ("tutor", "/media/images/999999"),
    ("tutor", "/media/pages/no-such-page/images"),
    ("admin", "/media/pages/no-such-page/images"),
    ("learner", "/export/elements/no-such-element/sheet.pdf"),
    ("iqa", "/assessment/cohort?group=999999"),
    ("assessor", "/assessment/cohort.csv?group=999999"),
    ("learner", "/evidence/attachments/999999"),
    ("iqa", "/iqa/samples/999999"),
    ("admin", "/iqa/samples/{sample}/items/999999"),
    ("iqa", "/iqa/plans/{learner}"),  # not an assessor
    ("admin", "/iqa/plans/999999"),
    ("admin", "/evidence/attachments/999999"),
    ("learner", "/evidence/999999/attachments"),
    ("tutor", "/quizzes/manage/no-such-quiz/questions/new?type=single"),
    ("admin", "/quizzes/manage/no-such-quiz/questions/new"),
    ("tutor", "/quizzes/manage/questions/pts-a-rights.q999/edit"),
    ("admin", "/quizzes/manage/questions/no-such-question/history"),
    ("tutor", "/quizzes/manage/questions/pts-a-rights.q999/revisions/1"),
    ("tutor", "/quizzes/manage/questions/pts-a-rights.q1/revisions/99"),
    ("tutor", "/quizzes/manage/questions/pts-a-rights.q999/diff"),
]


@pytest.mark.parametrize(("who", "path"), HIDDEN)
def test_hidden_or_missing_object_is_not_found(
    app: Flask, world: World, who: str, path: str
) -> None:
    client = app.test_client()
    login(client, world.emails[who])
    assert client.get(path.format(**world.ids)).status_code == 404


ENTITLED = [
    ("learner", "export.start"),
    ("assessor", "export.start"),
    ("iqa", "export.start"),
    ("admin", "export.start"),
    ("learner", "export.job"),
    ("learner", "export.status"),
    ("tutor", "export.job_list"),
    ("learner", "assessment.record"),
    ("assessor", "assessment.record"),
    ("iqa", "assessment.learner"),
    ("learner", "assessment.learner_csv"),
    ("assessor", "assessment.learner_csv"),
    ("iqa", "assessment.learner_csv"),
    ("admin", "assessment.learner_csv"),
    ("iqa", "assessment.queue"),
    ("admin", "assessment.queue"),
    ("iqa", "assessment.overdue"),
    ("admin", "assessment.overdue"),
    ("assessor", "assessment.cohort"),
    ("iqa", "assessment.cohort"),
    ("admin", "assessment.cohort"),
    ("assessor", "assessment.cohort_csv"),
    ("iqa", "assessment.cohort_csv"),
    ("admin", "assessment.cohort_csv"),
    ("assessor", "assessment.mark"),
    ("assessor", "assessment.comments"),
    ("iqa", "iqa.index"),
    ("admin", "iqa.index"),
    ("iqa", "iqa.plans"),
    ("admin", "iqa.plan"),
    ("iqa", "iqa.propose"),
    ("iqa", "iqa.sample"),
    ("admin", "iqa.sample"),
    ("iqa", "iqa.item"),
    ("admin", "iqa.item"),
    ("iqa", "iqa.countersignatures"),
    ("admin", "iqa.countersignatures"),
    ("learner", "evidence.attachments"),
    ("learner", "evidence.attachment"),
    ("assessor", "evidence.attachment"),
    ("iqa", "evidence.attachment"),
    ("admin", "evidence.attachment"),
    ("learner", "media.image"),
    ("assessor", "media.image"),
    ("tutor", "media.page_images"),
    ("admin", "media.page_images"),
    ("learner", "export.sheet"),
    ("learner", "quizzes.take"),
    ("learner", "quizzes.feedback"),
    ("tutor", "quizzes.manage"),
    ("admin", "quizzes.manage"),
    ("tutor", "quizzes.misconceptions_of"),
    ("admin", "quizzes.misconceptions_of"),
    ("tutor", "quizzes.question_new"),
    ("admin", "quizzes.question_edit"),
    ("tutor", "quizzes.question_history"),
    ("admin", "quizzes.question_revision"),
    ("tutor", "quizzes.question_diff"),
]


@pytest.mark.parametrize(("who", "endpoint"), ENTITLED)
def test_entitled_users_get_through(app: Flask, world: World, who: str, endpoint: str) -> None:
    route = next(r for r in ROUTES if r.endpoint == endpoint)
    client = app.test_client()
    login(client, world.emails[who])
    assert _request(client, route, world).status_code == 200


@pytest.mark.parametrize("who", ["tutor", "admin"])
def test_editors_see_a_draft_pages_image(app: Flask, world: World, who: str) -> None:
    client = app.test_client()
    login(client, world.emails[who])
    assert client.get(f"/media/images/{world.ids['draft_image']}").status_code == 200


def test_post_without_csrf_token_is_refused(app: Flask, world: World) -> None:
    client = app.test_client()
    login(client, world.emails["learner"])
    response = client.post(
        "/evidence/", data={"title": "x", "type_id": "reflective-account", "element_id": "pts-a"}
    )
    assert response.status_code == 400
    assert "expired or was not sent from this site" in response.get_data(as_text=True)
