"""Content made ready to show, one entry per section: choice labels instead of ids, amounts as
£0.00, dates as "3 March 2026", Yes/No, rows as a table. Drawn by templates/evidence/_content.html
on every page that shows evidence (edit, submit, the assessor's record, the PDF)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from portfolio.evidence.content import (
    as_list,
    as_rows,
    as_text,
    format_date,
    format_money,
    parse_date,
    parse_money,
    parse_path,
)
from portfolio.evidence.spec import EvidenceTypeSpec, FieldType, SectionSpec

_YES_NO = {"yes": "Yes", "no": "No"}


class _HasFieldAndMessage(Protocol):
    @property
    def field(self) -> str: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class Shown:
    """One section as it is shown. `kind` says how: "text" (one line), "long" (keeps line
    breaks), "list", or "table" (headers and rows of cells, each row led by its name)."""

    id: str
    label: str
    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, tuple[str, ...]], ...] = ()
    row_label: str = ""
    # Problems with this section or its cells (the submit page), next to it.
    messages: tuple[str, ...] = ()

    @property
    def blank(self) -> bool:
        return not (self.text.strip() or self.items or self.rows)


def show_value(section: SectionSpec, raw: str) -> str:
    """One single value as a reader expects it; anything that cannot be read is shown as typed."""
    if section.type in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.NUMBER):
        return raw.strip() if section.type is FieldType.NUMBER else raw
    if not raw.strip():
        return ""
    if section.type is FieldType.CHOICE:
        return section.option_label(raw) or raw
    if section.type is FieldType.YES_NO:
        return _YES_NO.get(raw, raw)
    if section.type is FieldType.DATE:
        day = parse_date(raw)
        return format_date(day) if day else raw
    if section.type is FieldType.MONEY:
        amount = parse_money(raw)
        return format_money(amount) if amount is not None else raw
    return raw


def _shown(section: SectionSpec, value: object, messages: tuple[str, ...]) -> Shown:
    if section.type is FieldType.MULTI_CHOICE:
        labels = tuple(section.option_label(v) or v for v in as_list(value))
        return Shown(section.id, section.label, "list", items=labels, messages=messages)
    if section.type is FieldType.ROWS:
        rows = tuple(
            (
                f"{section.row_label} {n}",
                tuple(show_value(c, row.get(c.id, "")) for c in section.columns),
            )
            for n, row in enumerate(as_rows(value), start=1)
        )
        return Shown(
            section.id,
            section.label,
            "table",
            headers=tuple(c.label for c in section.columns),
            rows=rows,
            row_label=section.row_label,
            messages=messages,
        )
    kind = "long" if section.type is FieldType.LONG_TEXT else "text"
    text = show_value(section, as_text(value))
    return Shown(section.id, section.label, kind, text=text, messages=messages)


def display_values(
    spec: EvidenceTypeSpec,
    content: Mapping[str, Any],
    problems: Iterable[_HasFieldAndMessage] = (),
) -> list[Shown]:
    """Each section of `content` ready to show, with the problems whose path falls in it."""
    by_section: dict[str, list[str]] = {}
    for problem in problems:
        try:
            section_id = parse_path(problem.field)[0]
        except ValueError:
            continue
        by_section.setdefault(section_id, []).append(problem.message)
    return [_shown(s, content.get(s.id), tuple(by_section.get(s.id, ()))) for s in spec.sections]
