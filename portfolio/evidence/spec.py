"""Evidence types (content/evidence/*.yaml) parsed into validated dataclasses: each type's
sections, their field types, prompts, guidance and limits, and the marking points it usually
covers. A new type is a new file; nothing here names a type."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from portfolio.core.datafile import DataError, Record, load_yaml
from portfolio.qualifications.spec import QualificationSpec, read_id


class FieldType(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DATE = "date"
    NUMBER = "number"
    MONEY = "money"
    YES_NO = "yes_no"
    ROWS = "rows"


FIELD_TYPES = tuple(t.value for t in FieldType)
TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.LONG_TEXT})
CHOICE_TYPES = frozenset({FieldType.CHOICE, FieldType.MULTI_CHOICE})
NUMBER_TYPES = frozenset({FieldType.NUMBER, FieldType.MONEY})
# A row's cell holds one string (the draft contract), so a list or a table cannot be a column.
COLUMN_TYPES = tuple(
    t.value for t in FieldType if t not in (FieldType.MULTI_CHOICE, FieldType.ROWS)
)

# Section and column ids become form field names and attributes of the form class, so they
# must be plain words that do not shadow what a form already has (tests/evidence/test_spec.py
# checks this list against the form classes).
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
RESERVED_IDS = frozenset(
    [
        "add_blank_rows",
        "add_row",
        "blank_rows",
        "can_add",
        "claims",
        "column_ids",
        "csrf_token",
        "data",
        "errors",
        "errors_of",
        "extra_validators",
        "form_errors",
        "hidden_tag",
        "is_submitted",
        "meta",
        "next",
        "place_problems",
        "populate_obj",
        "post_process",
        "pressed_add_row",
        "process",
        "row_errors",
        "section",
        "section_fields",
        "section_ids",
        "sections",
        "spec",
        "summary",
        "title",
        "validate",
        "validate_on_submit",
        "values",
        "version",
    ]
)
# Ceilings that keep a mistyped limit from letting a page grow without end.
MAX_WORDS_CEILING = 5000
MAX_ROWS_CEILING = 50
_DEFAULT_MAX_WORDS = {FieldType.TEXT: 50, FieldType.LONG_TEXT: 2000}

_COMMON_KEYS = ("id", "label", "type", "prompt", "guidance", "required")
_TYPE_KEYS: dict[FieldType, tuple[str, ...]] = {
    FieldType.TEXT: ("min_words", "max_words"),
    FieldType.LONG_TEXT: ("min_words", "max_words"),
    FieldType.CHOICE: ("options",),
    FieldType.MULTI_CHOICE: ("options",),
    FieldType.DATE: (),
    FieldType.NUMBER: ("min", "max"),
    FieldType.MONEY: ("min", "max"),
    FieldType.YES_NO: (),
    FieldType.ROWS: ("columns", "min_rows", "max_rows", "row_label"),
}


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class SectionSpec:
    """One field of an evidence form: a section of the type, or a column of a rows section."""

    id: str
    label: str
    type: FieldType
    prompt: str = ""
    guidance: str = ""
    required: bool = True
    min_words: int = 0  # text types only
    max_words: int = 0
    options: tuple[Option, ...] = ()  # choice types only
    min: Decimal | None = None  # number and money only
    max: Decimal | None = None
    columns: tuple[SectionSpec, ...] = ()  # rows only
    min_rows: int = 0
    max_rows: int = 0
    row_label: str = "Row"

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    def option_label(self, option_id: str) -> str | None:
        return next((o.label for o in self.options if o.id == option_id), None)

    def column(self, column_id: str) -> SectionSpec | None:
        return next((c for c in self.columns if c.id == column_id), None)


@dataclass(frozen=True)
class EvidenceTypeSpec:
    id: str
    version: int
    title: str
    description: str
    sections: tuple[SectionSpec, ...]
    path: str
    guidance: str = ""
    # Marking point ids this kind of evidence usually covers: a hint, never a claim.
    marking_points: tuple[str, ...] = ()
    # Whether the real-work check looks for "I would" wording (accounts of what was done).
    real_work_check: bool = False
    marking_points_line: int = field(default=1, compare=False, repr=False)

    def section_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sections)

    def section(self, section_id: str) -> SectionSpec | None:
        return next((s for s in self.sections if s.id == section_id), None)


def _field_id(r: Record, seen: set[str]) -> str:
    value = r.text("id")
    if not _FIELD_ID.match(value):
        raise r.error(
            f"id {value!r} must start with a lower-case letter and hold only lower-case "
            "letters, digits and '_' (at most 40)",
            "id",
        )
    if value in RESERVED_IDS:
        raise r.error(f"id {value!r} is reserved by the form; choose another", "id")
    if value in seen:
        raise r.error(f"id {value!r} is used twice", "id")
    seen.add(value)
    return value


def _count(r: Record, key: str, default: int, ceiling: int, low: int = 0) -> int:
    value = r.data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= ceiling:
        raise r.error(f"'{key}' must be a whole number from {low} to {ceiling}", key)
    return value


def _number(r: Record, key: str, money: bool) -> Decimal | None:
    value = r.data.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise r.error(f"'{key}' must be a number", key)
    number = Decimal(str(value))
    if money and (number < 0 or decimal_places(number) > 2):
        raise r.error(f"'{key}' must be an amount in pounds of 0 or more, like 250.00", key)
    return number


def decimal_places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _options(r: Record) -> tuple[Option, ...]:
    seen: set[str] = set()
    found = []
    for o in r.records("options"):
        o.allow_keys("id", "label")
        option_id = o.text("id")
        if not _OPTION_ID.match(option_id):
            raise o.error(
                f"option id {option_id!r} must be lower-case letters, digits, '_' or '-'", "id"
            )
        if option_id in seen:
            raise o.error(f"option id {option_id!r} is used twice", "id")
        seen.add(option_id)
        found.append(Option(option_id, o.text("label")))
    if len(found) < 2:
        raise r.error("a choice needs at least two options", "options")
    return tuple(found)


def _columns(r: Record) -> tuple[SectionSpec, ...]:
    seen: set[str] = set()
    return tuple(_field(c, seen, column=True) for c in r.records("columns"))


def _field(r: Record, seen: set[str], column: bool = False) -> SectionSpec:
    """A section (column=False) or a column of a rows section."""
    allowed = COLUMN_TYPES if column else FIELD_TYPES
    raw_type = r.text("type")
    if raw_type not in allowed:
        what = "a column's type" if column else "type"
        extra = " (a column cannot be rows or multi_choice: no rows inside rows)" if column else ""
        raise r.error(f"{what} must be one of {', '.join(allowed)}{extra}", "type")
    kind = FieldType(raw_type)
    r.allow_keys(*_COMMON_KEYS, *_TYPE_KEYS[kind])
    field_id = _field_id(r, seen)
    required = r.boolean("required", True)
    spec = SectionSpec(
        id=field_id,
        label=r.text("label"),
        type=kind,
        # A column sits inside a section that has its own prompt, so its own may be left out.
        prompt=r.text("prompt") if r.has("prompt") or not column else "",
        guidance=r.text("guidance") if r.has("guidance") else "",
        required=required,
    )
    if kind in TEXT_TYPES:
        low = _count(r, "min_words", 1, MAX_WORDS_CEILING, low=1)
        high = _count(r, "max_words", _DEFAULT_MAX_WORDS[kind], MAX_WORDS_CEILING, low=1)
        if low > high:
            raise r.error("min_words is larger than max_words", "min_words")
        return replace(spec, min_words=low, max_words=high)
    if kind in CHOICE_TYPES:
        return replace(spec, options=_options(r))
    if kind in NUMBER_TYPES:
        low_n = _number(r, "min", kind is FieldType.MONEY)
        high_n = _number(r, "max", kind is FieldType.MONEY)
        if low_n is not None and high_n is not None and low_n > high_n:
            raise r.error("min is larger than max", "min")
        return replace(spec, min=low_n, max=high_n)
    if kind is FieldType.ROWS:
        default_min = 1 if required else 0
        low = _count(r, "min_rows", default_min, MAX_ROWS_CEILING)
        high = _count(r, "max_rows", max(20, low), MAX_ROWS_CEILING, low=1)
        if required and low < 1:
            raise r.error(
                "a required rows section needs min_rows of 1 or more (or write required: false)",
                "min_rows",
            )
        if low > high:
            raise r.error("min_rows is larger than max_rows", "min_rows")
        row_label = r.text("row_label") if r.has("row_label") else "Row"
        if not r.has("columns"):
            raise r.error("a rows section needs 'columns'", "columns")
        return replace(spec, columns=_columns(r), min_rows=low, max_rows=high, row_label=row_label)
    return spec


def parse_evidence_type(path: Path) -> EvidenceTypeSpec:
    r = load_yaml(path)
    r.allow_keys(
        "id",
        "version",
        "title",
        "description",
        "guidance",
        "marking_points",
        "real_work_check",
        "sections",
    )
    type_id = read_id(r, set())
    if type_id != path.stem:
        raise r.error(f"id {type_id!r} must match the file name {path.stem!r}", "id")
    seen: set[str] = set()
    return EvidenceTypeSpec(
        id=type_id,
        version=r.integer("version"),
        title=r.text("title"),
        description=r.text("description"),
        guidance=r.text("guidance") if r.has("guidance") else "",
        marking_points=r.texts("marking_points"),
        real_work_check=r.boolean("real_work_check", False),
        sections=tuple(_field(s, seen) for s in r.records("sections")),
        path=str(path),
        marking_points_line=r.line_of("marking_points"),
    )


def load_evidence_types(directory: Path) -> dict[str, EvidenceTypeSpec]:
    specs = [parse_evidence_type(p) for p in sorted(directory.glob("*.yaml"))]
    return {s.id: s for s in specs}


def check_evidence_refs(
    spec: EvidenceTypeSpec, qualifications: Iterable[QualificationSpec]
) -> None:
    """Every marking point a type says it usually covers must exist in a rubric."""
    known = {p.id for q in qualifications for e in q.elements() for p in e.marking_points}
    for point in spec.marking_points:
        if point not in known:
            raise DataError(
                spec.path,
                spec.marking_points_line,
                f"{point!r} in marking_points is not a marking point of any rubric",
                "marking_points",
            )
