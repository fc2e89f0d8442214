"""The quiz pages at a centre's size: the same number of SQL statements whatever the number of
learners, attempts, answers and held misconceptions; the analytics' main queries read the big
tables through an index; lists are paged, and a bad page number or filter never gives a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import analytics
from portfolio.quizzes.models import (
    Attempt,
    AttemptMode,
    HeldMisconception,
    Question,
    QuestionRevision,
    QuestionStatus,
    Quiz,
    ReadingSuggestion,
)
from tests.conftest import csrf_token, login
from tests.factories import Factory
from tests.helpers import text
from tests.quizzes import centre
from tests.support.queries import count_request, full_scans

BIG_TABLES = ("answer", "attempt", "held_misconception")
BAD_PAGES = ["-1", "0", "abc", "1.5", "99999999999999999999999", str(2**64), "\uff11", "999"]
SIZE_LIMIT = 200_000


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def _grow(app: Flask, make: Factory, learners: int, seed: int) -> None:
    with app.app_context():
        centre.quiz_data(centre.learners(make, learners), seed=seed, attempts_each=4)


def _counts(app: Flask, get: Callable[[], object]) -> int:
    get()  # warm: the first request of a client may load what later ones have cached
    return len(count_request(app, get))


# --- Quiz analytics -----------------------------------------------------------------------------


def test_analytics_runs_the_same_statements_at_both_sizes(app: Flask, make: Factory) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    _grow(app, make, 3, seed=1)
    urls = [
        "/quizzes/analytics",
        "/quizzes/analytics?element=pts-a&qpage=1&mpage=1&hpage=1",
        f"/quizzes/analytics?quiz={centre_quiz()}",
    ]
    small = {u: _counts(app, lambda u=u: tutor.get(u)) for u in urls}
    _grow(app, make, 12, seed=2)  # five times the learners, attempts and answers
    with app.app_context():
        centre.non_learner_with_data(make)
    large = {u: _counts(app, lambda u=u: tutor.get(u)) for u in urls}
    assert large == small
    # Before: 135 statements at the demo's size, 161 at 2,000 learners.
    assert small["/quizzes/analytics"] <= 20, small


def centre_quiz() -> str:
    return "pts-a-rights"


def test_analytics_pages_its_tables_and_stays_small(app: Flask, make: Factory) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    _grow(app, make, 40, seed=3)
    response = tutor.get("/quizzes/analytics")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(response.data) < SIZE_LIMIT
    with app.app_context():
        misconceptions = db.session.scalar(select(func.count()).select_from(Misconception))
        first = db.session.scalar(select(Quiz.id).order_by(Quiz.element_id, Quiz.title))
        questions = db.session.scalar(
            select(func.count()).select_from(Question).where(Question.quiz_id == first)
        )
        held = db.session.scalar(
            select(func.count(func.distinct(HeldMisconception.misconception_id))).where(
                HeldMisconception.cleared_at.is_(None)
            )
        )
    assert misconceptions and misconceptions > analytics.MISCONCEPTIONS_PAGE
    assert f"{misconceptions} misconceptions: showing 1 to 25" in html
    assert f"{questions} questions" in html
    assert held and held > analytics.HEATMAP_PAGE
    assert "misconceptions held now: showing 1 to 10" in html
    assert 'href="/quizzes/analytics?mpage=2"' in html
    assert 'href="/quizzes/analytics?hpage=2"' in html
    second = tutor.get("/quizzes/analytics?mpage=2&hpage=2").get_data(as_text=True)
    assert "showing 26 to" in second and "showing 11 to" in second


def test_analytics_with_many_groups_compares_a_bounded_number(app: Flask, make: Factory) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    with app.app_context():
        for k in range(6):  # 18 groups, and learners in none
            centre.quiz_data(centre.learners(make, 10, tag=f"-{k}"), seed=k, attempts_each=3)
    response = tutor.get("/quizzes/analytics")
    html = response.get_data(as_text=True)
    assert len(response.data) < SIZE_LIMIT
    assert f"compares at most {analytics.MAX_COLUMNS} groups" in html
    table = html.split('id="groups-caption"')[1].split("</thead>")[0]
    assert table.count('<th scope="col">') == analytics.MAX_COLUMNS + 1  # and "Misconception"
    assert '<th scope="col">No group</th>' in table
    assert html.count('name="group"') == 19  # every group can be chosen
    with app.app_context():
        from portfolio.auth.models import Cohort

        last = db.session.scalar(select(Cohort.id).order_by(Cohort.name.desc()).limit(1))
    chosen = tutor.get(f"/quizzes/analytics?group={last}").get_data(as_text=True)
    table = chosen.split('id="groups-caption"')[1].split("</thead>")[0]
    assert table.count('<th scope="col">') == 2 and "Weekend 10-5" in table


@pytest.mark.parametrize("arg", ["qpage", "mpage", "hpage"])
@pytest.mark.parametrize("value", BAD_PAGES)
def test_analytics_bad_page_numbers_show_the_first_page(
    app: Flask, make: Factory, arg: str, value: str
) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    _grow(app, make, 2, seed=5)
    response = tutor.get(f"/quizzes/analytics?{arg}={value}")
    assert response.status_code == 200
    assert "showing the first page" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("element=nope", "There is no element “nope”"),
        ("quiz=%00%ff", "There is no quiz"),
        ("element=pts-b&quiz=pts-a-rights", "showing the first quiz&#39;s questions"),
        ("group=abc", "A group in the link is not valid"),
        ("group=-3", "A group in the link is not valid"),
        (f"group={2**70}", "A group in the link is not valid"),
        ("group=123456", "None of the groups in the link exist"),
    ],
)
def test_analytics_bad_filters_are_ignored(
    app: Flask, make: Factory, query: str, message: str
) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    response = tutor.get(f"/quizzes/analytics?{query}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_analytics_filters_by_element_quiz_and_group(app: Flask, make: Factory) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    _grow(app, make, 12, seed=6)
    html = tutor.get("/quizzes/analytics?quiz=pts-b-service").get_data(as_text=True)
    assert "<caption>" in html
    with app.app_context():
        titles = dict(db.session.execute(select(Quiz.id, Quiz.title)).all())
    assert f"<caption>{titles['pts-b-service']}</caption>" in html
    assert f"<caption>{titles['pts-a-rights']}</caption>" not in html
    html = tutor.get("/quizzes/analytics?element=pts-b").get_data(as_text=True)
    assert "pts-a." not in html.split('id="held-title"')[1]
    html = tutor.get("/quizzes/analytics?group=none").get_data(as_text=True)
    table = html.split('id="groups-caption"')[1].split("</thead>")[0]
    assert '<th scope="col">No group</th>' in table and "Day 12" not in table


def test_the_analytics_main_queries_use_indexes(ctx: None, make: Factory) -> None:
    centre.quiz_data(centre.learners(make, 3), seed=7)
    now = utcnow()
    questions = db.session.scalars(select(Question.id).where(Question.quiz_id == "pts-a-rights"))
    ids = set(questions)
    misconception_ids = {"pts-a.m1", "pts-a-rights.m-no-receipt"}
    for query in (
        analytics.facility_query(ids),
        analytics.scores_query(ids),
        analytics.misconception_query(now, None),
        analytics.misconception_query(now, "pts-a"),
        analytics.held_now_query(now, None),
        analytics.cells_query(now, misconception_ids),
    ):
        assert full_scans(query, BIG_TABLES) == [], str(query)


def test_sending_a_page_is_set_based(app: Flask, make: Factory) -> None:
    """The statements of "send a page to every holder" do not grow with the holders."""
    tutor = _client(app, make.user(Role.TUTOR).email)
    target = "pts-a.m1"

    def hold(n: int) -> None:
        with app.app_context():
            for user_id in centre.learners(make, n, grouped=False):
                db.session.add(
                    HeldMisconception(user_id=user_id, misconception_id=target, last_explanation="")
                )
            db.session.commit()

    with app.app_context():
        from portfolio.content import services as content

        page_id = content.pages_for_element("pts-a")[0].id
    token = csrf_token(tutor, "/quizzes/analytics")

    def send() -> object:
        return tutor.post(
            f"/quizzes/misconceptions/{target}/send",
            data={"page_id": page_id, "csrf_token": token},
        )

    hold(2)
    small = len(count_request(app, send))
    hold(10)  # twelve holders now, two of whom already have the suggestion
    large = len(count_request(app, send))
    assert small == large
    assert "Sent to 12 learners." in tutor.get("/quizzes/analytics").get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(ReadingSuggestion)).all()
    assert len(rows) == 12 and len({r.suggested_at for r in rows}) == 1


# --- The learner's pages ------------------------------------------------------------------------


def _learner_with(app: Flask, make: Factory, held: int, attempts: int) -> tuple[int, str]:
    learner = make.learner()
    with app.app_context():
        ids = db.session.scalars(
            select(Misconception.id).order_by(Misconception.id).limit(held)
        ).all()
        _add_held(learner.id, list(ids))
        _add_attempts(learner.id, attempts)
    return learner.id, learner.email


def _add_held(user_id: int, misconception_ids: list[str]) -> None:
    now = utcnow()
    for n, misconception_id in enumerate(misconception_ids):
        db.session.add(
            HeldMisconception(
                user_id=user_id,
                misconception_id=misconception_id,
                first_seen_at=now - timedelta(days=n + 2),
                last_seen_at=now - timedelta(days=n + 2),
                last_explanation=f"Why {misconception_id} is wrong.",
                # Every third cleared, the rest due.
                cleared_at=now - timedelta(days=1) if n % 3 == 2 else None,
                due_at=now - timedelta(hours=1),
            )
        )
    db.session.commit()


def _add_attempts(user_id: int, n: int) -> None:
    now = utcnow()
    quiz = db.session.get(Quiz, "pts-a-rights")
    assert quiz is not None
    for k in range(n):
        db.session.add(
            Attempt(
                user_id=user_id,
                quiz_id=quiz.id,
                quiz_version=quiz.version,
                mode=AttemptMode.PRACTICE,
                layout=[{"question": q.id, "revision": 1, "order": []} for q in quiz.questions],
                started_at=now - timedelta(minutes=k),
                submitted_at=now if k % 2 else None,
                score=3 if k % 2 else None,
            )
        )
    db.session.commit()


def _extra_quizzes(app: Flask, n: int) -> None:
    with app.app_context():
        for k in range(n):
            db.session.add(Quiz(id=f"extra-{k:03}", version=1, element_id="pts-b", title=f"X {k}"))
        db.session.commit()


def test_my_misconceptions_runs_the_same_statements_at_both_sizes(
    app: Flask, make: Factory
) -> None:
    _, small_email = _learner_with(app, make, held=3, attempts=1)
    _, large_email = _learner_with(app, make, held=77, attempts=1)
    small, large = _client(app, small_email), _client(app, large_email)
    assert _counts(app, lambda: small.get("/quizzes/misconceptions")) == _counts(
        app, lambda: large.get("/quizzes/misconceptions")
    )
    html = large.get("/quizzes/misconceptions").get_data(as_text=True)
    # 77 shown (every one there is), every third cleared: 52 held (a page of 50), 25 cleared.
    assert "52 misconceptions on your list: showing 1 to 50" in html
    assert "25 cleared misconceptions." in html
    assert "77 misconceptions are due to be asked again." in html
    assert 'href="/quizzes/misconceptions?page=2"' in html
    assert html.count('class="card misconception-card"') == 50
    assert "Revise:" in html
    later = large.get("/quizzes/misconceptions?page=2").get_data(as_text=True)
    assert later.count('class="card misconception-card"') == 2


@pytest.mark.parametrize("arg", ["page", "cpage"])
@pytest.mark.parametrize("value", BAD_PAGES)
def test_my_misconceptions_bad_page_numbers(
    app: Flask, make: Factory, arg: str, value: str
) -> None:
    _, email = _learner_with(app, make, held=6, attempts=0)
    response = _client(app, email).get(f"/quizzes/misconceptions?{arg}={value}")
    assert response.status_code == 200
    assert "showing the first page" in response.get_data(as_text=True)


def test_the_quiz_list_runs_the_same_statements_at_both_sizes(app: Flask, make: Factory) -> None:
    _, small_email = _learner_with(app, make, held=2, attempts=2)
    small = _client(app, small_email)
    before = _counts(app, lambda: small.get("/quizzes/"))
    _, large_email = _learner_with(app, make, held=30, attempts=70)
    _extra_quizzes(app, 60)
    large = _client(app, large_email)
    assert _counts(app, lambda: large.get("/quizzes/")) == before
    assert _counts(app, lambda: small.get("/quizzes/")) == before
    html = large.get("/quizzes/").get_data(as_text=True)
    assert "65 quizzes: showing 1 to 50 (page 1 of 2)" in html
    assert "70 attempts: showing 1 to 50 (page 1 of 2)" in html
    assert 'href="/quizzes/?apage=2"' in html and 'href="/quizzes/?page=2"' in html
    assert "Not finished (0 of 9 answered)" in html
    assert "30 misconceptions are due to be asked again." in html
    narrowed = large.get("/quizzes/?element=pts-a").get_data(as_text=True)
    assert "3 quizzes." in narrowed


@pytest.mark.parametrize("arg", ["page", "apage"])
@pytest.mark.parametrize("value", BAD_PAGES)
def test_the_quiz_list_bad_page_numbers(app: Flask, make: Factory, arg: str, value: str) -> None:
    _, email = _learner_with(app, make, held=0, attempts=3)
    response = _client(app, email).get(f"/quizzes/?{arg}={value}&element=nope")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is no element “nope”" in html
    if value != "999" or arg == "page":
        assert "showing the first page" in html


def test_the_review_starts_in_the_same_statements_whatever_is_due(
    app: Flask, make: Factory
) -> None:
    counts = []
    for held in (2, 40):
        _, email = _learner_with(app, make, held=held, attempts=0)
        client = _client(app, email)
        token = csrf_token(client, "/quizzes/")
        counts.append(
            len(
                count_request(
                    app,
                    lambda c=client, t=token: c.post(  # type: ignore[misc]
                        "/quizzes/review", data={"csrf_token": t}
                    ),
                )
            )
        )
    assert counts[0] == counts[1]


# --- The question bank --------------------------------------------------------------------------


def _extra_questions(app: Flask, n: int) -> None:
    with app.app_context():
        source = db.session.get(Question, "pts-a-rights.q1")
        assert source is not None
        for k in range(n):
            question = Question(
                id=f"pts-b-service.x{k:03}",
                quiz_id="pts-b-service",
                position=100 + k,
                kind=source.kind,
                stem=f"Extra question {k}: {source.stem}",
                definition=source.definition,
                status=QuestionStatus.DRAFT if k % 2 else QuestionStatus.PUBLISHED,
            )
            question.revisions.append(
                QuestionRevision(
                    number=1, definition=source.definition, status=question.status, note=""
                )
            )
            db.session.add(question)
        db.session.commit()


def test_the_bank_runs_the_same_statements_at_both_sizes(app: Flask, make: Factory) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    urls = ["/quizzes/manage", "/quizzes/manage?status=draft&q=extra", "/quizzes/manage?page=2"]
    small = {u: _counts(app, lambda u=u: tutor.get(u)) for u in urls}
    _extra_questions(app, 70)
    _extra_quizzes(app, 30)
    large = {u: _counts(app, lambda u=u: tutor.get(u)) for u in urls}
    assert large == small
    response = tutor.get("/quizzes/manage")
    html = response.get_data(as_text=True)
    assert len(response.data) < SIZE_LIMIT
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Question))
    assert f"{total} questions: showing 1 to 50" in html
    drafts = tutor.get("/quizzes/manage?status=draft&q=EXTRA+question").get_data(as_text=True)
    assert "35 questions." in drafts
    one = tutor.get("/quizzes/manage?quiz=extra-001").get_data(as_text=True)
    assert 'id="quiz-extra-001"' in one and "No questions match." in one
    assert 'action="/quizzes/manage/extra-001/questions/new"' in one


@pytest.mark.parametrize(
    "query",
    [f"page={v}" for v in BAD_PAGES]
    + ["quiz=nope", "element=%00", "status=lost", "q=" + "x" * 5000, "q=%25_"],
)
def test_the_bank_bad_pages_and_filters(app: Flask, make: Factory, query: str) -> None:
    tutor = _client(app, make.user(Role.TUTOR).email)
    response = tutor.get(f"/quizzes/manage?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if query.startswith("page="):
        assert "showing the first page" in html
    elif not query.startswith("q="):
        assert "showing every" in html


def _suggest(app: Flask, learner_id: int, tutor_id: int, n: int) -> list[str]:
    """Suggests the first `n` pages of pts-a to the learner, each for one misconception;
    returns the pages' titles."""
    with app.app_context():
        from portfolio.content import services as content

        pages = content.pages_for_element("pts-a")[:n]
        ids = db.session.scalars(
            select(Misconception.id).where(Misconception.element_id == "pts-a").limit(n)
        ).all()
        assert len(pages) == len(ids) == n
        for page, misconception_id in zip(pages, ids, strict=True):
            db.session.add(
                ReadingSuggestion(
                    user_id=learner_id,
                    page_id=page.id,
                    misconception_id=misconception_id,
                    suggested_by_id=tutor_id,
                )
            )
        db.session.commit()
        return [page.title for page in pages]


def test_the_learner_home_reads_suggested_pages_in_the_same_statements(
    app: Flask, make: Factory
) -> None:
    tutor = make.user(Role.TUTOR)
    one, three = make.learner(), make.learner()
    _suggest(app, one.id, tutor.id, 1)
    titles = _suggest(app, three.id, tutor.id, 3)
    small, large = _client(app, one.email), _client(app, three.email)
    assert _counts(app, lambda: small.get("/")) == _counts(app, lambda: large.get("/"))
    html = text(large.get("/"))
    assert all(f">{title}</a> — to fix" in html for title in titles)
    # Read since it was suggested: no longer shown; the others still are.
    with app.app_context():
        from portfolio.content import services as content
        from portfolio.content.models import PageRead

        first = content.pages_for_element("pts-a")[0]
        assert first.title == titles[0]
        db.session.add(PageRead(user_id=three.id, page_id=first.id, read_at=utcnow()))
        db.session.commit()
    html = text(large.get("/"))
    assert f">{titles[0]}</a> — to fix" not in html
    assert all(f">{title}</a> — to fix" in html for title in titles[1:])
