"""The analytics' "send a revision page" form (templates/quizzes/_send.html) draws its options
once per distinct list; what it draws must stay the shared inline_select's markup exactly."""

from __future__ import annotations

from flask import Flask

SHARED = (
    '{% from "_macros/forms.html" import inline_select %}'
    "{{ inline_select(action, 'page_id', select_id, options, label, button, hidden) }}"
)
OWN = (
    '{% from "quizzes/_send.html" import send_options, send_form %}'
    "{{ send_form(action, 'page_id', select_id, send_options(options), label, button, hidden,"
    " csrf_token()) }}"
)


def test_the_send_form_is_drawn_as_inline_select_draws_it(app: Flask) -> None:
    args = {
        "action": "/quizzes/misconceptions/pts-a.m1/send?x=1&y=<2>",
        "select_id": "page-pts-a.m1",
        "options": [(3, "Rights & duties"), (12, 'A "quoted" <title>'), (40, "Plain")],
        "label": "Page to send for pts-a.m1",
        "button": "Send to 7",
        "hidden": "learners holding pts-a.m1 & more",
    }
    with app.test_request_context("/quizzes/analytics"):
        shared = app.jinja_env.from_string(SHARED).render(**args)
        own = app.jinja_env.from_string(OWN).render(**args)
    # The CSRF token is the same within one request.
    assert own == shared
    assert own.count("<option ") == 3
