"""Text work against the size of its input: Markdown render and sanitise, the search text made on
save, revision and evidence diffs, and the evidence checks, each at 1x, 10x and 100x input.

For each operation and size the best of `--repeat` batches is kept (the least disturbed by
other work on the machine; a batch repeats a quick call until it lasts about 0.1 s). The table
gives the time per unit of input (a link, a paragraph, a word) and its ratio at 10x and 100x
against 1x: linear work keeps the ratio near 1; work growing with the square of the input gives
about 10 and 100. Diffs start at 150 paragraphs: below about 100 lines a text goes to difflib
whole, and the curve would compare two different methods. `--before` adds Python-Markdown as it
was (no LinearExtension) to show the curve this replaced. A table is printed and appended to
bench/results.md with the date and the machine's load.

    .venv/bin/python bench/text_work.py [--repeat 5] [--before]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import markdown  # noqa: E402

from portfolio.content.diff import diff_text, diff_words  # noqa: E402
from portfolio.core.markdown import markdown_to_text, render_markdown  # noqa: E402
from portfolio.evidence.checks import (  # noqa: E402
    NameLabeller,
    coverage,
    find_hypothetical,
    find_personal_data,
)
from portfolio.qualifications.spec import load_rubrics  # noqa: E402

SCALES = (1, 10, 100)
# The most a unit of input may cost at 100x against 1x and still count as linear: caches and
# memory make big inputs a little dearer a unit, and the machine is shared; a quadratic is ~100.
LINEAR = 3
_SENTENCE = (
    "the customer asked about a refund for the kettle and I checked the receipt then "
    "explained the short term right to reject under the act and we agreed a return"
)
_WORDS = _SENTENCE.split()


def links_page(n: int) -> str:
    """The reported case: n links in one paragraph (15, 150, 1,500)."""
    return "Useful sources: " + " ".join(
        f'[source {i}](https://www.legislation.gov.uk/ukpga/2015/15/section/{i} "s{i}")'
        for i in range(n)
    )


def prose(rng: random.Random, paragraphs: int) -> str:
    return "\n\n".join(
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20))) for _ in range(paragraphs)
    )


def account(n_words: int) -> str:
    """A reflective account full of what the checks look for: names, numbers, would/will."""
    rng = random.Random(n_words)  # noqa: S311 - repeatable text
    bits = [
        "I would",
        "I'd already",
        "I will",
        "you should",
        "next time",
        "Mrs Patel",
        "Anita Patel",
        "named Jo Bloggs",
        "jo@example.com",
        "07700 900123",
        "order number AB12345",
        "SW1A 1AA",
        '"',
        "“",
        "”",
    ]
    out: list[str] = []
    for _ in range(n_words):
        out.append(rng.choice(bits) if rng.random() < 0.15 else rng.choice(_WORDS))
    return " ".join(out)  # one long sentence: the worst case for per-sentence work


def _edited(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for k in rng.sample(range(len(lines)), max(1, len(lines) // 20)):
        lines[k] += " (edited)"
    return "\n".join(lines)


def operations() -> list[tuple[str, str, int, Callable[[int], Callable[[], object]]]]:
    """(name, unit, units at 1x, a maker: units -> the call to time)."""
    points = [
        p
        for q in load_rubrics(ROOT / "rubrics")
        for u in q.units
        for e in u.elements
        for p in e.marking_points
    ]

    def render(n: int) -> Callable[[], object]:
        page = links_page(n)
        return lambda: render_markdown(page)

    def search_text(n: int) -> Callable[[], object]:
        page = links_page(n)
        return lambda: markdown_to_text(page)

    def diff_edit(n: int) -> Callable[[], object]:
        rng = random.Random(n)  # noqa: S311
        old = "\n\n".join(f"Paragraph {i}: {prose(rng, 1)}" for i in range(n))
        new = _edited(rng, old)
        return lambda: diff_text(old, new)

    def diff_unlike(n: int) -> Callable[[], object]:
        rng = random.Random(n)  # noqa: S311
        old, new = prose(rng, n), prose(rng, n)
        return lambda: diff_text(old, new)

    def diff_evidence(n: int) -> Callable[[], object]:
        rng = random.Random(n)  # noqa: S311
        old = " ".join(rng.choice(_WORDS) for _ in range(n))
        new = " ".join(rng.choice(_WORDS) for _ in range(n))
        return lambda: diff_words(old, new)

    def personal(n: int) -> Callable[[], object]:
        text = account(n)
        known = {"Anita Patel", "Jo Bloggs", "Sam O'Brien"} | {f"Name{i} Person" for i in range(50)}
        return lambda: find_personal_data(text, known, NameLabeller.for_texts([text]))

    def real_work(n: int) -> Callable[[], object]:
        text = account(n)
        return lambda: find_hypothetical(text)

    def would_sentence(n: int) -> Callable[[], object]:
        text = "I would say " * (n // 3)  # one sentence: each finding looked through it all
        return lambda: find_hypothetical(text)

    def emails(n: int) -> Callable[[], object]:
        text = "jo@example.com and " * (n // 3)  # every candidate checked against all kept
        return lambda: find_personal_data(text)

    def hostile_page(n: int) -> Callable[[], object]:
        """Unclosed links and tags: each walked to the end of the text before."""
        page = " ".join(["[a](<x", "[b](y 'z", "</a", "<a b", "[c](d)"][i % 5] for i in range(n))
        return lambda: render_markdown(page)

    def hints(n: int) -> Callable[[], object]:
        text = account(n)
        return lambda: coverage(text, points)

    return [
        ("Markdown render + sanitise (one paragraph)", "link", 15, render),
        ("Search text on save (markdown_to_text)", "link", 15, search_text),
        ("Revision diff, 5% of paragraphs edited", "paragraph", 150, diff_edit),
        ("Revision diff, unlike texts", "paragraph", 150, diff_unlike),
        ("Evidence word diff, unlike texts", "word", 50, diff_evidence),
        ("Personal-data check", "word", 50, personal),
        ("Real-work wording check", "word", 50, real_work),
        ('Real-work check, one sentence of "I would say"', "word", 60, would_sentence),
        ("Personal-data check, an email every 3 words", "word", 60, emails),
        ("Markdown, unclosed links and tags", "fragment", 50, hostile_page),
        ("Coverage hints from cue words", "word", 50, hints),
    ]


def best_of(call: Callable[[], object], repeat: int) -> float:
    """Seconds a call: the best of `repeat` batches, each of enough calls to last about 0.1 s,
    so the small sizes are not lost in the timer's and the machine's noise."""
    start = time.perf_counter()
    call()
    calls = max(1, int(0.1 / max(time.perf_counter() - start, 1e-6)))
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - start) / calls)
    return min(times)


def upstream_render(n: int) -> Callable[[], object]:
    page = links_page(n)
    return lambda: markdown.markdown(page, extensions=["tables", "sane_lists", "fenced_code"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", action="store_true", help="also Python-Markdown as it was")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    ops = operations()
    if args.before:
        ops.append(("Before: Python-Markdown alone", "link", 15, upstream_render))
    rows = []
    for name, unit, base, make in ops:
        seconds = []
        for scale in SCALES:
            call = make(base * scale)
            call()  # warm up: imports, compiled patterns, caches
            repeat = 1 if name.startswith("Before") and scale == 100 else args.repeat
            seconds.append(best_of(call, repeat))
        per_unit = [s / (base * scale) for s, scale in zip(seconds, SCALES, strict=True)]
        rows.append((name, unit, base, seconds, [p / per_unit[0] for p in per_unit]))
        print(f"{name}: " + ", ".join(f"{s:.4f} s" for s in seconds), flush=True)
    load_end = os.getloadavg()[0]

    header = (
        "| operation | input at 1x / 10x / 100x | 1x s | 10x s | 100x s "
        "| ratio a unit 10x | ratio a unit 100x |\n|---|---|---:|---:|---:|---:|---:|\n"
    )
    body = "".join(
        f"| {name} | {base:,} / {base * 10:,} / {base * 100:,} {unit}s "
        f"| {s[0]:.4f} | {s[1]:.4f} | {s[2]:.4f} | {r[1]:.2f} | {r[2]:.2f} |\n"
        for name, unit, base, s, r in rows
    )
    worst = max(r[2] for name, _, _, _, r in rows if not name.startswith("Before"))
    verdict = "met" if worst <= LINEAR else "**not met**"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n## text_work.py, {stamp}\n\n"
        "### Text work against input size (best of "
        f"{args.repeat}; a ratio near 1 is linear, 10 and 100 would be quadratic)\n\n"
        f"{header}{body}\n"
        f"Worst ratio a unit at 100x: {worst:.2f} (linear: ≤{LINEAR}, {verdict}; work growing "
        "with the square of the input would give about 100).\n\n"
        f"Machine: {os.cpu_count()} cores; load average {load_start:.2f} at the start, "
        f"{load_end:.2f} at the end.\n"
    )
    print(section)
    with (ROOT / "bench" / "results.md").open("a", encoding="utf-8") as results:
        results.write(section)


if __name__ == "__main__":
    main()
