"""The question bank's table rows written in Python (bank_html) are the markup the template's
loop wrote, character for character: the loop is kept here as it was in
templates/quizzes/manage/index.html and rendered with the app's Jinja environment
(autoescaped, its truncate and london_date filters) over rows with hostile text, a long stem,
a revision from a quiz file and an empty bank."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest
from flask import Flask

from portfolio.quizzes.bank import BankRow, QuizBank
from portfolio.quizzes.bank_html import question_rows
from portfolio.quizzes.models import QuestionStatus
from portfolio.quizzes.spec import QuestionKind

LOOP = """\
    {% for row in bank.rows %}
    {% set q = row.question %}{% set latest = row.latest %}{% set status = q.status.value %}\
{% set edit, history = addresses[q.id] %}
    {% set local = q.id[local_from:] %}
    <tr>
      <th scope="row"><span class="muted">{{ local }}</span> {{ q.stem|truncate(110) }}</th>
      <td>{{ q.kind.label }}</td>
      <td><span class="status status-{{ status }}">{{ status|capitalize }}</span></td>
      <td>{{ latest.number }}</td>
      <td>{{ 'Quiz file' if latest.author_id is none else latest.author_name }}<br>\
<span class="muted">{{ latest.created_at|london_date }}</span></td>
      <td>
        <a href="{{ edit }}">Edit<span class="visually-hidden"> question {{ local }} of \
{{ title }}</span></a> ·
        <a href="{{ history }}">History<span class="visually-hidden"> of question {{ local }} \
of {{ title }}</span></a>
      </td>
    </tr>
    {% else %}
    <tr><td colspan="6">{{ 'No questions match.' if filtered else 'No questions yet.' }}</td></tr>
    {% endfor %}"""

HOSTILE = """<script>alert("O'Brien & co")</script>"""


class Question(NamedTuple):
    """A row of the bank's statement: a question's columns and its latest revision's."""

    id: str
    quiz_id: str
    stem: str
    kind: QuestionKind
    status: QuestionStatus
    number: int
    created_at: datetime
    author_id: int | None
    author_name: str | None


def _question(n: int, **changes: Any) -> BankRow:
    row = Question(
        id=f"pts-a-law.q{n}",
        quiz_id="pts-a-law",
        stem=f"Question {n}: what may the customer ask for?",
        kind=list(QuestionKind)[n % len(QuestionKind)],
        status=list(QuestionStatus)[n % len(QuestionStatus)],
        number=n,
        # 23:30 UTC in summer is the next day in London.
        created_at=datetime(2026, 6, n, 23, 30, tzinfo=UTC),
        author_id=7,
        author_name="Tess Tutor",
    )._replace(**changes)
    return BankRow(row, row)


def _bank(*rows: BankRow, title: str = "The law & returns") -> QuizBank:
    return QuizBank(SimpleNamespace(id="pts-a-law", title=title), tuple(rows), ())


ROWS = (
    _question(1, stem=HOSTILE),
    _question(2, stem="A customer " + "returns a faulty kettle " * 10),  # truncated
    _question(3, author_id=None, author_name=None),  # a revision from a quiz file
    _question(4, author_name=HOSTILE, id=f"pts-a-law.{HOSTILE}"),
    _question(5),
)


def _addresses(bank: QuizBank) -> dict[str, tuple[str, str]]:
    return {
        r.question.id: (f"/quizzes/questions/{r.question.id}/edit", f"/h/{r.question.id}?a&b")
        for r in bank.rows
    }


@pytest.mark.parametrize("title", ["The law & returns", HOSTILE])
@pytest.mark.parametrize("filtered", [True, False])
@pytest.mark.parametrize("rows", [ROWS, ()], ids=["questions", "none"])
def test_the_rows_are_the_template_loop(
    app: Flask, title: str, filtered: bool, rows: tuple[BankRow, ...]
) -> None:
    bank = _bank(*rows, title=title)
    addresses = _addresses(bank)
    with app.app_context():
        expected = app.jinja_env.from_string(LOOP).render(
            bank=bank,
            addresses=addresses,
            title=title,
            local_from=len(bank.quiz.id) + 1,
            filtered=filtered,
        )
        drawn = question_rows(bank, addresses, filtered=filtered)
    assert f"    {drawn}" == expected
    assert HOSTILE not in drawn
    if rows:
        assert "&lt;script&gt;alert(&#34;O&#39;Brien &amp; co&#34;)&lt;/script&gt;" in drawn
        assert drawn.count("faulty kettle...<") == 1  # the long stem, cut at a word


def test_a_changed_question_is_drawn_afresh(app: Flask) -> None:
    """Rows are remembered by their values: a new revision, status or author's name is a new
    row, never the one drawn before."""
    first = _bank(_question(1))
    changes = {"number": 2, "status": QuestionStatus.ARCHIVED, "author_name": "Tess Renamed"}
    with app.app_context():
        before = question_rows(first, _addresses(first), filtered=False)
        for name, value in changes.items():
            changed = _bank(BankRow(*[first.rows[0].question._replace(**{name: value})] * 2))
            after = question_rows(changed, _addresses(changed), filtered=False)
            assert after != before
            assert str(value.value if isinstance(value, QuestionStatus) else value) in after
