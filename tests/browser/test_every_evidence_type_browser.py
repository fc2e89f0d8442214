"""Every shipped evidence type, written in real Chromium as a learner would: each field filled
by its type (rows included), saved, checked on the submit page with no problem left, signed
and submitted. Driven by the type files themselves, so a new type is covered with no code.
axe-core runs on every page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from portfolio.config import ROOT
from portfolio.evidence.spec import EvidenceTypeSpec, FieldType, SectionSpec, load_evidence_types
from tests.browser.conftest import LiveServer
from tests.browser.support import A11y, heading, nav, sign_in

pytestmark = pytest.mark.browser

TYPES = sorted(load_evidence_types(ROOT / "content" / "evidence").values(), key=lambda t: t.id)
# First person and past tense, no personal details: passes the real-work and personal-data
# checks, so the only thing between the learner and submitting is what the form requires.
SENTENCE = (
    "I listened to the customer, checked the receipt and the fault, explained the remedy "
    "the law gave and recorded what we agreed in the returns log."
)


def _words(section: SectionSpec) -> str:
    words = SENTENCE.split()
    wanted = max(section.min_words, 8)
    text = " ".join((words * (wanted // len(words) + 2))[: wanted + 4])
    return text if not section.max_words else " ".join(text.split()[: section.max_words])


def _number(section: SectionSpec) -> str:
    value = section.min if section.min is not None else Decimal(1)
    value = max(value, Decimal(1))
    if section.max is not None:
        value = min(value, section.max)
    return f"{value:.2f}" if section.type is FieldType.MONEY else str(value)


def _fill(page: Page, name: str, section: SectionSpec) -> None:
    """Fill the field named `name` as its type asks."""
    control: Locator = page.locator(f"[name='{name}']")
    kind = section.type
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        control.fill(_words(section) if kind is FieldType.LONG_TEXT else "Recorded as agreed")
    elif kind is FieldType.DATE:
        control.fill("2026-03-02")
    elif kind in (FieldType.NUMBER, FieldType.MONEY):
        control.fill(_number(section))
    elif kind in (FieldType.CHOICE, FieldType.YES_NO):
        if control.first.evaluate("e => e.tagName") == "SELECT":
            control.select_option(index=1)
        else:
            control.first.check()
    elif kind is FieldType.MULTI_CHOICE:
        control.first.check()


def _write(page: Page, spec: EvidenceTypeSpec) -> None:
    for section in spec.sections:
        if section.type is not FieldType.ROWS:
            _fill(page, section.id, section)
            continue
        for n in range(max(section.min_rows, 1)):
            if n > 0:
                page.get_by_role("button", name=f"Add a row to {section.label}").click()
            for column in section.columns:
                _fill(page, f"{section.id}-{n}-{column.id}", column)


@pytest.mark.parametrize("spec", TYPES, ids=[t.id for t in TYPES])
def test_a_learner_writes_and_submits_each_shipped_type(
    page: Page, live_server: LiveServer, spec: EvidenceTypeSpec
) -> None:
    server, a11y = live_server, A11y()
    learner = server.users.learner
    sign_in(page, a11y, server, learner.email, learner.name)
    nav(page, "My evidence")
    page.get_by_label("Title", exact=True).fill(f"My {spec.title.lower()}")
    page.get_by_label("Kind of evidence").select_option(label=spec.title)
    page.get_by_role("button", name="Start").click()
    expect(heading(page, f"My {spec.title.lower()}")).to_be_visible()
    a11y.check(page)

    _write(page, spec)
    page.locator("[name='claims']").first.check()
    page.get_by_role("button", name="Save and continue to submit").click()
    expect(heading(page, re.compile("^Submit"))).to_be_visible()
    expect(page.get_by_text("Fix these before you submit")).to_have_count(0)
    a11y.check(page)

    page.get_by_label(re.compile("^I declare")).check()
    page.get_by_label("Your full name, as your signature").fill(learner.name)
    page.get_by_role("button", name="Sign and submit").click()
    expect(page.get_by_text(re.compile("^Submitted\\."))).to_be_visible()
    a11y.check(page)
