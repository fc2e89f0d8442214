"""Evidence types (content/evidence/*.yaml) parsed into validated dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portfolio.core.datafile import Record, load_yaml
from portfolio.qualifications.spec import read_id

FIELD_TYPES = ("text", "long_text")


@dataclass(frozen=True)
class SectionSpec:
    id: str
    label: str
    type: str
    prompt: str
    min_words: int
    max_words: int


@dataclass(frozen=True)
class EvidenceTypeSpec:
    id: str
    version: int
    title: str
    description: str
    sections: tuple[SectionSpec, ...]
    path: str

    def section_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections)


def _section(r: Record, seen: set[str]) -> SectionSpec:
    r.allow_keys("id", "label", "type", "prompt", "min_words", "max_words")
    kind = r.text("type")
    if kind not in FIELD_TYPES:
        raise r.error(f"type must be one of {', '.join(FIELD_TYPES)}", "type")
    section_id = read_id(r, seen)
    if not section_id.isidentifier():
        raise r.error("a section id must be a plain word (letters, digits, _)", "id")
    low, high = r.integer("min_words", 1), r.integer("max_words", 2000)
    if low > high:
        raise r.error("min_words is larger than max_words", "min_words")
    return SectionSpec(
        id=section_id,
        label=r.text("label"),
        type=kind,
        prompt=r.text("prompt"),
        min_words=low,
        max_words=high,
    )


def parse_evidence_type(path: Path) -> EvidenceTypeSpec:
    r = load_yaml(path)
    r.allow_keys("id", "version", "title", "description", "sections")
    type_id = read_id(r, set())
    if type_id != path.stem:
        raise r.error(f"id {type_id!r} must match the file name {path.stem!r}", "id")
    seen: set[str] = set()
    return EvidenceTypeSpec(
        id=type_id,
        version=r.integer("version"),
        title=r.text("title"),
        description=r.text("description"),
        sections=tuple(_section(s, seen) for s in r.records("sections")),
        path=str(path),
    )


def load_evidence_types(directory: Path) -> dict[str, EvidenceTypeSpec]:
    specs = [parse_evidence_type(p) for p in sorted(directory.glob("*.yaml"))]
    return {s.id: s for s in specs}
