"""A draft's or submission's content read through its evidence type: its shape, the paths to
its values, its free text, how typed dates, numbers and amounts are read, and what stops it
being submitted.

Content is a dict of section id -> value: a str for every single-value type (exactly as typed,
so bad input is never lost; yes/no as "yes"/"no"/""; a choice as its option id), a list of
option ids for multi_choice, and a list of {column id: str} for rows. A path names one value:
"section_id", or "section_id[2].column_id" for a cell of the third row."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from portfolio.evidence.spec import (
    EvidenceTypeSpec,
    FieldType,
    SectionSpec,
    decimal_places,
)

_PATH = re.compile(r"^([a-z][a-z0-9_]*)(?:\[(\d+)\]\.([a-z][a-z0-9_]*))?$")


@dataclass(frozen=True)
class Problem:
    """Something that stops a draft being submitted, and the path of the value it concerns."""

    field: str
    message: str

    @property
    def anchor(self) -> str:
        """The id of the form field the path names ("items[2].price" -> "items-2-price")."""
        return field_id(self.field)


def field_id(path: str) -> str:
    return path.replace("[", "-").replace("].", "-").replace("]", "")


def parse_path(path: str) -> tuple[str, int | None, str | None]:
    """("section", None, None) or ("section", row index, "column"); ValueError if malformed."""
    match = _PATH.match(path)
    if match is None:
        raise ValueError(f"not a content path: {path!r}")
    section, index, column = match.groups()
    return section, (int(index) if index is not None else None), column


# --- Shape ---------------------------------------------------------------------------------


def as_text(value: object) -> str:
    return value if isinstance(value, str) else ""


def as_list(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def as_rows(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    return [{k: as_text(v) for k, v in row.items()} for row in value if isinstance(row, dict)]


def _empty(section: SectionSpec) -> Any:
    return [] if section.type in (FieldType.MULTI_CHOICE, FieldType.ROWS) else ""


def empty_content(spec: EvidenceTypeSpec) -> dict[str, Any]:
    return {s.id: _empty(s) for s in spec.sections}


def row_is_blank(row: Mapping[str, str]) -> bool:
    return not any(v.strip() for v in row.values())


def clean_content(spec: EvidenceTypeSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's sections only, each in its contract shape; blank rows dropped. Text is kept
    exactly as typed."""
    cleaned: dict[str, Any] = {}
    for section in spec.sections:
        value = values.get(section.id, _empty(section))
        if section.type is FieldType.MULTI_CHOICE:
            cleaned[section.id] = as_list(value)
        elif section.type is FieldType.ROWS:
            rows = ({c.id: row.get(c.id, "") for c in section.columns} for row in as_rows(value))
            cleaned[section.id] = [row for row in rows if not row_is_blank(row)]
        else:
            cleaned[section.id] = as_text(value)
    return cleaned


# --- Free text -----------------------------------------------------------------------------


def _row_label(section: SectionSpec, index: int) -> str:
    return f"{section.row_label} {index + 1}"


def text_values(spec: EvidenceTypeSpec, content: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(path, label, text) for every free-text value (text and long_text sections, and text
    and long_text cells of rows), in form order, blank ones included."""
    found: list[tuple[str, str, str]] = []
    for section in spec.sections:
        value = content.get(section.id)
        if section.is_text:
            found.append((section.id, section.label, as_text(value)))
        elif section.type is FieldType.ROWS:
            for index, row in enumerate(as_rows(value)):
                for column in section.columns:
                    if column.is_text:
                        found.append(
                            (
                                f"{section.id}[{index}].{column.id}",
                                f"{section.label}, {_row_label(section, index)}: {column.label}",
                                row.get(column.id, ""),
                            )
                        )
    return found


def set_text_value(content: Mapping[str, Any], path: str, new_text: str) -> dict[str, Any]:
    """A copy of `content` with the value at `path` replaced by `new_text`. KeyError if the
    path names no value there; ValueError if it is malformed."""
    section, index, column = parse_path(path)
    changed = copy.deepcopy(dict(content))
    if section not in changed:
        raise KeyError(path)
    if index is None:
        if not isinstance(changed[section], str):
            raise KeyError(path)
        changed[section] = new_text
        return changed
    rows = changed[section]
    if not isinstance(rows, list) or index >= len(rows) or not isinstance(rows[index], dict):
        raise KeyError(path)
    if column not in rows[index]:
        raise KeyError(path)
    rows[index][column] = new_text
    return changed


# --- Reading typed values ------------------------------------------------------------------

_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_date(raw: str) -> date | None:
    """A date typed as 2026-03-14 (what a date picker sends), 14/3/2026, 14-3-2026, 14.3.2026,
    14 3 2026, 14 March 2026 or 14 Mar 2026; None if it is not a real date."""
    text = " ".join(raw.split())
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DAY_MONTH_YEAR.match(text):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    for pattern in ("%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_number(raw: str) -> Decimal | None:
    """12, -3, 4.5 or 1,200; None if it is not a number."""
    text = raw.strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    return _decimal(text) if _NUMBER.match(text) else None


def parse_money(raw: str) -> Decimal | None:
    """An amount in pounds: 24.99, £24.99, 24, £1,200.50; None if it is not one."""
    text = raw.strip().removeprefix("£").strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _MONEY.match(text):
        return None
    return _decimal(text)


def format_money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def format_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def format_number(number: Decimal) -> str:
    return f"{number:,}" if decimal_places(number) == 0 else f"{number:,f}"


# --- What stops a submission ---------------------------------------------------------------


def _word_count(text: str) -> int:
    return len(text.split())


def value_problems(section: SectionSpec, value: object, prefix: str = "") -> Iterator[str]:
    """Messages about one value; `prefix` places a cell ("Item 2: ")."""
    label = section.label
    if section.type is FieldType.MULTI_CHOICE:
        chosen = as_list(value)
        if not chosen and section.required:
            yield f"{prefix}Choose at least one answer for {label}."
        for option in chosen:
            if section.option_label(option) is None:
                yield f"{prefix}{label}: “{option}” is not one of the options; choose again."
        return
    text = as_text(value)
    if not text.strip():
        if not section.required:
            return
        if section.is_text and section.min_words > 1:
            yield f"{prefix}{label} needs at least {section.min_words} words; it has 0."
        elif section.type in (FieldType.CHOICE, FieldType.YES_NO):
            yield f"{prefix}Choose an answer for {label}."
        else:
            yield f"{prefix}{label} is required."
        return
    if section.is_text:
        count = _word_count(text)
        if count < section.min_words:
            yield f"{prefix}{label} needs at least {section.min_words} words; it has {count}."
        elif count > section.max_words:
            yield f"{prefix}{label} may have at most {section.max_words} words; it has {count}."
    elif section.type is FieldType.CHOICE:
        if section.option_label(text) is None:
            yield f"{prefix}{label}: “{text}” is not one of the options; choose again."
    elif section.type is FieldType.YES_NO:
        if text not in ("yes", "no"):
            yield f"{prefix}{label} must be Yes or No."
    elif section.type is FieldType.DATE:
        if parse_date(text) is None:
            yield f"{prefix}{label} must be a real date, like 14/3/2026."
    elif section.type is FieldType.NUMBER:
        number = parse_number(text)
        if number is None:
            yield f"{prefix}{label} must be a number, like 12."
        else:
            yield from _bounds(section, number, format_number, prefix)
    elif section.type is FieldType.MONEY:
        amount = parse_money(text)
        if amount is None:
            yield f"{prefix}{label} must be an amount in pounds and pence, like 24.99."
        else:
            yield from _bounds(section, amount, format_money, prefix)


def _bounds(section: SectionSpec, number: Decimal, show: Any, prefix: str) -> Iterator[str]:
    if section.min is not None and number < section.min:
        yield f"{prefix}{section.label} must be at least {show(section.min)}."
    if section.max is not None and number > section.max:
        yield f"{prefix}{section.label} must be at most {show(section.max)}."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def content_problems(spec: EvidenceTypeSpec, content: Mapping[str, Any]) -> list[Problem]:
    """Every value that stops this content being submitted, each with its path."""
    problems: list[Problem] = []
    for section in spec.sections:
        value = content.get(section.id)
        if section.type is not FieldType.ROWS:
            problems += [Problem(section.id, m) for m in value_problems(section, value)]
            continue
        rows = as_rows(value)
        if len(rows) < section.min_rows:
            problems.append(
                Problem(
                    section.id,
                    f"{section.label} needs at least {_plural(section.min_rows, 'row')}; "
                    f"it has {len(rows)}.",
                )
            )
        elif len(rows) > section.max_rows:
            problems.append(
                Problem(
                    section.id,
                    f"{section.label} may have at most {_plural(section.max_rows, 'row')}; "
                    f"it has {len(rows)}.",
                )
            )
        for index, row in enumerate(rows):
            prefix = f"{_row_label(section, index)}: "
            for column in section.columns:
                path = f"{section.id}[{index}].{column.id}"
                problems += [
                    Problem(path, m) for m in value_problems(column, row.get(column.id), prefix)
                ]
    return problems
