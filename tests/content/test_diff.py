"""Differences stay quick on long, unlike texts: difflib is only ever handed small pieces; small
texts come out exactly as difflib gives them, and long ones still say every change."""

from __future__ import annotations

import difflib
import random
from collections.abc import Hashable, Sequence

import pytest
from flask import Flask

from portfolio.auth.models import Role
from portfolio.content import diff as diff_module
from portfolio.content import services
from portfolio.content.diff import SMALL, Opcode, bounded_opcodes, diff_text, diff_words
from portfolio.content.models import PageStatus
from portfolio.content.services import PageFields
from tests.conftest import login
from tests.factories import Factory

RNG_WORDS = [
    "the",
    "a",
    "customer",
    "refund",
    "return",
    "receipt",
    "days",
    "rights",
    "of",
    "to",
    "and",
    "in",
    "is",
    "was",
]


def _prose(rng: random.Random, paragraphs: int) -> str:
    return "\n\n".join(
        " ".join(rng.choice(RNG_WORDS) for _ in range(rng.randint(5, 15)))
        for _ in range(paragraphs)
    )


def _apply(a: Sequence[Hashable], b: Sequence[Hashable], ops: list[Opcode]) -> list[Hashable]:
    out: list[Hashable] = []
    i = j = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i, j), "opcodes must cover both texts in order"
        if tag == "equal":
            assert list(a[i1:i2]) == list(b[j1:j2])
        out.extend(b[j1:j2])
        i, j = i2, j2
    assert (i, j) == (len(a), len(b))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_short_texts_are_compared_exactly_as_difflib_does(seed: int) -> None:
    rng = random.Random(seed)
    a = [rng.choice("abcde\n") for _ in range(rng.randint(0, 150))]
    b = [rng.choice("abcde\n") for _ in range(rng.randint(0, 150))]
    if len(a) * len(b) > SMALL:
        b = b[: SMALL // max(len(a), 1)]
    expected = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    assert bounded_opcodes(a, b) == (expected, False)


def test_grouping_is_difflibs() -> None:
    old = "\n".join(f"line {i}" for i in range(40))
    new = old.replace("line 3\n", "line three\n").replace("line 30\n", "")
    expected = difflib.SequenceMatcher(
        a=old.splitlines(), b=new.splitlines(), autojunk=False
    ).get_grouped_opcodes(2)
    lines = []
    for group in expected:
        for tag, i1, i2, j1, j2 in group:
            lines += [("same" if tag == "equal" else "removed", t) for t in old.splitlines()[i1:i2]]
            if tag != "equal":
                lines += [("added", t) for t in new.splitlines()[j1:j2]]
    got = [(line.kind, line.text) for line in diff_text(old, new).lines if line.text != "…"]
    assert got == lines


def test_a_long_edited_page_shows_each_edit_line_by_line() -> None:
    rng = random.Random(1)
    paragraphs = [f"Paragraph {i}: {_prose(rng, 1)}" for i in range(2000)]
    edited = list(paragraphs)
    for k in rng.sample([k for k in range(2000) if k != 1500], 40):
        edited[k] += " (edited)"
    del edited[1500]
    edited.insert(700, "A new paragraph.")
    a, b = "\n\n".join(paragraphs), "\n\n".join(edited)
    result = diff_text(a, b)
    # 40 edited lines, and a paragraph with its blank line added and another removed
    assert (result.added, result.removed, result.coarse) == (42, 42, False)
    ops, coarse = bounded_opcodes(a.splitlines(), b.splitlines())
    assert _apply(a.splitlines(), b.splitlines(), ops) == b.splitlines() and not coarse


def test_two_long_unlike_texts_hand_difflib_only_small_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sizes: list[int] = []
    real = difflib.SequenceMatcher

    def counting(*, a: Sequence[Hashable], b: Sequence[Hashable], autojunk: bool) -> object:
        sizes.append(len(a) * len(b))
        return real(a=a, b=b, autojunk=autojunk)

    monkeypatch.setattr(diff_module.difflib, "SequenceMatcher", counting)
    rng = random.Random(2)
    old, new = _prose(rng, 4000), _prose(rng, 4000)  # about 200 KB each
    assert len(old) > 190_000
    lines = diff_text(old, new)
    words = diff_words(old, new)
    assert all(size <= SMALL for size in sizes)
    assert lines.coarse and words.coarse
    assert "".join(s.text for s in words.segments if s.kind != "removed") == new


def test_the_revision_diff_page_says_when_it_compared_coarsely(app: Flask, make: Factory) -> None:
    rng = random.Random(3)
    with app.app_context():
        tutor = make.user(Role.TUTOR)
        first = PageFields("Unlike", _prose(rng, 1000), PageStatus.DRAFT, "pts-b")
        page = services.create_page(tutor, "unlike-revisions", first)
        second = PageFields("Unlike", _prose(rng, 1000), PageStatus.DRAFT, "pts-b")
        services.save_page(page, tutor, second, page.version)
        email = tutor.email
    client = app.test_client()
    login(client, email)
    response = client.get("/pages/unlike-revisions/diff")
    assert response.status_code == 200
    assert "differ in too much to compare every line" in response.get_data(as_text=True)
    small = client.get("/pages/pts-b-overview/diff")
    assert "differ in too much" not in small.get_data(as_text=True)
