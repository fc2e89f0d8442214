"""The checks run over a whole draft: every flag with a stable id, the field it is in, a snippet
showing it in place, and how the learner settled it; and the record kept with a submission.
Reads the database (the learner's other evidence, for customers' names) but never writes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from portfolio.evidence.checks import (
    KIND_NAMES,
    Flag,
    NameLabeller,
    collect_customer_names,
    find_hypothetical,
    find_personal_data,
)
from portfolio.evidence.content import text_values
from portfolio.evidence.models import Evidence
from portfolio.evidence.spec import EvidenceTypeSpec
from portfolio.extensions import db

PERSONAL_DATA = "personal_data"
REAL_WORK = "real_work"
TITLE = "title"  # the path of the evidence's title, checked like a field (a reserved field id)
_CONTEXT = 60  # characters of text shown either side of a flag


@dataclass(frozen=True)
class FoundFlag:
    id: str
    check: str  # PERSONAL_DATA or REAL_WORK
    kind: str
    path: str
    field: str  # the field's label as the form shows it
    text: str
    label: str  # what "Replace" puts in its place (personal data only)
    why: str  # why the wording weakens the account (real work only)
    start: int
    end: int
    before: str
    after: str
    reason: str | None  # the learner's reason for dismissing it; None while it is open

    @property
    def dismissed(self) -> bool:
        return self.reason is not None

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def message(self) -> str:
        return (
            f"{self.field}: “{self.text}” looks like {self.kind_name}. "
            f"Replace it with {self.label}, or dismiss it with a reason."
        )


@dataclass(frozen=True)
class CheckResult:
    personal_data: tuple[FoundFlag, ...]
    real_work: tuple[FoundFlag, ...]

    @property
    def open_personal_data(self) -> tuple[FoundFlag, ...]:
        return tuple(f for f in self.personal_data if not f.dismissed)

    @property
    def dismissed_personal_data(self) -> tuple[FoundFlag, ...]:
        return tuple(f for f in self.personal_data if f.dismissed)

    def open_by_field(self) -> list[tuple[str, list[FoundFlag]]]:
        """Open personal-data flags grouped under their field, in form order."""
        groups: dict[str, list[FoundFlag]] = {}
        for flag in self.open_personal_data:
            groups.setdefault(flag.field, []).append(flag)
        return list(groups.items())

    def find(self, flag_id: str) -> FoundFlag | None:
        return next((f for f in (*self.personal_data, *self.real_work) if f.id == flag_id), None)


def flag_id(check: str, path: str, kind: str, text: str, occurrence: int) -> str:
    """Stable while the flagged text stays: the same words in the same field keep their id
    across saves, so a dismissal still applies; editing them away retires it."""
    key = "\x00".join((check, path, kind, text, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def checked_values(evidence: Evidence, spec: EvidenceTypeSpec) -> list[tuple[str, str, str]]:
    """(path, label, text) of everything the checks read: the title, then each free-text value."""
    return [(TITLE, "Title", evidence.title), *text_values(spec, evidence.draft)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)


def known_customer_names(learner_id: int) -> set[str]:
    """Customers' names the learner has typed anywhere in their evidence (titles and drafts of
    every type, read without their specs so a retired type still counts)."""
    names: set[str] = set()
    rows = db.session.execute(
        select(Evidence.title, Evidence.draft).where(Evidence.learner_id == learner_id)
    )
    for title, draft in rows:
        for text in (title, *_strings(draft)):
            names |= collect_customer_names(text)
    return names


def _snippet(text: str, start: int, end: int) -> tuple[str, str]:
    before, after = text[max(0, start - _CONTEXT) : start], text[end : end + _CONTEXT]
    if start > _CONTEXT:
        before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
    if end + _CONTEXT < len(text):
        after = after.rsplit(" ", 1)[0] + "…" if " " in after else after + "…"
    return before, after


def _found(
    check: str,
    path: str,
    field: str,
    text: str,
    flags: Iterable[Flag],
    reasons: Mapping[str, str],
) -> list[FoundFlag]:
    seen: dict[tuple[str, str], int] = {}
    found = []
    for flag in flags:
        occurrence = seen.get((flag.kind, flag.text), 0)
        seen[(flag.kind, flag.text)] = occurrence + 1
        fid = flag_id(check, path, flag.kind, flag.text, occurrence)
        before, after = _snippet(text, flag.start, flag.end)
        found.append(
            FoundFlag(
                id=fid,
                check=check,
                kind=flag.kind,
                path=path,
                field=field,
                text=flag.text,
                label=flag.label,
                why=flag.why,
                start=flag.start,
                end=flag.end,
                before=before,
                after=after,
                reason=reasons.get(fid),
            )
        )
    return found


def dismissal_reasons(evidence: Evidence) -> dict[str, str]:
    """Flag id -> reason, for the flags the learner dismissed. A dismissal whose flag no longer
    exists simply matches nothing."""
    return {
        d["id"]: d["reason"]
        for d in evidence.dismissals or []
        if d.get("status", "dismissed") == "dismissed" and "id" in d
    }


def check_draft(
    evidence: Evidence, spec: EvidenceTypeSpec, values: list[tuple[str, str, str]] | None = None
) -> CheckResult:
    """Both checks over the evidence's title and draft (or `values`, as from checked_values)."""
    values = checked_values(evidence, spec) if values is None else values
    known = known_customer_names(evidence.learner_id)
    # One labeller for the whole draft: a customer is "Customer A" in every field.
    labeller = NameLabeller.for_texts(text for _, _, text in values)
    reasons = dismissal_reasons(evidence)
    personal: list[FoundFlag] = []
    real_work: list[FoundFlag] = []
    for path, field, text in values:
        flags = find_personal_data(text, known, labeller, field)
        personal += _found(PERSONAL_DATA, path, field, text, flags, reasons)
        if spec.real_work_check and path != TITLE:
            real_work += _found(REAL_WORK, path, field, text, find_hypothetical(text), reasons)
    return CheckResult(tuple(personal), tuple(real_work))


def checks_record(
    result: CheckResult, dismissals: Iterable[Mapping[str, Any]], at: datetime
) -> dict[str, Any]:
    """What is kept with a submission: every personal-data flag and how it was settled, and
    every real-work warning. A fixed flag keeps no text: the point of fixing it was that the
    personal detail is not stored."""
    fixed = [
        {
            "kind": d.get("kind", ""),
            "path": d.get("field", ""),
            "field": d.get("field_label", ""),
            "status": "fixed",
            "replaced_with": d.get("label", ""),
        }
        for d in dismissals
        if d.get("status") == "fixed"
    ]
    dismissed = [
        {
            "kind": f.kind,
            "path": f.path,
            "field": f.field,
            "text": f.text,
            "status": "dismissed",
            "reason": f.reason,
        }
        for f in result.personal_data
        if f.dismissed
    ]
    real_work = [
        {
            "kind": f.kind,
            "path": f.path,
            "field": f.field,
            "text": f.text,
            "why": f.why,
            "status": "dismissed" if f.dismissed else "open",
            **({"reason": f.reason} if f.dismissed else {}),
        }
        for f in result.real_work
    ]
    return {
        "personal_data": fixed + dismissed,
        "real_work": real_work,
        "checked_at": at.isoformat(),
    }
