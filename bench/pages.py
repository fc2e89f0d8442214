"""The pages the web benchmark measures, and whom it signs in as to see them: picked from the
generated centre with SQL (the assessor with the biggest caseload, the learner holding the most
misconceptions, ...), so the heaviest real case of each page is the one timed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from portfolio.auth.models import Role, User, UserRole
from portfolio.evidence.models import Evidence
from portfolio.extensions import db
from portfolio.quizzes.models import HeldMisconception

SET_ASIDE = ("bench-export-learner@example.org", "bench-export-assessor@example.org")
# The targets: p95 at most this many times the keyset baseline's p95.
PLAIN, ANALYTICAL = 4.0, 10.0


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # a key of Picks.people
    path: str
    target: float = PLAIN
    # A whole-centre download, whose target is its own (issue 12): time linear in learners and
    # memory that does not grow, judged by bench/csv_stream.py. Its p95 here is for the record.
    linear: bool = False


@dataclass(frozen=True)
class Picks:
    """Whom to sign in as (key -> (user id, email)), and the ids the page URLs need."""

    people: dict[str, tuple[int, str]]
    learner: int  # the learner with the most evidence
    group: int | None  # the largest learner group
    learner_name: str = ""


def _top(column: Any, *where: Any) -> int | None:
    found = db.session.execute(
        select(column, func.count().label("n"))
        .where(column.is_not(None), column.not_in(_aside()), *where)
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(1)
    ).first()
    return None if found is None else int(found[0])


def _aside() -> Any:
    """The people bench/interference.py adds for its export: never a page's chosen person."""
    return select(User.id).where(User.email.in_(SET_ASIDE))


def _with_role(role: Role) -> int:
    found = db.session.scalar(
        select(func.min(UserRole.user_id))
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == role, User.active.is_(True), User.email.not_in(SET_ASIDE))
    )
    if found is None:
        raise RuntimeError(f"the database has no active {role.label.lower()}")
    return int(found)


def choose() -> Picks:
    """Picks the people and ids from the database of the current app context."""
    assessor = _top(User.assessor_id) or _with_role(Role.ASSESSOR)
    learner = _top(Evidence.learner_id) or _with_role(Role.LEARNER)
    holder = _top(HeldMisconception.user_id, HeldMisconception.cleared_at.is_(None)) or learner
    ids = {
        "admin": _with_role(Role.ADMIN),
        "tutor": _with_role(Role.TUTOR),
        "iqa": _with_role(Role.IQA),
        "assessor": assessor,
        "learner": learner,
        "holder": holder,
    }
    emails = dict(
        db.session.execute(select(User.id, User.email).where(User.id.in_(ids.values()))).all()
    )
    return Picks(
        people={key: (uid, emails[uid]) for key, uid in ids.items()},
        learner=learner,
        group=_top(User.cohort_id),
        learner_name=db.session.scalar(select(User.name).where(User.id == learner)) or "",
    )


def pages(picks: Picks) -> list[Page]:
    """The issue's table first, then every other main page."""
    today = datetime.now(UTC).date()
    since = (today - timedelta(days=90)).isoformat()
    group = f"&group={picks.group}" if picks.group is not None else ""
    return [
        Page("Quiz analytics", "tutor", "/quizzes/analytics", ANALYTICAL),
        Page("Audit trail, whole", "iqa", "/audit/", ANALYTICAL),
        # As the page links it once the learner is picked from the name search.
        Page(
            "Audit trail, one learner",
            "iqa",
            "/audit/?" + urlencode({"learner": picks.learner_name, "learner_id": picks.learner}),
            ANALYTICAL,
        ),
        Page(
            "IQA sample proposal, 90 days",
            "iqa",
            f"/iqa/samples/new?since={since}&until={today.isoformat()}",
            ANALYTICAL,
        ),
        Page("IQA home (overdue list)", "iqa", "/iqa/"),
        Page(
            "Cohort tracking, one group",
            "iqa",
            f"/assessment/cohort?learners=all{group}",
            ANALYTICAL,
        ),
        Page("Cohort tracking, all learners", "iqa", "/assessment/cohort?learners=all", ANALYTICAL),
        Page(
            "Cohort CSV, all learners",
            "iqa",
            "/assessment/cohort.csv?learners=all",
            ANALYTICAL,
            linear=True,
        ),
        Page("Admin users", "admin", "/admin/users"),
        Page("My misconceptions", "holder", "/quizzes/misconceptions"),
        Page("Assessor caseload", "assessor", "/assessment/queue"),
        Page("Dashboard, admin", "admin", "/"),
        Page("Dashboard, tutor", "tutor", "/"),
        Page("Dashboard, assessor", "assessor", "/"),
        Page("Dashboard, IQA", "iqa", "/"),
        Page("Dashboard, learner", "learner", "/"),
        Page("Question bank", "tutor", "/quizzes/manage"),
        Page("Export jobs", "assessor", "/export/jobs"),
        Page("IQA sampling plans", "iqa", "/iqa/plans"),
        Page("Evidence list (learner)", "learner", "/evidence/"),
        Page("One learner's tracking", "iqa", f"/assessment/learners/{picks.learner}"),
    ]
