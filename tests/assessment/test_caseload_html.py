"""The caseload page's table rows written in Python (caseload_html) are the markup the
template's loops wrote, character for character: the loops are kept here as they were in
templates/assessment/queue.html and rendered with the app's Jinja environment (autoescaped,
its london_date filter) over rows with every kind of cell and hostile text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask

from portfolio.assessment import caseload_html
from portfolio.assessment.caseload import LearnerLoad, Named, WaitingRow
from portfolio.assessment.turnaround import Clock, ClockState

QUEUE_LOOP = """\
  {% for item in items %}
  {# item: a caseload.WaitingRow #}{% set clock = item.clock %}{% set state = clock.state %}
  <tr class="clock-{{ state }}">
    <th scope="row">{% if own %}<a href="{{ links.mark.format(item.submission_id) }}">\
{{ item.title }}</a>{% else %}<a href="{{ links.record.format(item.evidence_id) }}">\
{{ item.title }}</a>{% endif %}
      {% if item.number > 1 %}<br><span class="muted">Attempt {{ item.number }}</span>{% endif %}
      {% if item.reopened %}<br><strong class="badge badge-reopened">Reopened by IQA</strong>\
{% endif %}</th>
    <td>{{ item.learner.name }}</td>
    <td>{{ item.element_title }}</td>
    <td>{{ item.submitted_at|london_date }}</td>
    <td>{{ clock.due_text }}</td>
    <td>{% if clock.stands_out %}<strong class="badge badge-{{ state }}">{{ state.label }}\
</strong> {% endif %}{{ clock.capitalised_words }}</td>
  </tr>
  {% endfor %}"""

LEARNER_LOOP = """\
  {% for load in loads %}
  <tr>
    <th scope="row"><a href="{{ links.learner.format(load.learner.id) }}">\
{{ load.learner.name }}</a></th>
    <td>{{ load.waiting }}</td>
    <td>{% if load.overdue %}<strong class="overdue">{{ load.overdue }}</strong>{% else %}0\
{% endif %}</td>
    <td>{{ load.referred }}</td>
    <td>{{ load.accepted }}</td>
  </tr>
  {% endfor %}"""

LINKS = {
    "mark": "/assessment/submissions/{}",
    "record": "/assessment/evidence/{}",
    "learner": "/assessment/learners/{}",
}
HOSTILE = """<script>alert("O'Brien & co")</script>"""


def _row(n: int, clock: Clock, **changes: Any) -> WaitingRow:
    row = WaitingRow(
        submission_id=100 + n,
        evidence_id=200 + n,
        title=f"Item {n}",
        number=1,
        # 23:30 UTC in summer is the next day in London.
        submitted_at=datetime(2026, 6, 1 + n, 23, 30, tzinfo=UTC),
        learner=Named(300 + n, f"Learner {n}"),
        element_title="Post-transaction service: returns",
        assessor=None,
        clock=clock,
        reopened=False,
    )
    return row._replace(**changes)


LATE = Clock(date(2026, 6, 2), ClockState.OVERDUE, 1)
ROWS = [
    _row(1, LATE, title=HOSTILE, number=2),
    _row(2, Clock(date(2026, 6, 3), ClockState.OVERDUE, 12), learner=Named(9, HOSTILE)),
    _row(3, Clock(date(2026, 6, 4), ClockState.DUE_SOON, 0), reopened=True, number=3),
    _row(4, Clock(date(2026, 6, 5), ClockState.DUE_SOON, 1), element_title=HOSTILE),
    _row(5, Clock(date(2026, 6, 9), ClockState.ON_TIME, 4)),
    # The first row's clock, and one equal to it: their cells are remembered.
    _row(6, LATE, element_title=HOSTILE, reopened=True),
    _row(7, Clock(date(2026, 6, 2), ClockState.OVERDUE, 1)),
]


@pytest.mark.parametrize("own", [True, False], ids=["own queue", "another's queue"])
def test_the_queue_rows_are_the_template_loops(app: Flask, own: bool) -> None:
    expected = app.jinja_env.from_string(QUEUE_LOOP).render(items=ROWS, own=own, links=LINKS)
    link = LINKS["mark"] if own else LINKS["record"]
    drawn = caseload_html.queue_rows(ROWS, link, by_evidence=not own)
    assert f"  {drawn}" == expected
    assert HOSTILE not in drawn
    assert "&lt;script&gt;alert(&#34;O&#39;Brien &amp; co&#34;)&lt;/script&gt;" in drawn


def test_the_learner_rows_are_the_template_loop(app: Flask) -> None:
    loads = [
        LearnerLoad(Named(1, "Lily Learner"), 3, 0, 1, 12),
        LearnerLoad(Named(2, HOSTILE), 5, 2, 0, 0),
        LearnerLoad(Named(3, "Ömer O'Brien"), 0, 0, 0, 1),
    ]
    expected = app.jinja_env.from_string(LEARNER_LOOP).render(loads=loads, links=LINKS)
    drawn = caseload_html.learner_rows(loads, LINKS["learner"])
    assert f"  {drawn}" == expected
    assert HOSTILE not in drawn


def test_no_rows_draw_nothing(app: Flask) -> None:
    assert caseload_html.queue_rows([], LINKS["mark"]) == ""
    assert caseload_html.learner_rows([], LINKS["learner"]) == ""
