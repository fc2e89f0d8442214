"""A new evidence type added as a data file appears and works, start to submission, with no
code change: the app finds it through PORTFOLIO_CONTENT_DIR as a deployment would."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from portfolio.auth.models import Role
from portfolio.config import ROOT
from portfolio.data import DataSet, read_all
from portfolio.evidence.models import Evidence, EvidenceStatus
from portfolio.extensions import db
from tests.conftest import _reset_schema, login, make_app
from tests.evidence.test_forms import NAME, _save, _start
from tests.factories import Factory
from tests.helpers import read_form, send, text, version_of

CALLBACK_NOTE = """\
id: customer-callback-note
version: 1
title: Customer callback note
description: A note of a follow-up call you made after putting something right.
marking_points: [pts-b.4]
sections:
  - id: called_on
    label: Date of the call
    type: date
    prompt: When did you call the customer back?
  - id: purpose
    label: Why you called
    type: choice
    prompt: What was the call for?
    options:
      - {id: refund_check, label: To check a refund had arrived}
      - {id: repair_check, label: To check a repair had worked}
  - id: happy
    label: Was the customer satisfied?
    type: yes_no
    prompt: Did they say the problem was solved?
  - id: notes
    label: What was said
    type: long_text
    prompt: Summarise the call in a few sentences.
    min_words: 5
    max_words: 100
  - id: actions
    label: Actions agreed
    type: rows
    row_label: Action
    prompt: Anything you agreed to do next.
    required: false
    columns:
      - {id: action, label: Action, type: text}
      - {id: due, label: Due by, type: date}
"""


@pytest.fixture
def callback_app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shipped_data: DataSet,
    sqlite_template: Path | None,
) -> Iterator[Flask]:
    """The app with a copy of content/ that has one more evidence type, found through
    PORTFOLIO_CONTENT_DIR exactly as a deployment would."""
    from portfolio.cli import load_data

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    (content / "evidence" / "customer-callback-note.yaml").write_text(
        CALLBACK_NOTE, encoding="utf-8"
    )
    monkeypatch.setenv("PORTFOLIO_CONTENT_DIR", str(content))
    if sqlite_template is not None:
        shutil.copyfile(sqlite_template, tmp_path / "test.sqlite3")
    app = make_app(tmp_path)
    if sqlite_template is None:
        with app.app_context():
            _reset_schema()
            load_data(shipped_data)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_new_evidence_type_added_as_a_data_file_works_with_no_code_change(
    callback_app: Flask,
) -> None:
    app = callback_app
    assert app.config["CONTENT_DIR"].endswith("content")
    assert read_all(ROOT / "rubrics", Path(app.config["CONTENT_DIR"])).errors == []
    make = Factory(app)
    user = make.learner(assessor=make.user(Role.ASSESSOR), name=NAME)
    client = app.test_client()
    login(client, user.email)

    assert ">Customer callback note</option>" in text(client.get("/evidence/"))
    evidence_id = _start(client, "customer-callback-note", "Callback about a refund")
    url = f"/evidence/{evidence_id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert "Summarise the call in a few sentences." in text(page)
    assert 'type="date"' in page.get_data(as_text=True)

    typed = {
        "called_on": "16/3/2026",
        "purpose": "refund_check",
        "happy": "yes",
        "notes": "The customer confirmed the refund had reached their card.",
        "actions-0-action": "Close the case on the returns log",
        "actions-0-due": "2026-03-17",
        "actions-1-action": "",
        "actions-1-due": "",
    }
    assert _save(client, evidence_id, typed, claims=["pts-a.4"]).status_code == 302
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None
        assert item.draft == {
            "called_on": "16/3/2026",
            "purpose": "refund_check",
            "happy": "yes",
            "notes": typed["notes"],
            "actions": [{"action": "Close the case on the returns log", "due": "2026-03-17"}],
        }
    form = read_form(client.get(url))
    assert form.value("called_on") == "16/3/2026" and form.all("purpose") == ["refund_check"]

    submit = client.get(f"/evidence/{evidence_id}/submit")
    page_text = text(submit)
    assert "16 March 2026" in page_text and "To check a refund had arrived" in page_text
    declared = send(
        client,
        f"/evidence/{evidence_id}/submit",
        {"confirm": "y", "declared_name": NAME, "version": version_of(submit)},
    )
    assert declared.status_code == 302, text(declared)
    with app.app_context():
        item = db.session.get(Evidence, evidence_id)
        assert item is not None and item.status is EvidenceStatus.SUBMITTED
        assert item.submissions[0].content["happy"] == "yes"
    record = text(client.get(f"/assessment/evidence/{evidence_id}"))
    assert "Close the case on the returns log" in record and "17 March 2026" in record
