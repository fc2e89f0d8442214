"""Acceptance, in real Chromium, on a generated centre big enough that every list has more than
one page (60 learners in 4 groups, 4 assessors, 1,500 evidence items and about 4,400 audit
entries: built in a few seconds by bench.centre, through the app's own rules): an IQA finds one
learner's tracking by name, pages and filters the overdue list, takes a sample from a two-page
proposal and searches the audit trail by a learner's name; a tutor pages quiz analytics; an
admin pages the users and finds people by a surname typed without its apostrophe or accents.
Each page shows how many results there are and how to reach the next ones (the pager); axe-core
runs on every page visited. Nothing is timed here: bench/web.py measures the speed."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bench.centre import PASSWORD, SIZES, Login, build_centre
from portfolio.auth.models import Role, User, UserRole
from portfolio.core.audit import AuditEntry
from portfolio.data import DataSet
from portfolio.extensions import db
from tests.browser.conftest import LiveServer, Users
from tests.browser.support import A11y, heading, nav, sign_in
from tests.conftest import _reset_schema, make_app

pytestmark = pytest.mark.browser

# The tiny size with more of everything a list pages: > 50 learners, users, overdue decisions,
# proposed decisions and audit entries about one learner; a fourth assessor gives the IQA a
# "new" assessor sampled at 50%, so the proposal has two pages without a bigger build.
SIZE = replace(
    SIZES["tiny"],
    name="browser",
    learners=60,
    group_size=15,
    assessors=4,
    evidence_items=1_500,
    attempts=240,
    audit_entries=60,
)
PAGE = 50
# Surnames as generated with an apostrophe or accents; an admin types them plainly.
SURNAMES = (
    "D'Souza",
    "O'Neill",
    "O'Brien",
    "O'Sullivan",
    "D'Arcy",
    "Müller",
    "Schröder",
    "García",
    "Fernández",
    "Núñez",
    "Gonçalves",
    "Wójcik",
)


@dataclass(frozen=True)
class Centre:
    logins: dict[Role, Login]
    learner: str  # a learner whose name no one else's contains, with over a page of audit
    learner_email: str
    surname: str  # as generated, e.g. "D'Souza"
    holders: int  # users whose name holds it


def _same(text: str) -> str:
    return text.replace("\u2019", "'").casefold()


def _typed(surname: str) -> str:
    """The surname as typed on a UK keyboard: no apostrophe, no accents ("dsouza")."""
    plain = unicodedata.normalize("NFKD", surname.replace("'", ""))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def _read_centre(stats_logins: list[Login]) -> Centre:
    names = list(db.session.scalars(select(User.name)))
    per_learner = db.session.execute(
        select(User.name, User.email, func.count(AuditEntry.id))
        .join(AuditEntry, AuditEntry.learner_id == User.id)
        .group_by(User.id, User.name, User.email)
        .having(func.count(AuditEntry.id) > PAGE)
        .order_by(func.count(AuditEntry.id).desc(), User.id)
    ).all()
    learner = next(
        (
            (name, email)
            for name, email, _ in per_learner
            if sum(_same(name) in _same(other) for other in names) == 1
        ),
        None,
    )
    assert learner, f"no learner with a name of their own has over {PAGE} audit entries"
    holders = {s: sum(_same(s) in _same(n) for n in names) for s in SURNAMES}
    surname = max(SURNAMES, key=lambda s: (holders[s], -SURNAMES.index(s)))
    assert holders[surname], "no generated user has a surname with an apostrophe or accent"
    return Centre(
        {login.role: login for login in stats_logins},
        learner[0],
        learner[1],
        surname,
        holders[surname],
    )


def _users() -> Users:
    """The conftest's Users, filled with generated people (sign_in reads the password)."""

    def nth(role: Role, n: int = 0) -> User:
        return db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role)
            .order_by(User.id)
            .offset(n)
            .limit(1)
        ).one()

    return Users(
        tutor=nth(Role.TUTOR),
        assessor=nth(Role.ASSESSOR),
        iqa=nth(Role.IQA),
        admin=nth(Role.ADMIN),
        learner=nth(Role.LEARNER),
        learner2=nth(Role.LEARNER, 1),
        password=PASSWORD,
    )


@pytest.fixture(scope="module")
def centre_server(
    tmp_path_factory: pytest.TempPathFactory, shipped_data: DataSet
) -> Iterator[tuple[LiveServer, Centre]]:
    """The app on a generated centre, served on a real port, once for this module."""
    from portfolio.cli import load_data

    app = make_app(tmp_path_factory.mktemp("centre"))
    with app.app_context():
        _reset_schema()
        load_data(shipped_data)
        stats = build_centre(SIZE, seed=1)
        centre = _read_centre(stats.logins)
        users = _users()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="centre-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", users, app), centre
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(centre_server: tuple[LiveServer, Centre]) -> LiveServer:
    """The conftest's `page` fixture opens its browser context on this server."""
    return centre_server[0]


@pytest.fixture(scope="module")
def centre(centre_server: tuple[LiveServer, Centre]) -> Centre:
    return centre_server[1]


def _count(page: Page, pattern: str) -> re.Match[str]:
    """The "N things: showing 1 to 50 (page 1 of M)." line, as shown, matched whole."""
    line = page.locator("p.result-count").filter(has_text=re.compile(pattern))
    expect(line).to_have_count(1)
    found = re.fullmatch(pattern, line.inner_text().strip())
    assert found, line.inner_text()
    return found


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _pager(page: Page, label: str) -> Locator:
    pager = page.get_by_role("navigation", name=label)
    expect(pager).to_be_visible()
    return pager


def test_iqa_finds_tracking_pages_overdue_takes_a_sample_and_searches_the_audit_trail(
    page: Page, live_server: LiveServer, centre: Centre
) -> None:
    server, a11y, iqa = live_server, A11y(), centre.logins[Role.IQA]
    sign_in(page, a11y, server, iqa.email, iqa.name)

    # 1. Cohort tracking pages the centre's learners; the home page's name search finds one.
    nav(page, "Cohort tracking")
    expect(heading(page, re.compile("learners", re.IGNORECASE))).to_be_visible()
    found = _count(page, r"(\d+) learners: showing 1 to 50 \(page 1 of (\d+)\)\.")
    assert _number(found[1]) == SIZE.learners
    pager = page.get_by_role("navigation", name="Pages of learners")
    expect(pager.get_by_role("link", name="Next page")).to_be_visible()
    a11y.check(page)
    nav(page, "Home")
    page.get_by_label("Find a learner by name").fill(centre.learner)
    page.get_by_role("button", name="Find").click()
    _count(page, r"1 learners?\.")
    page.get_by_role("link", name=centre.learner, exact=True).first.click()
    expect(heading(page, f"{centre.learner}: tracking")).to_be_visible()
    a11y.check(page)

    # 2. The overdue list, from the home page: a count, a pager, page 2, then one assessor's.
    nav(page, "Home")
    page.get_by_role(
        "link", name=re.compile(r"decisions overdue: .* see and filter them all")
    ).click()
    expect(heading(page, "Decisions overdue")).to_be_visible()
    found = _count(page, r"([\d,]+) decisions overdue: showing 1 to 50 \(page 1 of (\d+)\)\.")
    overdue = _number(found[1])
    assert overdue > PAGE
    a11y.check(page)
    _pager(page, "Pages of overdue decisions")
    page.get_by_role("navigation", name="Pages of overdue decisions").get_by_role(
        "link", name="Next page"
    ).click()
    last = min(overdue, 2 * PAGE)
    _count(page, rf"{overdue:,} decisions overdue: showing 51 to {last:,} \(page 2 of \d+\)\.")
    expect(page.get_by_role("link", name="Previous page")).to_be_visible()
    a11y.check(page)
    rows = page.get_by_role("region", name="Decisions overdue").locator("tbody tr")
    assessor = rows.first.locator("td").nth(1).inner_text().strip()
    page.get_by_label("Assessor").select_option(label=assessor)
    page.get_by_role("button", name="Show").click()
    found = _count(page, r"([\d,]+) decisions? overdue(: showing 1 to \d+ \(page 1 of \d+\))?\.")
    assert 0 < _number(found[1]) < overdue
    expect(page.get_by_label("Assessor")).to_have_value(re.compile(r"\d+"))
    for cell in rows.locator("td:nth-child(3)").all():
        expect(cell).to_have_text(assessor)
    a11y.check(page)

    # 3. The proposed sample has two pages; taking it takes every page's decisions.
    nav(page, "Quality assurance")
    page.get_by_role("link", name="Propose a sample").click()
    expect(heading(page, "Proposed sample")).to_be_visible()
    # The default period starts on the day of the last sample, which the generated centre
    # takes two or more days before it is built: how many decisions fall after it depends on
    # the hour the test runs (under a page in the evening). Sixty days hold more than a page.
    since = (datetime.now(UTC).date() - timedelta(days=60)).isoformat()
    page.get_by_label("Decisions made from").fill(since)
    page.get_by_role("button", name="Show the proposal").click()
    expect(page.get_by_label("Decisions made from")).to_have_value(since)
    found = _count(page, r"([\d,]+) decisions proposed: showing 1 to 50 \(page 1 of (\d+)\)\.")
    proposed = _number(found[1])
    assert proposed > PAGE
    a11y.check(page)
    _pager(page, "Pages of the proposed decisions").get_by_role("link", name="Next page").click()
    _count(page, rf"{proposed:,} decisions proposed: showing 51 to [\d,]+ \(page 2 of \d+\)\.")
    a11y.check(page)
    page.get_by_role("button", name="Take this sample").click()
    expect(heading(page, re.compile(r"^Sample \d+$"))).to_be_visible()
    expect(page.get_by_text(f"Sample taken: {proposed} decisions to review.")).to_be_visible()
    _count(page, rf"{proposed:,} sampled decisions: showing 1 to 50 \(page 1 of \d+\)\.")
    _pager(page, "Pages of sampled decisions")
    a11y.check(page)

    # 4. The audit trail, searched by the learner's name: a count and older entries.
    nav(page, "Audit trail")
    expect(heading(page, "Audit trail")).to_be_visible()
    found = _count(page, r"([\d,]+) entries; showing 50\.")
    everything = _number(found[1])
    a11y.check(page)
    page.get_by_label("About learner").fill(centre.learner)
    page.get_by_role("button", name="Filter").click()
    expect(
        page.get_by_role("status").filter(has_text=f"About learner: {centre.learner}")
    ).to_contain_text(centre.learner_email)
    found = _count(page, r"([\d,]+) entries; showing 50\.")
    about = _number(found[1])
    assert PAGE < about < everything
    entries = page.get_by_role("region", name="Audit entries").locator("tbody tr")
    expect(entries).to_have_count(PAGE)
    expect(entries.first.locator("td").nth(4)).to_have_text(centre.learner)
    a11y.check(page)
    pages = _pager(page, "Pages of the audit trail")
    pages.get_by_role("link", name="Older entries").click()
    _count(page, rf"{about:,} entries; showing \d+ older\.")
    expect(page.get_by_role("link", name="Newest (back to the start)")).to_be_visible()
    expect(page.get_by_label("About learner")).to_have_value(centre.learner)
    expect(entries.first.locator("td").nth(4)).to_have_text(centre.learner)
    a11y.check(page)


def test_tutor_pages_quiz_analytics(page: Page, live_server: LiveServer, centre: Centre) -> None:
    server, a11y, tutor = live_server, A11y(), centre.logins[Role.TUTOR]
    sign_in(page, a11y, server, tutor.email, tutor.name)
    page.get_by_role("link", name="Quiz analytics").click()
    expect(heading(page, "Quiz analytics")).to_be_visible()
    found = _count(page, r"(\d+) misconceptions: showing 1 to 25 \(page 1 of (\d+)\)\.")
    held = _number(found[1])
    _count(page, r"\d+ misconceptions held now: showing 1 to 10 \(page 1 of \d+\)\.")
    _pager(page, "Pages of the heatmap")
    _count(page, r"\d+ questions\.")
    quizzes = _pager(page, "Quizzes")
    a11y.check(page)

    _pager(page, "Pages of misconceptions").get_by_role("link", name="Next page").click()
    _count(page, rf"{held} misconceptions: showing 26 to \d+ \(page 2 of \d+\)\.")
    _count(page, r"\d+ misconceptions held now: showing 1 to 10 \(page 1 of \d+\)\.")
    a11y.check(page)

    second = quizzes.get_by_role("link").nth(1)
    title = second.inner_text().strip()
    second.click()
    expect(page.get_by_role("region", name=f"Questions of {title}")).to_be_visible()
    _count(page, r"\d+ questions\.")
    a11y.check(page)


def test_admin_pages_the_users_and_finds_them_by_name(
    page: Page, live_server: LiveServer, centre: Centre
) -> None:
    server, a11y, admin = live_server, A11y(), centre.logins[Role.ADMIN]
    sign_in(page, a11y, server, admin.email, admin.name)
    page.get_by_role("link", name="Manage users and caseloads").click()
    expect(heading(page, "Users")).to_be_visible()
    found = _count(page, r"(\d+) users: showing 1 to 50 \(page 1 of (\d+)\)\.")
    total = _number(found[1])
    assert total > PAGE
    a11y.check(page)
    _pager(page, "Pages of users").get_by_role("link", name="Next page").click()
    _count(page, rf"{total} users: showing 51 to {min(total, 2 * PAGE)} \(page 2 of \d+\)\.")
    a11y.check(page)

    typed = _typed(centre.surname)
    page.get_by_label("Name or email").fill(typed)
    page.get_by_role("button", name="Find", exact=True).click()
    noun = "user" if centre.holders == 1 else "users"
    _count(page, rf"{centre.holders} {noun}\.")
    names = page.get_by_role("region", name="Users").locator("tbody th")
    expect(names).to_have_count(centre.holders)
    for name in names.all_inner_texts():
        assert _same(centre.surname) in _same(name)
    expect(page.get_by_role("navigation", name="Pages of users")).to_have_count(0)
    expect(page.get_by_label("Name or email")).to_have_value(typed)
    a11y.check(page)
