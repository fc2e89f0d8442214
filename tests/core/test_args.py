"""Ids in paths and whole numbers in query strings beyond what the schema holds: a 404
(no route names such a thing) or a 400 (a malformed filter), never a 500 from the driver,
for every route with an id in its path, on both databases."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from portfolio.auth.models import Role
from portfolio.core.args import BIGGEST_ID, IdConverter
from tests.conftest import login
from tests.factories import Factory


def _with_ids(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IdConverter) for c in rule._converters.values())
    ]


def _path(rule: Rule, number: int) -> str:
    """The rule's path with every id `number` and every other part "x"."""

    def value(part: re.Match[str]) -> str:
        return str(number) if part.group("kind") == "int" else "x"

    return re.sub(r"<(?:(?P<kind>\w+)(?:\([^)]*\))?:)?\w+>", value, rule.rule)


def test_every_id_in_a_path_is_bounded(app: Flask) -> None:
    rules = _with_ids(app)
    assert len(rules) > 30  # the app's routes with ids, not none by mistake
    assert not [r.rule for r in app.url_map.iter_rules() if "<int:" in r.rule and r not in rules]


@pytest.mark.parametrize("number", [BIGGEST_ID + 1, 2**63, 10**40])
def test_an_id_no_database_could_hold_is_not_found(app: Flask, make: Factory, number: int) -> None:
    client = app.test_client()
    login(client, make.user(Role.ADMIN, Role.IQA, Role.TUTOR, Role.ASSESSOR).email)
    for rule in _with_ids(app):
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(_path(rule, number), method=method)
            assert response.status_code == 404, (rule.rule, method, response.status_code)


def test_the_biggest_id_is_looked_for_and_not_found(app: Flask, make: Factory) -> None:
    client = app.test_client()
    login(client, make.user(Role.ADMIN, Role.IQA, Role.TUTOR, Role.ASSESSOR).email)
    for rule in _with_ids(app):
        if "GET" in rule.methods:
            status = client.get(_path(rule, BIGGEST_ID)).status_code
            assert status in (403, 404), (rule.rule, status)


@pytest.mark.parametrize("value", [str(BIGGEST_ID + 1), str(-(2**70))])
def test_a_number_no_database_could_hold_is_refused(app: Flask, make: Factory, value: str) -> None:
    client = app.test_client()
    login(client, make.user(Role.TUTOR).email)
    for path in (
        "/pages/pts-b-overview/diff",
        "/quizzes/manage/questions/pts-a-rights.q1/diff",
    ):
        assert client.get(f"{path}?from={value}&to=1").status_code == 400
        assert client.get(f"{path}?from=1&to={value}").status_code == 400


@pytest.mark.parametrize("value", [str(BIGGEST_ID + 1), "99999999999999999999", "0", "-3", "x"])
def test_an_id_filter_that_names_nothing_is_ignored(app: Flask, make: Factory, value: str) -> None:
    """Filters by a person or group in a link: a value no id could be is ignored, not a 500."""
    client = app.test_client()
    login(client, make.user(Role.ADMIN, Role.IQA, Role.TUTOR).email)
    for path in (
        f"/audit/?learner_id={value}",
        f"/audit/?actor_id={value}",
        f"/quizzes/analytics?group={value}",
        f"/admin/users?assessor={value}",
    ):
        assert client.get(path).status_code in (200, 400), path
