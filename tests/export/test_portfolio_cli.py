"""`portfolio export` writes a learner's pack, and says clearly what it could not find."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from portfolio.cli import export_command
from tests.export.support import People, build_people, page_texts, read_pdf
from tests.factories import Factory


@pytest.fixture
def world(app: Flask, make: Factory) -> People:
    return build_people(app, make)


def _run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(export_command, list(args))
    return result.exit_code, result.output


def test_writes_the_pdf_and_reports_pages_and_size(
    app: Flask, world: People, tmp_path: Path
) -> None:
    out = tmp_path / "pack.pdf"
    code, output = _run(app, "--learner", world.learner, "--out", str(out), "--pdfa")
    assert code == 0, output
    reader = read_pdf(out.read_bytes())
    assert f"{len(reader.pages)} page(s), {out.stat().st_size:,} bytes" in output
    assert "portfolio.json" in reader.attachments


def test_an_element_and_an_eqa_sample(app: Flask, world: People, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    code, output = _run(app, "--learner", world.learner, "--out", str(out), "--element", "pts-b")
    assert code == 0, output
    whole = " ".join(page_texts(read_pdf(out.read_bytes())))
    assert "Sofa complaint" in whole and "Kettle refund" not in whole
    code, output = _run(app, "--learner", world.learner, "--out", str(out), "--eqa")
    assert code == 0, output
    whole = " ".join(page_texts(read_pdf(out.read_bytes())))
    assert "Toaster exchange" in whole and "Sofa complaint" not in whole


def test_an_unknown_learner_fails_and_writes_nothing(
    app: Flask, world: People, tmp_path: Path
) -> None:
    out = tmp_path / "pack.pdf"
    code, output = _run(app, "--learner", "nobody@example.org", "--out", str(out))
    assert code == 1
    assert "No learner with email nobody@example.org." in output
    assert not out.exists()


def test_an_unknown_element_fails_and_writes_nothing(
    app: Flask, world: People, tmp_path: Path
) -> None:
    out = tmp_path / "pack.pdf"
    args = ("--learner", world.learner, "--out", str(out), "--element", "no-such")
    code, output = _run(app, *args)
    assert code == 1
    assert "No element with id no-such." in output
    assert not out.exists()


def test_an_assessor_is_not_a_learner(app: Flask, world: People, tmp_path: Path) -> None:
    code, output = _run(app, "--learner", world.assessor, "--out", str(tmp_path / "x.pdf"))
    assert code == 1 and "No learner with email" in output
