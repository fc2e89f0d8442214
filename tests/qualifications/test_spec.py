"""Rubric files: the shipped one is complete; a bad one is reported as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio.config import ROOT
from portfolio.core.datafile import DataError
from portfolio.data import DataSet
from portfolio.qualifications.spec import load_rubrics, parse_rubric

SEEDS = ROOT.parent / "shared" / "seeds"


def test_every_shipped_data_file_loads(shipped_data: DataSet) -> None:
    assert shipped_data.errors == []
    assert len(shipped_data.qualifications) == 1
    assert {"pts-a-rights", "pts-b-resolution"} <= {q.id for q in shipped_data.quizzes}
    assert sum(len(q.questions) for q in shipped_data.quizzes) >= 40
    assert {"pts-a-overview", "pts-b-overview"} <= {p.slug for p in shipped_data.pages}
    assert {t.id for t in shipped_data.evidence_types} == {
        "complaint-handling-record",
        "feedback-review",
        "reflective-account",
        "return-authorisation",
        "service-interaction-log",
    }


def test_every_examiner_marking_point_of_both_seeds_is_a_marking_point(
    shipped_data: DataSet,
) -> None:
    elements = shipped_data.qualifications[0].elements()
    assert [len(e.marking_points) for e in elements] == [5, 6]
    if SEEDS.exists():  # the seeds sit beside the repository in the workplace and in CI
        for seed, element in zip(sorted(SEEDS.glob("*.txt")), elements, strict=True):
            text = seed.read_text(encoding="utf-8")
            points = text.split("Examiner Marking Points", 1)[1].strip().splitlines()
            assert len([p for p in points if p.strip().startswith("-")]) == len(
                element.marking_points
            )


def test_every_misconception_of_both_seeds_is_recorded(shipped_data: DataSet) -> None:
    elements = shipped_data.qualifications[0].elements()
    assert [len(e.misconceptions) for e in elements] == [5, 4]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


GOOD = """\
id: q
version: 1
title: Q
units:
  - id: u
    title: U
    elements:
      - id: e
        title: E
        synopsis: S
        marking_points:
          - id: e.1
            text: Point
"""


def test_a_good_file_parses(tmp_path: Path) -> None:
    spec = parse_rubric(_write(tmp_path, GOOD))
    assert spec.elements()[0].marking_points[0].id == "e.1"


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("version: 1", "version: one"), 2, "'version' must be a whole number"),
        (
            ("          - id: e.1\n", "          - id: e.1\n            colour: red\n"),
            13,
            "unknown key 'colour'",
        ),
        (("            text: Point\n", ""), 12, "'text' is required"),
        (("      - id: e\n", "      - id: u\n"), 8, "id 'u' is used twice"),
        (("title: Q\n", "title: [unclosed\n"), 3, "not valid YAML"),
        (
            ("        synopsis: S\n", "        synopsis: S\n        synopsis: T\n"),
            11,
            "duplicate key 'synopsis'",
        ),
        (("id: q\n", "id: Bad Id\n"), 1, "must be lower-case"),
    ],
)
def test_a_bad_file_names_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(DataError) as caught:
        parse_rubric(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no rubric files"):
        load_rubrics(tmp_path)
