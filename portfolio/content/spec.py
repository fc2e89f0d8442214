"""Revision pages on disk: Markdown files with YAML front matter, parsed into PageSpec."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from portfolio.core.datafile import DataError, parse_yaml

_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{0,79}$")
STATUSES = ("draft", "published", "archived")


@dataclass(frozen=True)
class PageSpec:
    slug: str
    title: str
    element_id: str
    status: str
    marking_points: tuple[str, ...]
    misconceptions: tuple[str, ...]
    legislation: tuple[str, ...]
    reviewed: date | None
    review_by: date | None
    body: str
    path: str


def parse_page(path: Path) -> PageSpec:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise DataError(str(path), 1, "a page must start with '---' and YAML front matter")
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise DataError(str(path), 1, "the front matter has no closing '---'")
    record = parse_yaml("".join(lines[1:end]), str(path), first_line=2)
    record.allow_keys(
        "slug",
        "title",
        "element",
        "status",
        "marking_points",
        "misconceptions",
        "legislation",
        "reviewed",
        "review_by",
    )
    slug = record.text("slug")
    if not _SLUG.match(slug):
        raise record.error("slug must be lower-case letters, digits and '-'", "slug")
    status = record.text("status", "draft")
    if status not in STATUSES:
        raise record.error(f"status must be one of {', '.join(STATUSES)}", "status")
    body = "".join(lines[end + 1 :]).strip()
    if not body:
        raise DataError(str(path), end + 1, "the page has no text after the front matter")
    reviewed, review_by = record.date("reviewed"), record.date("review_by")
    if reviewed and review_by and review_by < reviewed:
        raise record.error("review_by is before reviewed", "review_by")
    return PageSpec(
        slug=slug,
        title=record.text("title"),
        element_id=record.text("element"),
        status=status,
        marking_points=record.texts("marking_points"),
        misconceptions=record.texts("misconceptions"),
        legislation=record.texts("legislation"),
        reviewed=reviewed,
        review_by=review_by,
        body=body,
        path=str(path),
    )


def check_page_refs(
    page: PageSpec, points_by_element: dict[str, set[str]], misconceptions: set[str]
) -> None:
    """A page must belong to a known element and name only known marking points and
    misconceptions (from the rubric or a quiz file)."""
    if page.element_id not in points_by_element:
        raise DataError(page.path, 2, f"unknown element {page.element_id!r}")
    for point in page.marking_points:
        if point not in points_by_element[page.element_id]:
            raise DataError(page.path, 2, f"{point!r} is not a marking point of {page.element_id}")
    for misconception in page.misconceptions:
        if misconception not in misconceptions:
            raise DataError(page.path, 2, f"unknown misconception {misconception!r}")
