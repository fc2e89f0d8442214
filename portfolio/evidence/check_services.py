"""Settling the checks' flags on a draft (replace a personal detail with its neutral label, or
dismiss a flag with a reason), and the coverage hints shown while the learner writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from portfolio.core.concurrency import check_version, commit_versioned
from portfolio.db import utcnow
from portfolio.evidence import services
from portfolio.evidence.content import set_text_value, text_values
from portfolio.evidence.coverage import coverage
from portfolio.evidence.flags import (
    PERSONAL_DATA,
    TITLE,
    CheckResult,
    FoundFlag,
    check_draft,
    checked_values,
)
from portfolio.evidence.models import Evidence
from portfolio.qualifications import services as qualifications

MAX_REASON = 300
_TITLE_LENGTH = 200  # the title column's size


class FlagNotFound(Exception):
    """No such flag in this draft (it was fixed, or the text around it changed)."""


class BadReason(ValueError):
    """A dismissal needs a reason, of at most MAX_REASON characters."""


def check_evidence(evidence: Evidence) -> CheckResult:
    """The personal-data check over the title and every free-text value of the draft, and the
    real-work check where the evidence type asks for it."""
    return check_draft(evidence, services.spec_for(evidence))


def _ready(evidence: Evidence, expected_version: int) -> None:
    if not evidence.status.editable:
        raise services.NotEditable()
    check_version(evidence, expected_version, services.StaleDraft)


def _replace(evidence: Evidence, found: Iterable[FoundFlag]) -> list[FoundFlag]:
    """Put each flag's label where its text is, in the title or the draft. Right to left in each
    value, so the earlier flags' positions still hold."""
    texts = {path: text for path, _, text in checked_values(evidence, services.spec_for(evidence))}
    done = []
    draft = evidence.draft
    for flag in sorted(found, key=lambda f: (f.path, -f.start)):
        text = texts[flag.path]
        if text[flag.start : flag.end] != flag.text:
            continue  # two flags over one span: the first replacement already took it
        texts[flag.path] = text = text[: flag.start] + flag.label + text[flag.end :]
        if flag.path == TITLE:
            evidence.title = text[:_TITLE_LENGTH]
        else:
            draft = set_text_value(draft, flag.path, text)
        done.append(flag)
    evidence.draft = draft
    at = utcnow().isoformat()
    # Only where and what kind: the point of the fix is that the detail itself is not kept.
    evidence.dismissals = [
        *(evidence.dismissals or []),
        *(
            {
                "status": "fixed",
                "check": PERSONAL_DATA,
                "kind": f.kind,
                "field": f.path,
                "field_label": f.field,
                "label": f.label,
                "at": at,
            }
            for f in done
        ),
    ]
    evidence.saved_at = utcnow()
    return done


def redact_flag(evidence: Evidence, flag_id: str, expected_version: int) -> FoundFlag:
    """Replace one personal detail with its neutral label ("[email address]", "Customer A").
    Refused with StaleDraft if the draft changed since the page was drawn."""
    _ready(evidence, expected_version)
    flag = check_evidence(evidence).find(flag_id)
    if flag is None or flag.check != PERSONAL_DATA:
        raise FlagNotFound(flag_id)
    _replace(evidence, [flag])
    commit_versioned(evidence, services.StaleDraft)
    return flag


def redact_all(evidence: Evidence, expected_version: int) -> int:
    """Replace every open personal detail (dismissed ones stay as the learner chose); how many."""
    _ready(evidence, expected_version)
    done = _replace(evidence, check_evidence(evidence).open_personal_data)
    if done:
        commit_versioned(evidence, services.StaleDraft)
    return len(done)


def dismiss_flag(evidence: Evidence, flag_id: str, reason: str, expected_version: int) -> FoundFlag:
    """Keep a flagged text as it is, with the learner's reason (recorded with the submission)."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise BadReason(reason)
    _ready(evidence, expected_version)
    flag = check_evidence(evidence).find(flag_id)
    if flag is None:
        raise FlagNotFound(flag_id)
    others = [d for d in evidence.dismissals or [] if d.get("id") != flag_id]
    evidence.dismissals = [
        *others,
        {
            "id": flag.id,
            "status": "dismissed",
            "check": flag.check,
            "kind": flag.kind,
            "field": flag.path,
            "text": flag.text,
            "reason": reason,
            "at": utcnow().isoformat(),
        },
    ]
    commit_versioned(evidence, services.StaleDraft)
    return flag


def coverage_for_draft(
    evidence: Evidence, draft: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Which marking points the draft's text (or `draft`, e.g. just autosaved) seems to address,
    JSON-ready: [{"id", "text", "covered", "cues"}] in the rubric's order. Hints only: the
    learner claims, the assessor decides."""
    spec = services.spec_for(evidence)
    values = text_values(spec, evidence.draft if draft is None else draft)
    text = "\n".join(t for _, _, t in values)
    return [
        {"id": h.point_id, "text": h.text, "covered": h.covered, "cues": list(h.matched)}
        for h in coverage(text, qualifications.cued_marking_points(evidence.element_id))
    ]
