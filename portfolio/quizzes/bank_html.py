"""The body rows of the question bank's tables (templates/quizzes/manage/index.html), written
in Python, as the caseload's are (assessment/caseload_html.py): a Jinja row cost about 60 us
at the large bench centre (forty-odd outputs, each escaped and yielded up through the base
template), two thirds of the page. The markup, whitespace included, is what the template's
loop wrote, and every text is escaped (markupsafe, as autoescaping did);
tests/quizzes/test_bank_html.py holds it to that loop, hostile text included."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from flask import current_app
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from portfolio.core.localtime import format_london_date
from portfolio.quizzes.bank import QuizBank

# The bank shows this much of a question's stem (Jinja's truncate, its leeway and ending).
STEM_SHOWN = 110

# The blank lines are where the template's loop had its {% set %} lines.
_ROW = (
    "\n    " * 3
    + """<tr>
      <th scope="row"><span class="muted">{local}</span> {stem}</th>
      <td>{kind}</td>
      <td><span class="status status-{status}">{status_label}</span></td>
      <td>{number}</td>
      <td>{author}<br><span class="muted">{edited}</span></td>
      <td>
        <a href="{edit}">Edit<span class="visually-hidden"> question {local} of {title}\
</span></a> ·
        <a href="{history}">History<span class="visually-hidden"> of question {local} of \
{title}</span></a>
      </td>
    </tr>
    """
)
_NONE = """
    <tr><td colspan="6">{}</td></tr>
    """


def question_rows(
    bank: QuizBank, addresses: Mapping[str, tuple[str, str]], *, filtered: bool
) -> Markup:
    """The rows of one quiz's table: a question a row, with its (edit, history) addresses."""
    title = escape(bank.quiz.title)
    local_from = len(bank.quiz.id) + 1
    parts = [
        _row(row.question, *addresses[row.question.id], title, local_from) for row in bank.rows
    ]
    if not parts:
        parts.append(_NONE.format("No questions match." if filtered else "No questions yet."))
    return Markup("".join(parts))  # noqa: S704 - every text in the rows is escaped


@functools.lru_cache(maxsize=4096)
def _row(question: Any, edit: str, history: str, title: Markup, local_from: int) -> str:
    """One row, from nothing but its arguments: remembered across requests and tutors (a
    question's row changes only with a new revision, status or author's name, each of which
    is one of its values), so a page of the bank is mostly look-ups. `question` is a row of
    the bank's statement: its columns and its latest revision's, hashed by value."""
    status = escape(question.status.value)
    return _ROW.format(
        local=escape(question.id[local_from:]),
        stem=escape(do_truncate(current_app.jinja_env, question.stem, STEM_SHOWN)),
        kind=escape(question.kind.label),
        status=status,
        status_label=escape(question.status.value.capitalize()),
        number=escape(question.number),
        author=escape("Quiz file" if question.author_id is None else question.author_name),
        edited=escape(format_london_date(question.created_at)),
        edit=escape(edit),
        history=escape(history),
        title=title,
    )
