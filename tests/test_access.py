"""Access rules for every route: anonymous -> sign in, wrong role -> 403, someone else's -> 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Role
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from tests.conftest import login, post
from tests.factories import Factory


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str  # formatted with the World's ids
    roles: tuple[str, ...]  # empty: any signed-in user


# Every route of the app, with who may use it. test_every_route_is_listed keeps this complete.
ROUTES = [
    Route("dashboard.index", "GET", "/", ()),
    Route("auth.logout", "POST", "/auth/logout", ()),
    Route("auth.password", "GET", "/auth/password", ()),
    Route("admin.users", "GET", "/admin/users", (Role.ADMIN,)),
    Route("admin.assign", "POST", "/admin/users/{learner}/assessor", (Role.ADMIN,)),
    Route("admin.assign_cohort", "POST", "/admin/users/{learner}/cohort", (Role.ADMIN,)),
    Route("admin.cohorts", "GET", "/admin/cohorts", (Role.ADMIN,)),
    Route("admin.cohorts", "POST", "/admin/cohorts", (Role.ADMIN,)),
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
    Route("quizzes.take", "GET", "/quizzes/attempts/{attempt}", (Role.LEARNER,)),
    Route("quizzes.result", "GET", "/quizzes/attempts/{attempt}/result", (Role.LEARNER,)),
    Route("evidence.index", "GET", "/evidence/", (Role.LEARNER,)),
    Route("evidence.create", "POST", "/evidence/", (Role.LEARNER,)),
    Route("evidence.edit", "GET", "/evidence/{draft}/edit", (Role.LEARNER,)),
    Route("evidence.submit", "GET", "/evidence/{draft}/submit", (Role.LEARNER,)),
    Route("assessment.queue", "GET", "/assessment/queue", (Role.ASSESSOR,)),
    Route("assessment.mark", "GET", "/assessment/submissions/{submission}", (Role.ASSESSOR,)),
    Route("assessment.record", "GET", "/assessment/evidence/{submitted}", ()),
    Route("assessment.learner", "GET", "/assessment/learners/{learner}", ()),
    Route("export.portfolio", "GET", "/export/learners/{learner}/portfolio.pdf", ()),
    Route("export.sheet", "GET", "/export/elements/pts-a/sheet.pdf", ()),
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

        attempt = quizzes.start_attempt(
            db.session.get(User, learner.id), quizzes.get_quiz("pts-a-rights")
        )
        attempt_id = attempt.id
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
        },
        emails={
            "learner": learner.email,
            "other": other.email,
            "assessor": assessor.email,
            "other_assessor": other_assessor.email,
            "tutor": tutor.email,
            "iqa": make.user(Role.IQA).email,
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
    ("other", "assessment.record"),
    ("other", "quizzes.take"),
    ("other", "quizzes.result"),
    ("other", "assessment.learner"),
    ("other", "export.portfolio"),
    ("other_assessor", "assessment.mark"),
    ("other_assessor", "assessment.record"),
    ("other_assessor", "assessment.learner"),
    ("other_assessor", "export.portfolio"),
    ("tutor", "assessment.record"),
    ("tutor", "export.portfolio"),
    ("tutor", "assessment.learner"),
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
]


@pytest.mark.parametrize(("who", "path"), HIDDEN)
def test_hidden_or_missing_object_is_not_found(
    app: Flask, world: World, who: str, path: str
) -> None:
    client = app.test_client()
    login(client, world.emails[who])
    assert client.get(path.format(**world.ids)).status_code == 404


ENTITLED = [
    ("learner", "export.portfolio"),
    ("assessor", "export.portfolio"),
    ("iqa", "export.portfolio"),
    ("admin", "export.portfolio"),
    ("learner", "assessment.record"),
    ("assessor", "assessment.record"),
    ("iqa", "assessment.learner"),
    ("assessor", "assessment.mark"),
    ("learner", "media.image"),
    ("assessor", "media.image"),
    ("tutor", "media.page_images"),
    ("admin", "media.page_images"),
    ("learner", "export.sheet"),
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
