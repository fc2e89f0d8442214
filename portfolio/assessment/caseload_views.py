"""The caseload pages against the turnaround clock: an assessor's queue (and, for IQAs and
admins, every assessor's load and any assessor's queue), and the IQAs' list of overdue
decisions. A page at a time, filtered and counted in SQL. Routes on the assessment blueprint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from portfolio.assessment import caseload, caseload_html
from portfolio.assessment.caseload import NO_GROUP, QueueFilter
from portfolio.assessment.turnaround import ClockState
from portfolio.assessment.views import bp
from portfolio.auth.models import Cohort, Role, User
from portfolio.core.links import link_format
from portfolio.core.paging import page_arg, text_arg
from portfolio.core.security import roles_required
from portfolio.evidence import services as evidence_services
from portfolio.extensions import db
from portfolio.qualifications.models import Element, Unit

OVERSEERS = (Role.IQA, Role.ADMIN)
# "Overdue by at least" choices, in working days.
LATE_BY = (2, 5, 10, 20)


def row_links() -> dict[str, str]:
    """The links of the caseload and overdue tables' rows (`links.record.format(id)`)."""
    return {
        "mark": link_format("assessment.mark", "submission_id"),
        "record": link_format("assessment.record", "evidence_id"),
        "learner": link_format("assessment.learner", "learner_id"),
        "queue": link_format("assessment.queue", "assessor"),
    }


@dataclass
class _Args:
    """The filters of a caseload page read from the query string; a value that names nothing
    is dropped with a message, never an error."""

    messages: list[str] = field(default_factory=list)

    def choice(self, name: str, allowed: dict[str, object], what: str) -> object | None:
        raw = request.args.get(name, "").strip()
        if not raw:
            return None
        if raw in allowed:
            return allowed[raw]
        self.messages.append(f"There is no {what} “{raw[:40]}”: showing every {what}.")
        return None

    def group(self, cohorts: Sequence[Any]) -> int | str | None:
        groups: dict[str, object] = {str(g.id): g.id for g in cohorts}
        groups[NO_GROUP] = NO_GROUP
        found = self.choice("group", groups, "learner group")
        return found if isinstance(found, int | str) else None

    def assessor(self, assessors: list[User]) -> User | None:
        found = self.choice("assessor", {str(a.id): a for a in assessors}, "assessor")
        return found if isinstance(found, User) else None


@dataclass(frozen=True)
class _Choices:
    """What the filters offer, read once for both checking the query string and the form:
    elements (id, title) in the qualification's order and learner groups (id, name) by name,
    as qualifications.list_elements and accounts.list_cohorts order them, columns only."""

    elements: Sequence[Any]
    groups: Sequence[Any]


_ELEMENTS = (
    select(Element.id, Element.title)
    .join(Unit, Unit.id == Element.unit_id)
    .order_by(Unit.position, Element.position)
)
_GROUPS = select(Cohort.id, Cohort.name).order_by(Cohort.name)


def _choices() -> _Choices:
    """The filters' choices, read on the session's connection: columns only, so the ORM's
    result machinery is skipped (a GET has nothing to flush)."""
    connection = db.session.connection()
    return _Choices(connection.execute(_ELEMENTS).all(), connection.execute(_GROUPS).all())


def _common(args: _Args, choices: _Choices, *, states: bool) -> QueueFilter:
    state = args.choice("state", {s.value: s for s in ClockState}, "turnaround state")
    elements: dict[str, object] = {e.id: e.id for e in choices.elements}
    return QueueFilter(
        learner=text_arg("learner"),
        element_id=str(args.choice("element", elements, "element") or "") or None,
        type_id=str(
            args.choice("type", {t: t for t in evidence_services.evidence_types()}, "evidence type")
            or ""
        )
        or None,
        state=state if states and isinstance(state, ClockState) else None,
        group=args.group(choices.groups),
    )


@bp.get("/queue")
@roles_required(Role.ASSESSOR, *OVERSEERS)
def queue() -> str:
    """An assessor's own queue, oldest first; IQAs and admins see every assessor's load and
    may open any assessor's queue (?assessor=). An assessor's ?assessor= is ignored: they see
    their own."""
    args = _Args()
    overseer = current_user.has_role(*OVERSEERS)
    assessors = list(caseload.assessors()) if overseer else []
    chosen = args.assessor(assessors) if overseer else None
    own = current_user if current_user.has_role(Role.ASSESSOR) else None
    viewing: User | None = chosen or own
    choices = _choices()
    where = _common(args, choices, states=True)
    links = row_links()
    mine = viewing is not None and viewing.id == current_user.id
    page = learners = None
    queue_rows = learner_rows = None
    counts: dict[ClockState, int] = {}
    if viewing is not None:
        where = replace(where, assessor_id=viewing.id)
        page, counts = caseload.queue_and_counts(where, page_arg())
        learners = caseload.learner_loads(viewing, page_arg("learners_page"))
        # The two tables' rows are written in Python (caseload_html): as Jinja loops they
        # were a third of the page's time.
        queue_rows = caseload_html.queue_rows(
            page.items, links["mark"] if mine else links["record"], by_evidence=not mine
        )
        learner_rows = caseload_html.learner_rows(learners.items, links["learner"])
    return render_template(
        "assessment/queue.html",
        viewing=viewing,
        own=mine,
        items=page,
        queue_rows=queue_rows,
        counts=counts,
        learners=learners,
        learner_rows=learner_rows,
        loads=caseload.assessor_loads(page_arg("assessors_page")) if overseer else None,
        unassigned=caseload.unassigned_waiting() if overseer else 0,
        assessors=assessors,
        elements=choices.elements,
        types=sorted(evidence_services.evidence_types().values(), key=lambda t: t.title),
        groups=choices.groups,
        states=list(ClockState),
        where=where,
        messages=args.messages,
        NO_GROUP=NO_GROUP,
        links=links,
    )


def _late_by(args: _Args) -> int | None:
    found = args.choice("late", {str(n): n for n in LATE_BY}, "lateness")
    return found if isinstance(found, int) else None


@bp.get("/overdue")
@roles_required(*OVERSEERS)
def overdue() -> str:
    """Every decision past its due date, most overdue first, filtered by assessor (or nobody
    assigned), learner group, element, learner and how late."""
    args = _Args()
    assessors = list(caseload.assessors())
    unassigned = request.args.get("assessor") == NO_GROUP
    chosen = None if unassigned else args.assessor(assessors)
    choices = _choices()
    where = _common(args, choices, states=False)
    where = replace(
        where,
        assessor_id=chosen.id if chosen else None,
        unassigned=unassigned,
        late_by=_late_by(args),
    )
    return render_template(
        "assessment/overdue.html",
        items=caseload.overdue_page(where, page_arg()),
        assessors=assessors,
        elements=choices.elements,
        groups=choices.groups,
        late_by=LATE_BY,
        where=where,
        messages=args.messages,
        NO_GROUP=NO_GROUP,
        links=row_links(),
        filtered=any(
            request.args.get(k) for k in ("assessor", "group", "element", "late", "learner")
        ),
    )
