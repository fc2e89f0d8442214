"""Evidence content as labelled text, and what changed between two submitted attempts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portfolio.content.diff import WordDiff, diff_words
from portfolio.core.localtime import london
from portfolio.evidence.display import display_values
from portfolio.evidence.models import Submission
from portfolio.evidence.spec import EvidenceTypeSpec
from portfolio.qualifications.models import MarkingPoint

FieldText = tuple[str, str, str]  # (path, label, text)


def saved_label(at: datetime) -> str:
    # Times are shown in UK time (Europe/London), as every page shows them.
    return f"Saved at {london(at):%H:%M}"


def _walk(path: str, label: str, value: Any) -> list[FieldText]:
    """A value no section describes any more, as text: kept, so nothing signed goes unseen."""
    if value is None:
        return [(path, label, "")]
    if isinstance(value, str):
        return [(path, label, value)]
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return [(path, label, "\n".join(value))]
        texts: list[FieldText] = []
        for n, row in enumerate(value, start=1):
            if isinstance(row, Mapping):
                for key, cell in row.items():
                    texts.extend(_walk(f"{path}[{n - 1}].{key}", f"{label}, row {n}: {key}", cell))
            else:
                texts.extend(_walk(f"{path}[{n - 1}]", f"{label}, item {n}", row))
        return texts
    return [(path, label, str(value))]


def field_texts(spec: EvidenceTypeSpec, content: Mapping[str, Any]) -> list[FieldText]:
    """Every value of `content` as (path, label, text), in form order, shown as a reader sees
    it (choice labels, dates, amounts): a list one item a line, a table one entry per cell, so
    two versions line up cell by cell. Values a newer spec no longer has are kept at the end
    under their ids: an old attempt still shows all that was signed."""
    texts: list[FieldText] = []
    for shown in display_values(spec, content):
        if shown.kind == "list":
            texts.append((shown.id, shown.label, "\n".join(shown.items)))
        elif shown.kind == "table":
            for n, (name, cells) in enumerate(shown.rows):
                texts.extend(
                    (f"{shown.id}[{n}].{header}", f"{shown.label}, {name}: {header}", cell)
                    for header, cell in zip(shown.headers, cells, strict=False)
                )
        else:
            texts.append((shown.id, shown.label, shown.text))
    known = set(spec.section_ids())
    for key, value in content.items():
        if key not in known:
            texts.extend(_walk(key, key, value))
    return texts


@dataclass(frozen=True)
class FieldChange:
    path: str
    label: str
    diff: WordDiff


@dataclass(frozen=True)
class Comparison:
    """Attempt `old` against attempt `new` of one evidence item."""

    old: Submission
    new: Submission
    title: WordDiff
    fields: tuple[FieldChange, ...]
    claims_added: tuple[MarkingPoint, ...]
    claims_removed: tuple[MarkingPoint, ...]
    files_added: tuple[str, ...]
    files_removed: tuple[str, ...]

    @property
    def changed_fields(self) -> tuple[FieldChange, ...]:
        return tuple(f for f in self.fields if f.diff.changed)

    @property
    def unchanged_fields(self) -> tuple[FieldChange, ...]:
        return tuple(f for f in self.fields if not f.diff.changed)


def compare(spec: EvidenceTypeSpec, old: Submission, new: Submission) -> Comparison:
    before = {path: (label, text) for path, label, text in field_texts(spec, old.content)}
    after = field_texts(spec, new.content)
    fields = [
        FieldChange(path, label, diff_words(before.get(path, (label, ""))[1], text))
        for path, label, text in after
    ]
    # A field or row the new attempt dropped is shown as removed, after the others.
    seen = {path for path, _, _ in after}
    fields += [
        FieldChange(path, label, diff_words(text, ""))
        for path, (label, text) in before.items()
        if path not in seen
    ]
    old_claims = {p.id: p for p in old.claims}
    new_claims = {p.id: p for p in new.claims}
    old_files = {a.id: a.filename for a in old.attachments}
    new_files = {a.id: a.filename for a in new.attachments}
    return Comparison(
        old=old,
        new=new,
        title=diff_words(old.title, new.title),
        fields=tuple(fields),
        claims_added=tuple(p for i, p in new_claims.items() if i not in old_claims),
        claims_removed=tuple(p for i, p in old_claims.items() if i not in new_claims),
        files_added=tuple(n for i, n in new_files.items() if i not in old_files),
        files_removed=tuple(n for i, n in old_files.items() if i not in new_files),
    )
