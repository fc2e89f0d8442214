"""The IQA pages at a centre's size: the same number of SQL statements at two sizes, the
proposal's main queries on an index, bounded HTML, paging and filters (bad values answered
with the first page and a message), and taking a paged proposal in one POST that the server
works out again (a changed proposal or tampered form refused)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.assessment.models import AssessorStatus, Decision, Outcome
from portfolio.auth.models import Cohort, Role, User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.iqa import countersigning, proposals, services
from portfolio.iqa.models import Sample, SampleItem, Verdict
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text
from tests.iqa.support import many_decisions
from tests.support.queries import count_request, full_scans

TAKE_FIELDS = ("since", "until", "fingerprint", "assessor", "group", "element", "type", "stage")


@dataclass
class Centre:
    app: Flask
    make: Factory
    iqa: User
    assessors: list[User] = field(default_factory=list)
    learners: list[User] = field(default_factory=list)
    groups: list[Cohort] = field(default_factory=list)
    samples: list[int] = field(default_factory=list)
    seed: int = 0

    @property
    def trainee(self) -> User:
        return self.assessors[0]

    def grow(self, learners: int, assessors: int, decisions: int, samples: int) -> None:
        """Add people and decisions, then take `samples` small samples of them."""
        for _ in range(assessors):
            self.assessors.append(self.make.user(Role.ASSESSOR, name=f"Assessor {self.seed}"))
            self.seed += 1
        for n in range(learners):
            person = self.make.learner(name=f"Learner {self.seed}")
            self.seed += 1
            self.learners.append(person)
            group = self.groups[n % len(self.groups)]
            with self.app.app_context():
                from portfolio.auth import services as accounts

                accounts.assign_cohort(
                    db.session.get(User, person.id),  # type: ignore[arg-type]
                    db.session.get(Cohort, group.id),
                )
        many_decisions(
            self.app,
            self.assessors,
            self.learners,
            decisions,
            trainees={self.trainee.id},
            seed=self.seed,
        )
        with self.app.app_context():
            iqa = db.session.get(User, self.iqa.id)
            assert iqa is not None
            today = utcnow().date()
            period = services.Period(today - timedelta(days=60), today)
            for _ in range(samples):
                # Sample one proposed decision, so later samples still find some.
                ids = [e.decision_id for e in services.propose_sample(iqa, period).entries][:1]
                self.samples.append(services.take_sample(iqa, period, ids).id)
            # Taken a month ago, so the default period (from the last sample to today) holds
            # every decision made since.
            for sample in db.session.scalars(select(Sample)):
                sample.created_at = utcnow() - timedelta(days=30)
            db.session.commit()


@pytest.fixture
def centre(app: Flask, make: Factory) -> Centre:
    iqa = make.user(Role.IQA, name="Ian Quality")
    place = Centre(app, make, iqa)
    place.groups = [make.cohort("Day group"), make.cohort("Evening group")]
    place.grow(learners=3, assessors=3, decisions=30, samples=2)
    with app.app_context():
        trainee = db.session.get(User, place.trainee.id)
        services.change_plan(trainee, AssessorStatus.TRAINEE, 100, db.session.get(User, iqa.id))  # type: ignore[arg-type]
    return place


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    login(client, user.email)
    return client


def _first_item(app: Flask, sample_id: int) -> int:
    with app.app_context():
        found = db.session.scalar(
            select(func.min(SampleItem.id)).where(SampleItem.sample_id == sample_id)
        )
        assert found is not None
        return found


PAGES: dict[str, Callable[[Centre], str]] = {
    "home": lambda c: "/iqa/",
    "home, older samples": lambda c: f"/iqa/?after={c.samples[-1]}",
    "proposal": lambda c: "/iqa/samples/new",
    "proposal, filtered": lambda c: (
        f"/iqa/samples/new?group={c.groups[0].id}&stage=final&assessor={c.assessors[1].id}"
        "&element=pts-a&type=reflective-account"
    ),
    "plans": lambda c: "/iqa/plans",
    "countersignatures": lambda c: "/iqa/countersignatures",
    "countersignatures, one assessor": lambda c: f"/iqa/countersignatures?assessor={c.trainee.id}",
    "sample": lambda c: f"/iqa/samples/{c.samples[0]}",
    "sample item": lambda c: (
        f"/iqa/samples/{c.samples[0]}/items/{_first_item(c.app, c.samples[0])}"
    ),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_statements_do_not_grow_with_the_centre(centre: Centre, page: str) -> None:
    client = _client(centre.app, centre.iqa)

    def counted() -> tuple[int, int]:
        # Twice: the proposal is worked out on the first view and kept for the second.
        url = PAGES[page](centre)
        seen = []
        for _ in range(2):
            codes: list[int] = []
            statements = count_request(
                centre.app, lambda codes=codes: codes.append(client.get(url).status_code)
            )
            assert codes == [200], url
            seen.append(len(statements))
        return seen[0], seen[1]

    small = counted()
    centre.grow(learners=9, assessors=3, decisions=150, samples=3)  # 4x the learners
    assert counted() == small


# The queries' plans


def test_the_main_queries_read_the_big_tables_through_indexes(ctx: None, make: Factory) -> None:
    iqa = make.user(Role.IQA)
    period = proposals.default_period()
    big = ("decision", "sample_item")
    assert full_scans(proposals.candidates_query(period), big) == []
    waiting = countersigning.awaiting_query(iqa)
    assert full_scans(waiting, big) == []
    assert full_scans(proposals.version_query(), big) == []
    assert full_scans(services.sample_items_query(1), big) == []


# Size and paging


@pytest.fixture
def busy(centre: Centre) -> Centre:
    """A few hundred decisions in the period, a trainee's all proposed: several pages."""
    centre.grow(learners=6, assessors=0, decisions=400, samples=0)
    return centre


def test_the_proposal_page_stays_small_and_pages(busy: Centre) -> None:
    client = _client(busy.app, busy.iqa)
    with busy.app.app_context():
        iqa = db.session.get(User, busy.iqa.id)
        worked = services.propose_sample(iqa, services.default_period())  # type: ignore[arg-type]
    total = len(worked.entries)
    assert total > 150
    response = client.get("/iqa/samples/new")
    assert response.status_code == 200
    assert len(response.data) < 200_000
    page = text(response)
    pages = -(-total // 50)
    assert f"{total:,} decisions proposed: showing 1 to 50 (page 1 of {pages})." in page
    assert len(read_form(page).all("decision")) == 50
    assert 'rel="next"' in page
    # Each assessor's share is summed by plan, in full, whatever the page.
    assert sum(s.proposed for s in worked.shares) == total
    last = text(client.get(f"/iqa/samples/new?page={pages}"))
    assert f"(page {pages} of {pages})" in last
    shown = [int(i) for i in read_form(last).all("decision")]
    assert shown == [e.decision_id for e in worked.entries][(pages - 1) * 50 :]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=-1", "There is no page “-1”"),
        ("page=0", "There is no page “0”"),
        ("page=abc", "There is no page “abc”"),
        (f"page={2**64}", "There is no page"),
        ("page=999", "There is no page 999"),
        ("assessor=abc", "There is no assessor “abc”"),
        ("assessor=999999999", "There is no assessor “999999999”"),
        (f"assessor={2**64}", "There is no assessor"),
        ("group=-3", "There is no learner group “-3”"),
        ("element=nowhere", "There is no element “nowhere”"),
        ("type=%3Cscript%3E", "There is no evidence type “<script>”"),
        ("stage=middle", "There is no stage “middle”"),
    ],
)
def test_bad_page_numbers_and_filters_show_everything_with_a_message(
    centre: Centre, query: str, message: str
) -> None:
    response = _client(centre.app, centre.iqa).get(f"/iqa/samples/new?{query}")
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "<script>" not in response.get_data(as_text=True)
    assert "decisions proposed." in page or "decisions proposed:" in page


@pytest.mark.parametrize(
    "url",
    [
        "/iqa/?after=abc",
        "/iqa/?after=-4",
        f"/iqa/?after={2**64}",
        "/iqa/plans?page=abc",
        "/iqa/plans?page=99",
        "/iqa/countersignatures?page=-2",
        "/iqa/countersignatures?assessor=abc",
        "/iqa/countersignatures?assessor=1&page=999",
        "/iqa/samples/{sample}?page=abc",
        f"/iqa/samples/{{sample}}?page={2**64}",
    ],
)
def test_bad_values_on_the_other_pages_give_the_first_page(centre: Centre, url: str) -> None:
    response = _client(centre.app, centre.iqa).get(url.format(sample=centre.samples[0]))
    assert response.status_code == 200
    assert re.search(r"There is no|not valid: showing the first page", text(response))


def test_the_home_page_pages_samples_newest_first(centre: Centre) -> None:
    centre.grow(learners=0, assessors=0, decisions=120, samples=52)
    client = _client(centre.app, centre.iqa)
    page = text(client.get("/iqa/"))
    newest = sorted(centre.samples, reverse=True)
    assert f"{len(newest)} samples; showing 50." in page
    assert f"Sample {newest[0]}," in page and f"Sample {newest[49]}," in page
    assert f"Sample {newest[50]}," not in page
    older = text(client.get(f"/iqa/?after={newest[49]}"))
    assert f"Sample {newest[50]}," in older and f"Sample {newest[0]}," not in older
    assert "Newest samples" in older


def test_countersignatures_page_filter_and_count(centre: Centre) -> None:
    client = _client(centre.app, centre.iqa)
    with centre.app.app_context():
        waiting = countersigning.count_awaiting(db.session.get(User, centre.iqa.id))  # type: ignore[arg-type]
    assert waiting == 10  # the trainee made every third of the 30 decisions
    assert f"Decisions awaiting countersignature</a> ({waiting})" in text(client.get("/iqa/"))
    page = text(client.get(f"/iqa/countersignatures?assessor={centre.trainee.id}"))
    assert f"{waiting} decisions awaiting countersignature." in page
    other = text(client.get(f"/iqa/countersignatures?assessor={centre.assessors[1].id}"))
    assert "There is no assessor" in other  # nobody else has decisions waiting


def test_the_plans_page_counts_each_assessors_decisions_and_samples(centre: Centre) -> None:
    page = text(_client(centre.app, centre.iqa).get("/iqa/plans"))
    assert "3 assessors." in page
    with centre.app.app_context():
        rows = {r.assessor.id: r for r in services.plan_rows().items}
    assert sum(r.decisions for r in rows.values()) == 30
    assert sum(r.sampled for r in rows.values()) == 2
    assert rows[centre.trainee.id].plan.status is AssessorStatus.TRAINEE


# Taking a paged proposal


def _page(client: FlaskClient, url: str = "/iqa/samples/new") -> tuple[str, dict[str, object]]:
    page = text(client.get(url))
    form = read_form(page)
    data: dict[str, object] = {name: (form.all(name) or [""])[-1] for name in TAKE_FIELDS}
    data["shown"] = form.all("shown")
    data["decision"] = form.all("decision")
    return page, data


def _sampled(app: Flask) -> list[int]:
    with app.app_context():
        latest = db.session.scalar(select(func.max(Sample.id)))
        return list(
            db.session.scalars(select(SampleItem.decision_id).where(SampleItem.sample_id == latest))
        )


def test_taking_the_whole_proposal_from_one_page(busy: Centre) -> None:
    client = _client(busy.app, busy.iqa)
    with busy.app.app_context():
        iqa = db.session.get(User, busy.iqa.id)
        proposed = [
            e.decision_id for e in services.propose_sample(iqa, services.default_period()).entries
        ]  # type: ignore[arg-type]
    _, data = _page(client, "/iqa/samples/new?page=2")
    left_out = data["decision"][:2]  # type: ignore[index]
    data["decision"] = data["decision"][2:]  # type: ignore[index]
    response = send(client, "/iqa/samples", data)
    assert response.status_code == 302
    taken = _sampled(busy.app)
    assert sorted(taken) == sorted(set(proposed) - {int(i) for i in left_out})  # type: ignore[union-attr]
    follow = text(client.get(response.headers["Location"]))
    assert f"Sample taken: {len(taken)} decisions to review." in follow
    assert f"{len(taken):,} sampled decisions: showing 1 to 50" in follow


def test_taking_the_filtered_part(busy: Centre) -> None:
    client = _client(busy.app, busy.iqa)
    page, data = _page(client, "/iqa/samples/new?stage=interim")
    assert "decisions proposed that match the filters" in page
    assert data["stage"] == "interim"
    response = send(client, "/iqa/samples", data)
    assert response.status_code == 302
    with busy.app.app_context():
        sample = db.session.scalars(select(Sample).order_by(Sample.id.desc())).first()
        assert sample is not None and sample.parameters["filters"] == {"stage": "interim"}
        outcomes = set(
            db.session.scalars(
                select(Decision.outcome)
                .join(SampleItem, SampleItem.decision_id == Decision.id)
                .where(SampleItem.sample_id == sample.id)
            )
        )
    assert outcomes == {Outcome.REFERRED}
    # The rest of the proposal is still there to take.
    # The same period: the default one now starts today (the day of the sample just taken),
    # and the fixture's decisions were made an hour or more ago.
    period = f"since={data['since']}&until={data['until']}"
    rest = text(client.get(f"/iqa/samples/new?stage=final&{period}"))
    assert "decisions proposed that match the filters" in rest


def test_a_proposal_that_changed_after_it_was_shown_is_not_taken(busy: Centre) -> None:
    client = _client(busy.app, busy.iqa)
    _, data = _page(client)
    # A trainee's new decision: the proposal now holds one more.
    many_decisions(busy.app, [busy.trainee], busy.learners, 1, trainees={busy.trainee.id})
    response = send(client, "/iqa/samples", data)
    assert response.status_code == 422
    assert "The proposal has changed since you opened it" in text(response)
    with busy.app.app_context():
        assert db.session.scalar(select(func.count(Sample.id))) == 2  # the fixture's


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"fingerprint": "0" * 32}, 422, "The proposal has changed"),
        ({"shown": ["999999"]}, 422, "The proposal has changed"),
        ({"decision": ["999999"]}, 422, "The proposal has changed"),
        ({"stage": "final"}, 422, "The proposal has changed"),  # not what was shown
        ({"assessor": "abc"}, 400, ""),
        ({"group": str(2**70)}, 400, ""),
        ({"stage": "middle"}, 400, ""),
        ({"shown": ["x"]}, 400, ""),
    ],
)
def test_a_tampered_take_is_refused(
    busy: Centre, change: dict[str, object], status: int, message: str
) -> None:
    client = _client(busy.app, busy.iqa)
    _, data = _page(client)
    response = send(client, "/iqa/samples", {**data, **change})
    assert response.status_code == status
    assert message in text(response)
    with busy.app.app_context():
        assert db.session.scalar(select(func.count(Sample.id))) == 2


def test_own_decisions_cannot_be_slipped_into_the_page(busy: Centre) -> None:
    both = busy.make.user(Role.ASSESSOR, Role.IQA, name="Bea Both")
    (own,) = many_decisions(busy.app, [both], busy.learners, 1)
    client = _client(busy.app, both)
    _, data = _page(client)
    assert str(own) not in data["shown"]  # type: ignore[operator]
    data["shown"] = [*data["shown"], str(own)]  # type: ignore[misc]
    response = send(client, "/iqa/samples", data)
    assert response.status_code == 422
    assert "You cannot sample your own assessment decisions." in text(response)


# The kept proposal follows every change that alters it


def test_the_kept_proposal_follows_decisions_samples_plans_reopenings_and_names(
    centre: Centre,
) -> None:
    app = centre.app
    with app.app_context():
        iqa = db.session.get(User, centre.iqa.id)
        assert iqa is not None
        # One period throughout: the default one starts on the day of the last sample, so
        # after the take below it would hold only decisions made today, and the fixture's
        # were made an hour or more ago (none at all just after midnight).
        period = services.default_period()

        def proposal() -> proposals.Worked:
            db.session.expire_all()
            return services.propose_sample(iqa, period)

        def afresh() -> set[int]:
            parts, _ = proposals._spread(iqa, period, lock=False)
            return {p.row.decision_id for part in parts for p in part.picks}

        first = proposal()
        assert proposal() == first  # kept
        (new,) = many_decisions(app, [centre.trainee], centre.learners, 1)
        assert new in proposal().decision_ids  # a trainee's decision is always proposed
        assert proposal().decision_ids == afresh()

        qualified = centre.assessors[1]
        before = {s.assessor_id: s.proposed for s in proposal().shares}
        services.change_plan(db.session.get(User, qualified.id), AssessorStatus.QUALIFIED, 100, iqa)  # type: ignore[arg-type]
        after = {s.assessor_id: s.proposed for s in proposal().shares}
        assert after[qualified.id] > before[qualified.id]
        assert proposal().decision_ids == afresh()

        taken = services.take_sample(iqa, period, {new})
        assert new not in proposal().decision_ids
        assert proposal().decision_ids == afresh()

        item = db.session.get(SampleItem, taken.items[0].id)
        assert item is not None
        services.review_item(item, iqa, Verdict.DISAGREE, "Look at pts-a.4 again.")
        assert proposal().decision_ids == afresh()

        db.session.get(User, qualified.id).name = "Alan Renamed"  # type: ignore[union-attr]
        db.session.commit()
        assert "Alan Renamed" in {s.assessor_name for s in proposal().shares}


def test_a_new_decision_reads_again_only_its_assessors_candidates(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    spread_for: list[set[int]] = []
    choose = proposals.choose

    def spy(rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        rows = list(rows)
        spread_for.append({r.assessor_id for r in rows})
        return choose(rows, *args, **kwargs)

    monkeypatch.setattr(proposals, "choose", spy)
    app = centre.app
    with app.app_context():
        iqa = db.session.get(User, centre.iqa.id)
        assert iqa is not None
        period = services.default_period()
        whole = services.propose_sample(iqa, period)
        assert spread_for == [{a.id for a in centre.assessors}]

        maker = centre.assessors[2]
        (new,) = many_decisions(app, [maker], centre.learners, 1, seed=99)
        db.session.expire_all()
        worked = services.propose_sample(iqa, period)
        assert spread_for[1:] == [{maker.id}]  # the others' shares were kept
        shares = {s.assessor_id: s for s in worked.shares}
        unchanged = {s.assessor_id: s for s in whole.shares if s.assessor_id != maker.id}
        assert unchanged == {a: s for a, s in shares.items() if a != maker.id}
        before = next(s for s in whole.shares if s.assessor_id == maker.id)
        assert shares[maker.id].decisions == before.decisions + 1  # decision `new` counted
        assert new not in {e.decision_id for e in whole.entries}
        # The same as working the whole proposal out afresh.
        parts, own = proposals._spread(iqa, period, lock=False)
        assert worked.decision_ids == {p.row.decision_id for part in parts for p in part.picks}
        assert worked.own_left_out == own


def test_a_refused_filtered_take_shows_the_same_filtered_proposal_again(busy: Centre) -> None:
    client = _client(busy.app, busy.iqa)
    _, data = _page(client, "/iqa/samples/new?stage=interim")
    response = send(client, "/iqa/samples", {**data, "fingerprint": "stale"})
    assert response.status_code == 422
    page = text(response)
    assert "The sample was not taken" in page
    assert "decisions proposed that match the filters" in page
    again = read_form(page)
    assert again.all("stage")[-1] == "interim"  # kept in the take form
    # Taking it again from this page now works.
    retry = {**data, "fingerprint": again.all("fingerprint")[-1]}
    assert send(client, "/iqa/samples", retry).status_code == 302
