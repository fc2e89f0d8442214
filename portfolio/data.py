"""Every data file the app ships, read and cross-checked in one place for `check` and `init`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from portfolio.assessment.spec import CALENDAR_FILE, CalendarSpec, parse_calendar
from portfolio.content.spec import PageSpec, check_page_refs, parse_page
from portfolio.core.datafile import DataError
from portfolio.evidence.spec import EvidenceTypeSpec, check_evidence_refs, parse_evidence_type
from portfolio.qualifications.spec import QualificationSpec, load_rubrics
from portfolio.quizzes.spec import QuizSpec, check_quiz_refs, parse_quiz


@dataclass
class DataSet:
    qualifications: list[QualificationSpec] = field(default_factory=list)
    pages: list[PageSpec] = field(default_factory=list)
    quizzes: list[QuizSpec] = field(default_factory=list)
    evidence_types: list[EvidenceTypeSpec] = field(default_factory=list)
    calendar: CalendarSpec | None = None
    errors: list[DataError] = field(default_factory=list)

    def files(self) -> int:
        return (
            len(self.qualifications)
            + len(self.pages)
            + len(self.quizzes)
            + len(self.evidence_types)
            + (self.calendar is not None)
        )


def read_pages(
    directory: Path, points: dict[str, set[str]], misconceptions: set[str]
) -> tuple[list[PageSpec], list[DataError]]:
    """Every page file, each checked on its own: a bad file is reported and left out whole."""
    pages: list[PageSpec] = []
    errors: list[DataError] = []
    slugs: dict[str, str] = {}
    for path in sorted(directory.glob("*.md")):
        try:
            page = parse_page(path)
            check_page_refs(page, points, misconceptions)
            if page.slug in slugs:
                raise DataError(page.path, 2, f"slug {page.slug!r} is used by {slugs[page.slug]}")
            slugs[page.slug] = page.path
            pages.append(page)
        except DataError as exc:
            errors.append(exc)
    return pages, errors


def read_all(rubrics_dir: Path, content_dir: Path) -> DataSet:
    """Parse and cross-check every file, collecting each error rather than stopping at the first."""
    data = DataSet()
    try:
        data.qualifications = load_rubrics(rubrics_dir)
    except DataError as exc:
        data.errors.append(exc)
        return data  # everything else refers to the rubrics
    points = {
        e.id: {p.id for p in e.marking_points} for q in data.qualifications for e in q.elements()
    }
    for path in sorted((content_dir / "quizzes").glob("*.yaml")):
        try:
            quiz = parse_quiz(path)
            check_quiz_refs(quiz, data.qualifications)
            data.quizzes.append(quiz)
        except DataError as exc:
            data.errors.append(exc)
    misconceptions = {
        m.id for q in data.qualifications for e in q.elements() for m in e.misconceptions
    }
    misconceptions |= {m.id for quiz in data.quizzes for m in quiz.misconceptions}
    pages, page_errors = read_pages(content_dir / "pages", points, misconceptions)
    data.pages, data.errors = pages, data.errors + page_errors
    for path in sorted((content_dir / "evidence").glob("*.yaml")):
        try:
            evidence_type = parse_evidence_type(path)
            check_evidence_refs(evidence_type, data.qualifications)
            data.evidence_types.append(evidence_type)
        except DataError as exc:
            data.errors.append(exc)
    if not data.evidence_types and not data.errors:
        data.errors.append(DataError(str(content_dir / "evidence"), 0, "no evidence types"))
    calendar = content_dir / CALENDAR_FILE
    try:
        if not calendar.exists():
            raise DataError(
                str(calendar), 0, "missing: without it the turnaround clock counts bank holidays"
            )
        data.calendar = parse_calendar(calendar)
    except DataError as exc:
        data.errors.append(exc)
    return data
