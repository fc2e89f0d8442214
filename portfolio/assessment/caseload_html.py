"""The body rows of the caseload page's two tables (templates/assessment/queue.html), written
in Python: a Jinja row of the queue cost about 10 us at the large bench centre (twenty-odd
outputs, each escaped and yielded up through the base template) and a learner's row 6; here
2-3 and 1. The markup, whitespace included, is what the template's loops wrote, and every text
is escaped (markupsafe, as autoescaping did); tests/assessment/test_caseload_html.py holds both
to those loops, hostile text included."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from markupsafe import Markup, escape

from portfolio.assessment.caseload import LearnerLoad, WaitingRow
from portfolio.assessment.turnaround import Clock
from portfolio.core.localtime import format_london_date

_ATTEMPT = '<br><span class="muted">Attempt {}</span>'
_REOPENED = '<br><strong class="badge badge-reopened">Reopened by IQA</strong>'
_OVERDUE = '<strong class="overdue">{}</strong>'


@functools.lru_cache(maxsize=4096)
def _clock_cells(clock: Clock) -> str:
    """The "Decision due" and "Turnaround" cells: the same for every item with this clock.
    Remembered across requests, as caseload._clock_on remembers the clocks (immutable values):
    a page's items mostly started on days of their own, so few share cells within a page."""
    state = clock.state
    badge = ""
    if clock.stands_out:
        badge = f'<strong class="badge badge-{state}">{escape(state.label)}</strong> '
    return (
        f"<td>{escape(clock.due_text)}</td>\n    <td>{badge}{escape(clock.capitalised_words)}</td>"
    )


def queue_rows(items: Sequence[WaitingRow], link: str, *, by_evidence: bool = False) -> Markup:
    """The queue's rows. `link` is a format string of an item's link given its submission's id
    (the assessor's own queue: marking), or its evidence's when `by_evidence` (another's
    queue: the assessment record)."""
    href = str(escape(link))  # a route's path: only the id ("{}") is put in per row
    elements: dict[str, str] = {}  # a page's items share a few elements: each escaped once
    out = []
    for item in items:
        clock = item.clock
        element = elements.get(item.element_title)
        if element is None:
            element = elements[item.element_title] = str(escape(item.element_title))
        target = item.evidence_id if by_evidence else item.submission_id
        attempt = _ATTEMPT.format(item.number) if item.number > 1 else ""
        out.append(
            f'\n  \n  <tr class="clock-{clock.state}">\n'
            f'    <th scope="row"><a href="{href.format(target)}">{escape(item.title)}</a>\n'
            f"      {attempt}\n"
            f"      {_REOPENED if item.reopened else ''}</th>\n"
            f"    <td>{escape(item.learner.name)}</td>\n"
            f"    <td>{element}</td>\n"
            # A London date: a day's number, a month's name and a year, nothing to escape.
            f"    <td>{format_london_date(item.submitted_at)}</td>\n"
            f"    {_clock_cells(clock)}\n"
            f"  </tr>\n  "
        )
    return Markup("".join(out))  # noqa: S704 - every text above is escaped


def learner_rows(loads: Sequence[LearnerLoad], link: str) -> Markup:
    """The rows of the assessor's learners with their counts; `link` is a format string of a
    learner's page given their id."""
    href = str(escape(link))
    out = []
    for load in loads:
        overdue = _OVERDUE.format(load.overdue) if load.overdue else "0"
        out.append(
            f'\n  <tr>\n    <th scope="row"><a href="{href.format(load.learner.id)}">'
            f"{escape(load.learner.name)}</a></th>\n"
            f"    <td>{load.waiting}</td>\n"
            f"    <td>{overdue}</td>\n"
            f"    <td>{load.referred}</td>\n"
            f"    <td>{load.accepted}</td>\n"
            f"  </tr>\n  "
        )
    return Markup("".join(out))  # noqa: S704 - every text above is escaped
