"""rubrics/*.yaml parsed once into frozen, validated dataclasses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from portfolio.core.datafile import DataError, Record, load_yaml

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


@dataclass(frozen=True)
class MarkingPointSpec:
    id: str
    text: str
    cues: tuple[str, ...]


@dataclass(frozen=True)
class MisconceptionSpec:
    id: str
    text: str


@dataclass(frozen=True)
class ElementSpec:
    id: str
    title: str
    synopsis: str
    marking_points: tuple[MarkingPointSpec, ...]
    misconceptions: tuple[MisconceptionSpec, ...]


@dataclass(frozen=True)
class UnitSpec:
    id: str
    title: str
    elements: tuple[ElementSpec, ...]


@dataclass(frozen=True)
class QualificationSpec:
    id: str
    version: int
    title: str
    units: tuple[UnitSpec, ...]
    path: str

    def elements(self) -> tuple[ElementSpec, ...]:
        return tuple(e for u in self.units for e in u.elements)


def read_id(record: Record, seen: set[str], key: str = "id") -> str:
    value = record.text(key)
    if not _ID.match(value):
        raise record.error(f"id {value!r} must be lower-case letters, digits, '.' or '-'", key)
    if value in seen:
        raise record.error(f"id {value!r} is used twice", key)
    seen.add(value)
    return value


def _marking_point(r: Record, seen: set[str]) -> MarkingPointSpec:
    r.allow_keys("id", "text", "cues")
    return MarkingPointSpec(id=read_id(r, seen), text=r.text("text"), cues=r.texts("cues"))


def _misconception(r: Record, seen: set[str]) -> MisconceptionSpec:
    r.allow_keys("id", "text")
    return MisconceptionSpec(id=read_id(r, seen), text=r.text("text"))


def _element(r: Record, seen: set[str]) -> ElementSpec:
    r.allow_keys("id", "title", "synopsis", "marking_points", "misconceptions")
    return ElementSpec(
        id=read_id(r, seen),
        title=r.text("title"),
        synopsis=r.text("synopsis"),
        marking_points=tuple(_marking_point(m, seen) for m in r.records("marking_points")),
        misconceptions=tuple(
            _misconception(m, seen) for m in r.records("misconceptions", required=False)
        ),
    )


def _unit(r: Record, seen: set[str]) -> UnitSpec:
    r.allow_keys("id", "title", "elements")
    return UnitSpec(
        id=read_id(r, seen),
        title=r.text("title"),
        elements=tuple(_element(e, seen) for e in r.records("elements")),
    )


def parse_rubric(path: Path, seen: set[str] | None = None) -> QualificationSpec:
    """Parse one rubric file; `seen` carries ids across files so none is used twice."""
    seen = set() if seen is None else seen
    r = load_yaml(path)
    r.allow_keys("id", "version", "title", "units")
    return QualificationSpec(
        id=read_id(r, seen),
        version=r.integer("version"),
        title=r.text("title"),
        units=tuple(_unit(u, seen) for u in r.records("units")),
        path=str(path),
    )


def load_rubrics(directory: Path) -> list[QualificationSpec]:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DataError(str(directory), 0, "no rubric files (*.yaml) found")
    seen: set[str] = set()
    return [parse_rubric(path, seen) for path in files]
