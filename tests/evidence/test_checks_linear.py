"""The evidence checks do work in proportion to the text: each sentence is searched once for
looking ahead, quotation marks are counted once, and known names are looked up word by word;
the findings are exactly what the straightforward versions of these steps find."""

from __future__ import annotations

import random
import re

import pytest

from portfolio.evidence import checks
from portfolio.evidence.checks import Flag, NameLabeller, find_hypothetical, find_personal_data

BITS = [
    "I would", "I'd already", "I\u2019d", "I could see", "I could", "I will", "I'll", "you should",
    "staff must", "next time", ". ", "! ", "\n", '"', "“", "”", "Mrs Patel", "Anita Patel",
    "Patel", "Anita", "the customer, Jo Bloggs,", "named Sam O'Brien", "O'Brien",
    "Mr Smith-Jones", "Smith", "Jones", "jo@example.com", "07700 900123",
    "4111 1111 1111 1111", "SW1A 1AA", "order number AB12345", "#12345", "ref: X-99-1", "  ",
    " ", "and", "then", "I should have", "Customer A",
]  # fmt: skip


def _text(rng: random.Random) -> str:
    return "".join(
        rng.choice(BITS) + rng.choice([" ", "", " ", ", "]) for _ in range(rng.randint(1, 60))
    )


# --- The straightforward versions, as they were: a rescan of the text for every match ---------


def _reference_hypothetical(text: str) -> list[Flag]:
    def sentence(start: int, end: int) -> str:
        ends = [m.end() for m in checks._SENTENCE_END.finditer(text, 0, start)]
        after = checks._SENTENCE_END.search(text, end)
        return text[max(ends, default=0) : after.start() if after else len(text)]

    def quoted(pos: int) -> bool:
        return bool(text.count('"', 0, pos) % 2) or text.rfind("“", 0, pos) > text.rfind(
            "”", 0, pos
        )

    def exempt(kind: str, m: re.Match[str]) -> bool:
        found, rest = m.group().casefold(), text[m.end() :]
        if quoted(m.start()):
            return True
        if re.fullmatch(rf"i{checks._A}d", found) and checks._HAD.match(rest):
            return True
        if found.endswith("could") and checks._COULD_PAST.match(rest):
            return True
        return kind in ("conditional", "future") and bool(
            checks._HAVE.match(rest) or checks._FORWARD.search(sentence(m.start(), m.end()))
        )

    flags = [
        Flag(kind, m.start(), m.end(), m.group(), why=why)
        for kind, pattern, why in checks._HYPOTHETICAL
        for m in pattern.finditer(text)
        if not exempt(kind, m)
    ]
    return sorted(flags, key=lambda f: f.start)


def _reference_personal(text: str, known: set[str]) -> list[Flag]:
    labeller = NameLabeller.for_texts([text])
    candidates = list(checks._spans(text, ""))
    for m in checks._TITLED.finditer(text):
        name = checks._clean_name(m.group("name"))
        if name:
            end = m.start("name") + len(m.group("name").split(name, 1)[0]) + len(name)
            candidates.append((m.start(), end, "name", checks._person_key(name)))
    parts: dict[str, str] = {}
    for name in sorted({*known, *checks.collect_customer_names(text)}, key=len, reverse=True):
        key = checks._person_key(name)
        parts.setdefault(name, key)
        for word in name.split():
            if word.casefold() not in checks._NOT_NAMES and len(word) > 1:
                parts.setdefault(word, key)
    if parts:
        alternation = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
        for m in re.finditer(rf"(?<![\w'\u2019-])(?:{alternation})(?![\w'\u2019-])", text):
            candidates.append((m.start(), m.end(), "name", parts[m.group()]))
    candidates.sort(key=lambda c: (checks._PRIORITY.get(c[2], 5), c[0] - c[1]))
    kept: list[tuple[int, int, str, str]] = []
    for c in candidates:
        if all(c[1] <= k[0] or c[0] >= k[1] for k in kept):
            kept.append(c)
    return [
        Flag(
            kind,
            s,
            e,
            text[s:e],
            label=labeller.label(key) if kind == "name" else checks.PERSONAL_LABELS[kind],
        )
        for s, e, kind, key in sorted(kept)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_the_findings_are_what_a_rescan_finds(seed: int) -> None:
    rng = random.Random(seed)
    names = ["Anita Patel", "Jo Bloggs", "Sam O'Brien", "Smith", "Ann Lee"]
    for _ in range(300):
        text = _text(rng)
        known = set(rng.sample(names, rng.randint(0, 3)))
        assert find_hypothetical(text) == _reference_hypothetical(text), text
        assert find_personal_data(text, known) == _reference_personal(text, known), text


class _Counting:
    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.calls = pattern, 0

    def search(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        return self.pattern.search(text)


@pytest.mark.parametrize("repeats", [10, 100])
def test_a_long_sentence_is_searched_for_looking_ahead_once(
    monkeypatch: pytest.MonkeyPatch, repeats: int
) -> None:
    """It was searched again for every "I would" in it: 5,000 of them took 17 s."""
    counting = _Counting(checks._FORWARD)
    monkeypatch.setattr(checks, "_FORWARD", counting)
    flags = find_hypothetical("I would say " * repeats + ". I will call. Next time I would ask.")
    assert len(flags) == repeats + 1
    assert counting.calls == 3  # three sentences


def test_known_names_are_found_without_a_search_per_name(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []
    real = re.finditer

    def spy(pattern: str | re.Pattern[str], text: str, *args: object) -> object:
        compiled.append(str(pattern))
        return real(pattern, text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(checks.re, "finditer", spy)
    known = {f"Name{i} Person{i}" for i in range(300)} | {"Anita Patel"}
    flags = find_personal_data("Anita Patel rang. Later Name7 Person7 and Patel. " * 20, known)
    assert [f.text for f in flags[:4]] == ["Anita Patel", "Name7 Person7", "Patel", "Anita Patel"]
    assert compiled == []  # no alternation of every name compiled and run over the text


def test_a_name_written_oddly_is_still_found() -> None:
    text = "We spoke to Dr. Who about it; Dr. Who agreed."
    flags = find_personal_data(text, {"Dr. Who"})
    assert [f.text for f in flags] == ["Dr. Who", "Dr. Who"]
