"""Row links from one url_for (core/links.py) are the text url_for gives for each id."""

from __future__ import annotations

from flask import Flask, url_for

from portfolio.core.links import link_format


def test_a_link_format_is_url_for_for_any_whole_number_id(app: Flask) -> None:
    with app.test_request_context("/"):
        for endpoint, arg in (
            ("assessment.learner", "learner_id"),
            ("assessment.record", "evidence_id"),
            ("assessment.queue", "assessor"),  # a query-string argument
            ("iqa.sample", "sample_id"),
        ):
            shape = link_format(endpoint, arg)
            for n in (1, 42, 987_654_321_987, 2**63 - 1):
                assert shape.format(n) == url_for(endpoint, **{arg: n})
