"""The caseload, overdue list, cohort tracking (page and CSV), a learner's tracking and every
role's home page at two sizes of centre: the same number of SQL statements, the main queries
reading through indexes, bad page numbers and filters giving the first page with a message,
and filters a role may not use ignored. (The turnaround cutoffs against the clock itself:
test_turnaround_cutoffs.py.)"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.assessment import caseload, cohort
from portfolio.assessment.caseload import QueueFilter
from portfolio.assessment.models import ElementSignOff
from portfolio.assessment.turnaround import ClockState
from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role, User
from portfolio.core.paging import PageArg
from portfolio.core.tables import csv_text
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from tests.assessment.support import MET, NOT_YET, backdate, decide, supersede
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import text
from tests.support.queries import count_request, full_scans

TODAY = date(2026, 3, 12)  # a Thursday
BIG_TABLES = ("evidence", "submission", "decision", "point_decision", "submission_claim")


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    id: int
    email: str


@dataclass
class Centre:
    app: Flask
    make: Factory
    assessors: list[User]
    iqa: User
    admin: User
    groups: list[Cohort]
    learners: list[Person] = field(default_factory=list)

    def client(self, user: User | Person) -> FlaskClient:
        client = self.app.test_client()
        login(client, user.email)
        return client

    def grow(self, count: int) -> None:
        """`count` more learners, each with an item waiting (late, due soon or on time), one
        decided and, for every third, one reopened by an IQA."""
        make = self.make
        with self.app.app_context():
            for _ in range(count):
                n = len(self.learners)
                assessor = self.assessors[n % 2]
                person = make.learner(assessor=assessor, name=f"Learner {n:03d}")
                accounts.assign_cohort(
                    db.session.get(User, person.id),  # type: ignore[arg-type]
                    db.session.get(Cohort, self.groups[n % 2].id),
                )
                waiting = make.submission(person, claims=("pts-a.1",), title=f"Waiting {n:03d}")
                backdate(waiting.id, at((2, 4, 11)[n % 3]))
                done = make.submission(person, element_id="pts-b", claims=("pts-b.1",))
                decide(done.id, {"pts-b.1": MET}, assessor=assessor)
                if n % 3 == 0:
                    again = make.submission(person, claims=("pts-a.2",), title=f"Reopened {n}")
                    supersede(decide(again.id, {"pts-a.2": MET}, assessor=assessor))
                self.learners.append(Person(person.id, person.email))


@pytest.fixture
def centre(app: Flask, make: Factory, monkeypatch: pytest.MonkeyPatch) -> Centre:
    monkeypatch.setattr(caseload, "today", lambda: TODAY)
    assessors = [
        make.user(Role.ASSESSOR, name="Alan Assessor"),
        make.user(Role.ASSESSOR, name="Beth Assessor"),
    ]
    groups = [make.cohort("Group A"), make.cohort("Group B")]
    return Centre(
        app, make, assessors, make.user(Role.IQA), make.user(Role.ADMIN, Role.IQA), groups
    )


def _user(person: Person) -> User:
    found = db.session.get(User, person.id)
    assert found is not None
    return found


def _statements(centre: Centre, client: FlaskClient, url: str) -> list[str]:
    def run() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        response.get_data()  # a streamed body runs its queries as it is read

    return count_request(centre.app, run)


PAGES = [
    ("assessor", "/"),
    ("iqa", "/"),
    ("admin", "/"),
    ("learner", "/"),
    ("assessor", "/assessment/queue"),
    ("assessor", "/assessment/queue?state=overdue&group={group}&element=pts-a&learner=learner"),
    ("iqa", "/assessment/queue"),
    ("iqa", "/assessment/queue?assessor={assessor}"),
    ("iqa", "/assessment/overdue"),
    ("iqa", "/assessment/overdue?assessor={assessor}&group={group}&element=pts-a&late=2"),
    ("assessor", "/assessment/cohort"),
    ("iqa", "/assessment/cohort?learners=all"),
    ("iqa", "/assessment/cohort?learners=all&group={group}&assessor={assessor}&element=pts-a"),
    ("iqa", "/assessment/cohort?learners=all&name=learner+0"),
    ("iqa", "/assessment/cohort.csv?learners=all"),
    ("assessor", "/assessment/cohort.csv"),
    ("iqa", "/assessment/learners/{learner}"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_the_statements_do_not_grow_with_the_centre(centre: Centre, who: str, url: str) -> None:
    centre.grow(3)
    users: dict[str, User | Person] = {
        "assessor": centre.assessors[0],
        "iqa": centre.iqa,
        "admin": centre.admin,
        "learner": centre.learners[0],
    }
    client = centre.client(users[who])
    url = url.format(
        group=centre.groups[0].id, assessor=centre.assessors[0].id, learner=centre.learners[0].id
    )
    small = _statements(centre, client, url)
    centre.grow(9)
    large = _statements(centre, client, url)
    assert len(large) == len(small), "\n".join(s[:100] for s in large)


def test_the_cohort_page_counts_every_learner_it_selects(centre: Centre) -> None:
    centre.grow(4)
    iqa = centre.client(centre.iqa)
    with centre.app.app_context():
        where = cohort.CohortFilter(cohort.Scope.ALL)
        viewer = db.session.get(User, centre.iqa.id)
        assert viewer is not None
        page = cohort.cohort_page(viewer, where, PageArg(2))
        assert page.learners.total == 4 and page.learners.number == 1  # one page of 50
        part = next(e for e in page.elements if e.element.id == "pts-b")
        # Every learner met pts-b.1: the foot counts the whole set.
        assert part.foot[0].texts[1] == "4 of 4"
    html = text(iqa.get("/assessment/cohort?learners=all"))
    assert "4 learners." in html
    assert "Export these 4 portfolios" in html
    narrowed = text(iqa.get("/assessment/cohort?learners=all&name=Learner+001"))
    assert "1 learners." in narrowed or "1 learner" in narrowed
    assert "Export all 4 portfolios" in narrowed
    assert "Learner 001" in narrowed and "Learner 002" not in narrowed


def test_bad_pages_and_filters_give_the_first_page_with_a_message(centre: Centre) -> None:
    centre.grow(2)
    iqa, assessor = centre.client(centre.iqa), centre.client(centre.assessors[0])
    for bad in ("-1", "0", "abc", "1e3", "99999999999999999999999", "", " 2 ", "٣"):
        for client, url in (
            (assessor, "/assessment/queue"),
            (iqa, "/assessment/queue"),
            (iqa, "/assessment/overdue"),
            (iqa, "/assessment/cohort?learners=all"),
            (assessor, "/assessment/cohort"),
        ):
            sep = "&" if "?" in url else "?"
            for arg in ("page", "learners_page", "assessors_page"):
                response = client.get(f"{url}{sep}{arg}={bad}")
                assert response.status_code == 200, (url, arg, bad)
    html = text(iqa.get("/assessment/overdue?page=50"))
    assert "There is no page 50: showing the first page." in html
    html = text(assessor.get("/assessment/queue?page=abc"))
    assert "There is no page “abc”: showing the first page." in html
    for url, message in (
        ("/assessment/queue?state=late", "There is no turnaround state “late”"),
        ("/assessment/queue?element=nope", "There is no element “nope”"),
        ("/assessment/queue?type=essay", "There is no evidence type “essay”"),
        ("/assessment/queue?group=abc", "There is no learner group “abc”"),
        ("/assessment/queue?group=99999999999999999999", "There is no learner group"),
        ("/assessment/overdue?late=7", "There is no lateness “7”"),
        ("/assessment/overdue?assessor=-3", "There is no assessor “-3”"),
        ("/assessment/overdue?assessor=99999999999999999999", "There is no assessor"),
        ("/assessment/cohort?learners=all&assessor=x", "There is no assessor “x”"),
        ("/assessment/cohort?learners=all&element=zz", "There is no element “zz”"),
    ):
        response = iqa.get(url)
        assert response.status_code == 200, url
        assert message in text(response), url
    # A learner group that does not exist is not found, as before; a long name is cut short.
    assert iqa.get("/assessment/cohort?learners=all&group=abc").status_code == 404
    assert iqa.get("/assessment/cohort?learners=all&name=" + "x" * 5000).status_code == 200
    assert iqa.get("/assessment/cohort.csv?learners=all&element=zz").status_code == 200


def test_an_assessor_cannot_see_another_assessors_caseload(centre: Centre) -> None:
    centre.grow(4)  # learners 0 and 2 are Alan's, 1 and 3 Beth's
    alan, beth = centre.assessors
    client = centre.client(alan)
    html = text(client.get(f"/assessment/queue?assessor={beth.id}"))
    assert "Waiting 000" in html and "Waiting 002" in html
    assert "Waiting 001" not in html and "Waiting 003" not in html
    assert "Every assessor's load" not in html
    cohort_html = text(client.get(f"/assessment/cohort?assessor={beth.id}"))
    assert "Learner 000" in cohort_html and "Learner 001" not in cohort_html
    csv_body = client.get(f"/assessment/cohort.csv?assessor={beth.id}").get_data(as_text=True)
    assert "Learner 000" in csv_body and "Learner 001" not in csv_body
    # Every learner is not an assessor's to ask for.
    assert client.get("/assessment/cohort?learners=all").status_code == 400


def test_the_queue_filters_and_counts_each_state(centre: Centre) -> None:
    centre.grow(6)  # Alan: learners 0, 2, 4 waiting since 2, 11 and 4 March
    client = centre.client(centre.assessors[0])
    html = text(client.get("/assessment/queue"))
    # 2 March: overdue; 4 March: due soon; 11 March: on time. Reopened items (learners 0
    # and 3) have their clocks running from today.
    assert re.search(r">2 on time</a>, <a[^>]*>1 due soon</a>, <a[^>]*>1 overdue</a>", html), html
    overdue = text(client.get("/assessment/queue?state=overdue"))
    assert re.findall(r'<a href="/assessment/submissions/\d+">([^<]+)</a>', overdue) == [
        "Waiting 000"
    ]
    named = text(client.get("/assessment/queue?learner=learner+004"))
    assert re.findall(r'<a href="/assessment/submissions/\d+">([^<]+)</a>', named) == [
        "Waiting 004"
    ]
    group = text(client.get(f"/assessment/queue?group={centre.groups[1].id}"))
    assert "Nothing is waiting for you that matches these filters." in group  # all in A


def test_iqas_see_every_assessors_load_and_open_their_queues(centre: Centre) -> None:
    centre.grow(6)
    iqa = centre.client(centre.iqa)
    html = text(iqa.get("/assessment/queue"))
    beth = centre.assessors[1]
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if "Alan Assessor" in r)
    # 3 learners; 4 waiting (3 items and 1 reopened), 1 due soon, 1 overdue.
    assert re.findall(r"<td>(?:<strong[^>]*>)?(\d+)", row) == ["3", "4", "1", "1"]
    assert f'href="/assessment/queue?assessor={beth.id}"' in html
    beths = text(iqa.get(f"/assessment/queue?assessor={beth.id}"))
    assert "Assessment queue: Beth Assessor" in beths and "Waiting 001" in beths
    assert "/assessment/submissions/" not in beths  # an IQA reads, and does not mark


def test_the_overdue_list_is_filtered_and_most_overdue_first(centre: Centre) -> None:
    centre.grow(6)
    with centre.app.app_context():
        late = centre.make.submission(centre.learners[1], title="Very late")
        backdate(late.id, at(20, 2))
    iqa = centre.client(centre.iqa)
    html = text(iqa.get("/assessment/overdue"))
    titles = re.findall(r'<a href="/assessment/evidence/\d+">([^<]+)</a>', html)
    assert titles == ["Very late", "Waiting 000", "Waiting 003"]
    assert "3 decisions overdue." in html
    late_by = text(iqa.get("/assessment/overdue?late=5"))
    assert re.findall(r'<a href="/assessment/evidence/\d+">([^<]+)</a>', late_by) == ["Very late"]
    alan = text(iqa.get(f"/assessment/overdue?assessor={centre.assessors[0].id}"))
    assert re.findall(r'<a href="/assessment/evidence/\d+">([^<]+)</a>', alan) == ["Waiting 000"]
    group_b = text(iqa.get(f"/assessment/overdue?group={centre.groups[1].id}"))
    assert re.findall(r'<a href="/assessment/evidence/\d+">([^<]+)</a>', group_b) == [
        "Very late",
        "Waiting 003",
    ]
    assert "No decision overdue matches these filters." in text(
        iqa.get("/assessment/overdue?element=pts-b")
    )
    # The home page: the count, the first few, and the way to the rest.
    home = text(iqa.get("/"))
    assert '<a href="/assessment/overdue">3 decisions overdue</a>' in home


def test_the_home_page_shows_the_first_five_overdue(centre: Centre) -> None:
    centre.grow(1)
    with centre.app.app_context():
        for n in range(7):
            late = centre.make.submission(_user(centre.learners[0]), title=f"Late {n}")
            backdate(late.id, at(20 - n, 2))
    home = text(centre.client(centre.iqa).get("/"))
    section = home.split('<h2 id="overdue-title">Decisions overdue</h2>')[1].split("</section>")[0]
    assert "8 decisions overdue: the 5 most overdue below; see and filter them all" in section
    assert re.findall(r'<a href="/assessment/evidence/\d+">([^<]+)</a>', section) == [
        "Late 6",
        "Late 5",
        "Late 4",
        "Late 3",
        "Late 2",
    ]


def test_the_whole_centre_csv_streams_in_batches_as_the_matrix_reads(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre.grow(7)
    with centre.app.app_context():
        # A few hundred more learners, written as create_user writes them (the factory's
        # password hashing would make this slow), some in each group and none.
        for n in range(250):
            person = accounts.create_user(
                f"bulk{n}@example.org", f"Bulk {n:03d}", "x" * 16, (Role.LEARNER,)
            )
            person.cohort_id = (centre.groups[0].id, centre.groups[1].id, None)[n % 3]
            person.assessor_id = centre.assessors[n % 2].id
        db.session.commit()
        _every_kind_of_progress(centre)
    monkeypatch.setattr(cohort, "BATCH", 40)  # 257 learners: seven batches
    iqa = centre.client(centre.iqa)
    response = iqa.get("/assessment/cohort.csv?learners=all")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    streamed = response.get_data(as_text=True)
    with centre.app.app_context():
        viewer = db.session.get(User, centre.iqa.id)
        assert viewer is not None
        everyone = cohort.cohort_learners(viewer, cohort.Scope.ALL, None)
        assert len(everyone) == 257
        whole = csv_text(
            "Cohort tracking: all learners, every group", cohort.cohort_matrix(everyone).tables
        )
    assert streamed == whole
    assert ": 1 of 257 learners have met every marking point, 1 signed off" in streamed
    rows = list(csv.reader(io.StringIO(streamed)))
    learner_rows = [r[0] for r in rows if r and r[0].startswith(("Bulk ", "Learner 0"))]
    tables = sum(1 for r in rows if r and r[0] == "Learner")
    assert tables >= 2 and len(learner_rows) == 257 * tables  # once in each element's table
    # The page shows the same rows as the CSV, fifty at a time.
    html = text(iqa.get("/assessment/cohort?learners=all&page=6"))
    assert "257 learners: showing 251 to 257 (page 6 of 6)." in html


def _every_kind_of_progress(centre: Centre) -> None:
    """Learners 0-3 given what the totals must tell apart: an element complete and signed
    off, a trainee's decision not yet countersigned, and points met in an attempt since
    referred and sent again."""
    everything = [p.id for p in qualifications.live_marking_points("pts-b")]
    alan = centre.assessors[0]
    complete = centre.make.submission(
        _user(centre.learners[0]), element_id="pts-b", claims=tuple(everything)
    )
    decide(complete.id, dict.fromkeys(everything, MET), assessor=alan)
    db.session.add(
        ElementSignOff(
            learner_id=centre.learners[0].id,
            element_id="pts-b",
            assessor_id=alan.id,
            rubric_version=1,
            snapshot={},
        )
    )
    db.session.commit()
    trainee = centre.make.submission(
        _user(centre.learners[1]), element_id="pts-b", claims=tuple(everything)
    )
    decide(trainee.id, dict.fromkeys(everything, MET), assessor=alan, needs_countersignature=True)
    first = centre.make.submission(_user(centre.learners[2]), claims=("pts-a.3", "pts-a.4"))
    decide(first.id, {"pts-a.3": MET, "pts-a.4": NOT_YET}, assessor=alan)
    evidence = db.session.get(Evidence, first.evidence_id)
    assert evidence is not None
    submission_of(evidence, _user(centre.learners[2]))


def submission_of(evidence: Evidence, learner: User) -> None:
    """The learner sends the referred item again, unchanged."""
    evidence_services.submit_evidence(evidence, learner, learner.name)


def test_the_main_queries_read_through_indexes(centre: Centre) -> None:
    centre.grow(3)
    with centre.app.app_context():
        cut = caseload.cutoffs(TODAY)
        alan = centre.assessors[0].id
        queue = caseload._oldest_first(caseload._waiting(QueueFilter(assessor_id=alan), cut))
        assert full_scans(queue, BIG_TABLES) == []
        overdue = caseload._oldest_first(
            caseload._waiting(QueueFilter(state=ClockState.OVERDUE), cut)
        )
        assert full_scans(overdue, BIG_TABLES) == []
        viewer = db.session.get(User, centre.iqa.id)
        assert viewer is not None
        learners = cohort.learners_query(viewer, cohort.CohortFilter(cohort.Scope.ALL))
        assert learners is not None
        kept = cohort._kept_progress(learners.with_only_columns(User.id), ["pts-a", "pts-b"])
        assert full_scans(kept, (*BIG_TABLES, "point_met", "point_under_way")) == []
        assert full_scans(caseload.reopened_query([1, 2, 3]), BIG_TABLES) == []
