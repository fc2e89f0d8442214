"""The users and groups lists at the size of a centre: a page of 50 by name, filtered and
counted in SQL, the same statements whatever the number of users, and never a page of everyone."""

from __future__ import annotations

import re
from html import unescape
from itertools import count

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_tables, send, text
from tests.support.queries import count_request

_n = count(1)


@pytest.fixture
def admin(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(Role.ADMIN, name="Zed Admin").email)
    return client


def _people(
    app: Flask,
    names: list[str],
    role: Role = Role.LEARNER,
    *,
    assessor_id: int | None = None,
    cohort_id: int | None = None,
    active: bool = True,
) -> list[int]:
    """Many users at once (no password hashing: they never sign in)."""
    with app.app_context():
        made = []
        for name in names:
            user = User(
                email=f"person{next(_n)}@example.org",
                name=name,
                password_hash="x",
                assessor_id=assessor_id,
                cohort_id=cohort_id,
                active=active,
            )
            user.roles = [UserRole(role=role)]
            made.append(user)
        db.session.add_all(made)
        db.session.commit()
        return [u.id for u in made]


def _group(app: Flask, name: str) -> int:
    with app.app_context():
        group = Cohort(name=name)
        db.session.add(group)
        db.session.commit()
        return group.id


def _rows(page: str) -> list[str]:
    # read_tables: [caption], the head row, then the body rows.
    return [cells[0] for cells in read_tables(page)[0][2:]] if "<table" in page else []


def test_users_are_listed_fifty_a_page_by_name(app: Flask, admin: FlaskClient) -> None:
    _people(app, [f"Learner {n:03d}" for n in range(120, 0, -1)])
    first = text(admin.get("/admin/users"))
    assert "121 users: showing 1 to 50 (page 1 of 3)." in first
    rows = _rows(first)
    assert rows[0] == "Learner 001" and rows[49] == "Learner 050"
    last = text(admin.get("/admin/users?page=3"))
    assert _rows(last)[-1] == "Zed Admin" and len(_rows(last)) == 21
    assert 'rel="prev"' in last and 'rel="next"' not in last


@pytest.mark.parametrize("page", ["-1", "0", "abc", str(2**64), "4", "1e3", "٣"])
def test_a_bad_page_gives_the_first_with_a_message(
    app: Flask, admin: FlaskClient, page: str
) -> None:
    _people(app, [f"Learner {n:03d}" for n in range(120)])
    response = admin.get("/admin/users", query_string={"page": page})
    assert response.status_code == 200
    shown = text(response)
    assert "showing the first page" in shown
    assert "showing 1 to 50 (page 1 of 3)" in shown


def test_users_are_found_by_name_or_email_whatever_the_accents(
    app: Flask, admin: FlaskClient
) -> None:
    _people(app, ["Siobhán O'Neill", "Seán O\u2019Neill", "Priya Shah", "Neil Sharp"])
    for query, expected in (
        ("siobhan o'neill", ["Siobhán O'Neill"]),
        ("SIOBHÁN O\u2019NEILL", ["Siobhán O'Neill"]),
        ("oneill", ["Seán O\u2019Neill", "Siobhán O'Neill"]),
        ("sha", ["Neil Sharp", "Priya Shah"]),
        ("person", None),  # every seeded email
        ("100%", []),
        ("_", []),
    ):
        page = text(admin.get("/admin/users", query_string={"q": query}))
        if expected is None:
            assert "4 users." in page
        else:
            assert _rows(page) == expected, query
    assert "No users match." in text(admin.get("/admin/users?q=nobody+at+all"))


def test_users_are_filtered_by_role_group_assessor_and_account(
    app: Flask, admin: FlaskClient
) -> None:
    [ann] = _people(app, ["Ann Assessor"], Role.ASSESSOR)
    group = _group(app, "Level 2 — September")
    _people(app, ["In Group A", "In Group B"], assessor_id=ann, cohort_id=group)
    _people(app, ["No Group"])
    _people(app, ["Gone Away"], active=False)
    _people(app, ["Tia Tutor"], Role.TUTOR)

    def names(query: str) -> list[str]:
        return _rows(text(admin.get("/admin/users?" + query)))

    assert names("role=assessor") == ["Ann Assessor"]
    assert names("role=tutor") == ["Tia Tutor"]
    assert names(f"group={group}") == ["In Group A", "In Group B"]
    assert names("group=none") == ["Gone Away deactivated", "No Group"]
    assert names(f"assessed_by={ann}") == ["In Group A", "In Group B"]
    assert names("assessed_by=none&account=yes") == ["No Group"]
    assert names("account=no") == ["Gone Away deactivated"]
    assert names(f"role=learner&group={group}&q=b") == ["In Group B"]
    # The learners count on the groups page lists them.
    groups = text(admin.get("/admin/cohorts"))
    assert f'href="/admin/users?group={group}"' in groups


@pytest.mark.parametrize(
    "query", ["role=wizard", "group=abc", "group=999999", "assessed_by=-1", "account=maybe"]
)
def test_a_bad_filter_is_shown_and_not_applied(app: Flask, admin: FlaskClient, query: str) -> None:
    _people(app, ["Ann Learner"])
    response = admin.get("/admin/users?" + query)
    assert response.status_code == 422
    page = text(response)
    assert "Not a valid choice" in page and "2 users." in page


def test_a_change_in_the_list_comes_back_to_the_same_filtered_page(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR, name="Ann Assessor")
    learner = make.learner(name="Lily Learner")
    listed = "/admin/users?q=lily&page=1"
    response = admin.post(
        f"/admin/users/{learner.id}/assessor",
        data={"csrf_token": _token(admin), "assessor": str(assessor.id)},
        headers={"Referer": "http://localhost" + listed},
    )
    assert response.status_code == 302 and response.headers["Location"] == listed
    # Anywhere else (another site), back to the plain list.
    response = admin.post(
        f"/admin/users/{learner.id}/cohort",
        data={"csrf_token": _token(admin), "cohort": ""},
        headers={"Referer": "https://evil.example/admin/users?x=1"},
    )
    assert response.headers["Location"] == "/admin/users"


def test_a_users_page_leads_back_to_the_list_as_it_was(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR, name="Ann Assessor")
    learner = make.learner(name="Lily Learner")
    listed = admin.get("/admin/users?q=lily&role=learner").get_data(as_text=True)
    link = re.search(rf'href="(/admin/users/{learner.id}[^"]*)"', listed)
    assert link
    own = unescape(link.group(1))
    page = admin.get(own).get_data(as_text=True)
    assert 'href="/admin/users?q=lily&amp;role=learner">Back to users' in page
    # A change made there comes back there.
    response = admin.post(
        f"/admin/users/{learner.id}/assessor",
        data={"csrf_token": _token(admin), "assessor": str(assessor.id)},
        headers={"Referer": "http://localhost" + own},
    )
    assert response.headers["Location"] == own
    # "back" is only ever a query string for the list.
    for bad in ("//evil.example/x", "https://evil.example/", "/admin/cohorts"):
        crafted = admin.get(f"/admin/users/{learner.id}", query_string={"back": bad}).text
        assert 'href="/admin/users">Back to users' in crafted
    assert admin.get("/admin/users/999999").status_code == 404


def _token(client: FlaskClient) -> str:
    page = client.get("/admin/users").get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match
    return match.group(1)


@pytest.mark.parametrize("query", ["", "?q=learner", "?role=learner&group=none", "?page=2"])
def test_the_users_page_runs_the_same_statements_at_any_size(
    app: Flask, admin: FlaskClient, query: str
) -> None:
    [ann] = _people(app, ["Ann Assessor"], Role.ASSESSOR)
    group = _group(app, "Group")
    counts = []
    for size in (60, 240):
        _people(app, [f"Learner {n}" for n in range(size)], assessor_id=ann, cohort_id=group)
        counts.append(len(count_request(app, lambda: admin.get("/admin/users" + query))))
    assert counts[0] == counts[1], counts


def test_the_users_page_stays_small(app: Flask, admin: FlaskClient) -> None:
    assessors = _people(app, [f"Assessor {n}" for n in range(40)], Role.ASSESSOR)
    groups = [_group(app, f"Group {n}") for n in range(10)]
    for n in range(10):
        _people(
            app,
            [f"Learner {n}-{i}" for i in range(60)],
            assessor_id=assessors[n],
            cohort_id=groups[n],
        )
    response = admin.get("/admin/users")
    assert "641 users" in text(response)
    assert len(response.data) < 200_000, len(response.data)


def test_the_create_user_form_still_works_next_to_the_list(app: Flask, admin: FlaskClient) -> None:
    _people(app, [f"Learner {n}" for n in range(70)])
    response = send(
        admin,
        "/admin/users",
        {
            "name": "Nina New",
            "email": "nina@example.org",
            "password": "temporary-pass-123",
            "roles": ["learner"],
            "assessor": "",
        },
    )
    assert response.status_code == 302
    assert "Nina New" in _rows(text(admin.get("/admin/users?q=nina")))


def test_groups_are_counted_by_the_database_and_paged(app: Flask, admin: FlaskClient) -> None:
    groups = [_group(app, f"Group {n:02d}") for n in range(55)]
    _people(app, [f"L{n}" for n in range(3)], cohort_id=groups[0])
    _people(app, ["Staff In Group"], Role.ASSESSOR, cohort_id=groups[0])  # not a learner
    first = admin.get("/admin/cohorts")
    table = read_tables(first)[0][2:]
    assert table[0][:2] == ["Group 00", "3"] and table[1][:2] == ["Group 01", "0"]
    assert len(table) == 50 and "55 groups: showing 1 to 50 (page 1 of 2)." in text(first)
    second = read_tables(admin.get("/admin/cohorts?page=2"))[0][2:]
    assert [r[0] for r in second] == [f"Group {n}" for n in range(50, 55)]
    counts = []
    for size in (5, 50):
        _people(app, [f"M{n}" for n in range(size)], cohort_id=groups[1])
        counts.append(len(count_request(app, lambda: admin.get("/admin/cohorts"))))
    assert counts[0] == counts[1]
    assert "showing the first page" in text(admin.get("/admin/cohorts?page=x"))


@pytest.mark.parametrize("role", [Role.IQA, Role.ASSESSOR, Role.LEARNER, Role.TUTOR])
def test_only_admins_list_users_whatever_the_filter(app: Flask, make: Factory, role: Role) -> None:
    client = app.test_client()
    login(client, make.user(role).email)
    assert client.get("/admin/users?q=a&role=learner&page=2").status_code == 403
    assert client.get("/admin/cohorts?page=2").status_code == 403


def _offered(page: str, name: str) -> list[str]:
    """The labels of a select's options, with the selected ones marked by a leading '*'."""
    found = re.search(rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, name
    return [
        ("*" if selected else "") + unescape(label)
        for selected, label in re.findall(
            r"<option (selected )?value=\"[^\"]*\">([^<]*)</option>", found.group(1)
        )
    ]


def test_the_forms_offer_the_assessors_and_groups_there_are_now(
    app: Flask, admin: FlaskClient
) -> None:
    # The empty forms' fields are drawn once for the same assessors and groups
    # (forms.draw_once): a new assessor or group is offered straight away, and a filter
    # chosen on one request is not shown as chosen on the next.
    [ann] = _people(app, ["Ann Assessor"], Role.ASSESSOR)
    _group(app, "Group A")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert _offered(page, "assessed_by") == ["*Any", "No assessor", "Ann Assessor"]
    assert _offered(page, "assessor") == ["No assessor", "Ann Assessor"]
    assert _offered(page, "group") == ["*Any", "No group", "Group A"]

    _people(app, ["Bob Assessor"], Role.ASSESSOR)
    _group(app, "Group B")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert _offered(page, "assessed_by") == ["*Any", "No assessor", "Ann Assessor", "Bob Assessor"]
    assert _offered(page, "assessor") == ["No assessor", "Ann Assessor", "Bob Assessor"]
    assert _offered(page, "group") == ["*Any", "No group", "Group A", "Group B"]

    chosen = admin.get(f"/admin/users?assessed_by={ann}&q=ann").get_data(as_text=True)
    assert _offered(chosen, "assessed_by")[2] == "*Ann Assessor"
    assert 'name="q" type="text" value="ann"' in chosen
    again = admin.get("/admin/users?page=1").get_data(as_text=True)
    assert _offered(again, "assessed_by")[:3] == ["*Any", "No assessor", "Ann Assessor"]
    assert 'name="q" type="text" value=""' in again

    # A bad filter is shown with its error, and the next page is drawn without it.
    bad = admin.get("/admin/users?group=abc")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    assert 'aria-invalid="true"' not in admin.get("/admin/users").get_data(as_text=True)


def test_each_row_shows_every_role_and_staff_have_no_assessor_or_group(
    app: Flask, admin: FlaskClient
) -> None:
    with app.app_context():
        both = User(email="both@example.org", name="Bea Both", password_hash="x")
        both.roles = [UserRole(role=Role.TUTOR), UserRole(role=Role.ASSESSOR)]
        nothing = User(email="none@example.org", name="Nia None", password_hash="x")
        db.session.add_all([both, nothing])
        db.session.commit()
        both_id, nothing_id = both.id, nothing.id
    [learner] = _people(app, ["Lee Learner"], assessor_id=both_id)
    page = admin.get("/admin/users")
    rows = {row[0]: row[1:5] for row in read_tables(page)[0][2:]}
    assert rows["Bea Both"] == ["both@example.org", "Assessor, Tutor", "—", "—"]
    assert rows["Nia None"] == ["none@example.org", "", "—", "—"]
    assert rows["Lee Learner"][1:] == ["Learner", "Bea Both", "None"]
    html = page.get_data(as_text=True)
    assert f'href="/admin/users/{nothing_id}">Open<span class="visually-hidden"> Nia None' in html
    assert f'href="/admin/users/{learner}">Change<span' in html
