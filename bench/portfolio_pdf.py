"""The portfolio PDF export against WeasyPrint alone, measured in the same run.

For synthetic learners sized for about 10, 50, 200 and 500 pages (about two pages an assessed
evidence item), each repeat measures:

(a) services.render_portfolio end to end: the pack, the templates, the render in a child
    process; with the child's peak resident memory (VmHWM).
(b) WeasyPrint alone: render_html on the very request (a) rendered (HTML, files, embedded
    files, PDF/A, tags), in a fresh process (bench/weasyprint_alone.py), with its VmHWM.
    (b') the same request untagged and not PDF/A: the like-for-like baseline of (d).
(c) A cached re-export: the second of two export jobs for the unchanged portfolio, by
    jobs.run_job (EXPORT_RUNNER=inline), served from the cache.
(d) export.parallel.render_parallel end to end: the pack in parts on two processes at once.
(e) What each section costs: cover and contents, declarations, tracking matrix, evidence,
    the rest, each rendered alone as in (b') less an empty document's fixed cost.

Times are medians of the repeats; the ratios are of medians, so the machine's speed (and,
mostly, its noise) cancels out. A table is printed and appended to bench/results.md.

    .venv/bin/python bench/portfolio_pdf.py [--pages 10 50 200 500] [--repeat 3] [--plain]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Each render's child process imports this script again (the fork server prepares every child
# from the parent's __main__), so the app's and the tests' modules are imported only here, not
# at the top: otherwise every child would import pytest, Pillow and the rest again, about 0.2 s
# a render that no real worker pays (its __main__ is a small console script).
if __name__ == "__main__" or TYPE_CHECKING:
    from flask import render_template

    from portfolio.assessment import services as assessment
    from portfolio.assessment.models import Outcome, PointStatus
    from portfolio.auth.models import Role, User
    from portfolio.cli import load_data
    from portfolio.core.pdf import static_dir
    from portfolio.core.render_process import RenderRequest, render_isolated
    from portfolio.data import read_all
    from portfolio.export import jobs, parallel, services
    from portfolio.export.facts import Scope
    from portfolio.export.models import ExportJob
    from portfolio.export.pack import build_pack
    from portfolio.extensions import db
    from tests.conftest import make_app
    from tests.factories import Factory

MB = 1024 * 1024
SECTIONS = ("front", "declarations", "tracking", "evidence", "rest")


def build_learner(factory: Factory, pages: int) -> tuple[int, int]:
    """A learner with enough assessed evidence for about `pages` pages: (learner, assessor)."""
    assessor = factory.user(Role.ASSESSOR)
    learner = factory.learner(assessor=assessor)
    marker = db.session.get(User, assessor.id)
    assert marker is not None
    for n in range(max(1, round((pages - 6) / 2.2))):
        element = "pts-a" if n % 2 == 0 else "pts-b"
        claims = ("pts-a.1", "pts-a.4") if element == "pts-a" else ("pts-b.2", "pts-b.4")
        submission = factory.submission(
            learner, element_id=element, title=f"Evidence {n + 1}", claims=claims
        )
        marks = {c: assessment.PointMark(PointStatus.MET, "Shown clearly.") for c in claims}
        assessment.record_decision(marker, submission, marks, Outcome.ACCEPTED, "Well evidenced.")
    return learner.id, assessor.id


def alone(requests: list[RenderRequest]) -> dict[str, Any]:
    """The requests rendered one after another by WeasyPrint in a fresh process."""
    done = subprocess.run(  # noqa: S603 (this interpreter, our own script)
        [sys.executable, str(ROOT / "bench" / "weasyprint_alone.py")],
        input=pickle.dumps(requests),
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.decode().splitlines()[-1]))


BUSY = "sum(range(30_000_000))"


def spare_cores() -> float:
    """How many cores this process can have at once, now: one busy loop's time against two
    running together (2.0 on two idle cores; 1.0 when something else holds one)."""

    def busy(count: int) -> float:
        start = time.perf_counter()
        loops = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(count)]  # noqa: S603
        for loop in loops:
            loop.wait()
        return time.perf_counter() - start

    return 2 * busy(1) / busy(2)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def section_requests(learner: User, request: RenderRequest) -> list[RenderRequest]:
    """An empty document, then each section alone, as parts of the pack (untagged)."""
    pack = build_pack(learner)
    context = services.portfolio_context(learner, pack)
    cells = sum(len(g.table.rows) * len(g.table.columns) for g in context["grids"])
    found = parallel.blocks(pack, cells)
    anchors = [a for b in found for a in b.anchors]
    runs = {
        "empty": parallel.Part(),
        "front": parallel.Part(front=True, total=999),
        "declarations": parallel.Part(tuple(b for b in found if b.kind == "declarations")),
        "tracking": parallel.Part(tuple(b for b in found if b.kind == "tracking")),
        "evidence": parallel.Part(parallel.split([b for b in found if b.element], 1)[0]),
        "rest": parallel.Part(tuple(b for b in found if b.kind in ("files", "quizzes", "audit"))),
    }
    return [
        replace(
            request,
            html=render_template(
                "export/_pack_part.html",
                part=part,
                contents_pages=dict.fromkeys(anchors, 100),
                **context,
            ),
            embedded=(),
            tagged=False,
            pdfa=False,
        )
        for part in runs.values()
    ]


def measure(app: Any, pages: int, repeat: int, pdfa: bool) -> dict[str, Any]:
    factory = Factory(app)
    learner_id, assessor_id = build_learner(factory, pages)
    learner = db.session.get(User, learner_id)
    assessor = db.session.get(User, assessor_id)
    assert learner is not None and assessor is not None
    seen: list[RenderRequest] = []

    def spy(request: RenderRequest, *args: Any) -> Any:
        seen.append(request)
        return render_isolated(request, *args)

    setattr(services, "render_isolated", spy)  # noqa: B010 (the request (a) renders)
    # One export fills the cache, so every timed job after it is the second in a row.
    first = jobs.start_portfolio_export(assessor, learner, Scope(), pdfa=pdfa, again=True).job
    jobs.run_job(first.id)
    got: dict[str, list[float]] = defaultdict(list)

    def ours() -> None:
        seen.clear()
        seconds, rendered = timed(lambda: services.render_portfolio(learner, pdfa=pdfa))
        got["a"].append(seconds)
        got["a_peak"].append(rendered.peak_memory)
        got["pages"].append(rendered.pages)

    def weasyprint() -> None:
        base = alone([seen[-1]])  # the request (a) rendered last
        got["b"].append(base["renders"][0]["seconds"])
        got["b_peak"].append(base["peak"])

    def split() -> None:
        seconds, joined = timed(lambda: parallel.render_parallel(learner))
        got["par"].append(seconds)
        got["par_peak"].append(joined.peak_memory)
        assert joined.pages == got["pages"][-1], (joined.pages, got["pages"])

    def plain_and_sections() -> None:
        plain = replace(seen[-1], tagged=False, pdfa=False)
        rest = alone([plain, *section_requests(learner, seen[-1])])["renders"]
        got["b_plain"].append(rest[0]["seconds"])
        for name, done in zip(SECTIONS, rest[2:], strict=True):
            got[name].append(done["seconds"] - rest[1]["seconds"])  # less the empty document
            got[name + "_pages"].append(done["pages"])

    for round_ in range(repeat):
        # Each pair swaps places every round, so a drift in the machine's load favours neither;
        # the ratios are taken within a round, between neighbours.
        for pair in ((ours, weasyprint), (split, plain_and_sections)):
            for step in pair if round_ % 2 == 0 else reversed(pair):
                step()
        job = jobs.start_portfolio_export(assessor, learner, Scope(), pdfa=pdfa, again=True).job
        got["cached"].append(timed(partial(jobs.run_job, job.id))[0])
        done_job = db.session.get(ExportJob, job.id)
        assert done_job is not None and done_job.from_cache, "the second export was not cached"
        got["a/b"].append(got["a"][-1] / got["b"][-1])
        got["peak a/b"].append(got["a_peak"][-1] / got["b_peak"][-1])
        got["cached/b"].append(got["cached"][-1] / got["b"][-1])
        got["par/b"].append(got["par"][-1] / got["b"][-1])
        got["par/b_plain"].append(got["par"][-1] / got["b_plain"][-1])
    setattr(services, "render_isolated", render_isolated)  # noqa: B010
    result = {key: statistics.median(values) for key, values in got.items()}
    result["items"] = len(build_pack(learner).items)
    return result


def report(rows: list[dict[str, Any]], note: str) -> list[str]:
    head = [
        "(a) export end to end vs (b) WeasyPrint alone on the same request, fresh process.",
        "",
        "| pages | items | (a) s | (b) s | a/b ≤1.15 | (a) peak MB | (b) peak MB | peak a/b ≤1 "
        "| cached re-export s | cached/b ≤0.05 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        head.append(
            f"| {r['pages']:.0f} | {r['items']} | {r['a']:.2f} | {r['b']:.2f} | {r['a/b']:.3f} "
            f"| {r['a_peak'] / MB:.0f} | {r['b_peak'] / MB:.0f} | {r['peak a/b']:.3f} "
            f"| {r['cached']:.3f} | {r['cached/b']:.4f} |"
        )
    head += [
        "",
        "(d) parallel (render_parallel, 2 processes) vs (b), and vs (b') WeasyPrint alone on "
        "the same request untagged and not PDF/A. The joined PDF is neither tagged nor PDF/A "
        "(pypdf does not merge structure trees), so it is only for exports that are not "
        "archival; par/b' is the like-for-like ratio, par/b what an archival export costs.",
        "",
        "| pages | (b) s | (b') s | parallel s | par/b <0.65 | par/b' | parallel peak MB "
        "(2 processes) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        head.append(
            f"| {r['pages']:.0f} | {r['b']:.2f} | {r['b_plain']:.2f} | {r['par']:.2f} "
            f"| {r['par/b']:.3f} | {r['par/b_plain']:.3f} "
            f"| {r['par_peak'] / MB:.0f} |"
        )
    head += [
        "",
        "(e) Each section rendered alone (untagged), less an empty document's fixed cost: "
        "seconds / pages / ms a page; share = the section's part of the sections' total.",
        "",
        "| pages | " + " | ".join(SECTIONS) + " | matrix share |",
        "|---:|" + "---:|" * (len(SECTIONS) + 1),
    ]
    for r in rows:
        total = sum(r[name] for name in SECTIONS)
        cells = [
            f"{r[n]:.2f} / {r[n + '_pages']:.0f} / {1000 * r[n] / r[n + '_pages']:.0f}"
            for n in SECTIONS
        ]
        head.append(
            f"| {r['pages']:.0f} | " + " | ".join(cells) + f" | {r['tracking'] / total:.3f} |"
        )
    return [*head, "", note]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 50, 200, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plain", action="store_true", help="(a) and (b) without PDF/A")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    started, load, spare = time.perf_counter(), os.getloadavg()[0], spare_cores()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))  # the tests' settings: fast hashing, jobs run inline
        with app.app_context(), app.test_request_context():
            db.create_all()
            load_data(read_all(ROOT / "rubrics", ROOT / "content"))
            # Starts the render server, outside the clock.
            render_isolated(RenderRequest("<p>warm</p>", static_dir()), services.limits())
            for pages in args.pages:
                rows.append(measure(app, pages, args.repeat, not args.plain))
                print("\n".join(report(rows[-1:], "")), flush=True)
    minutes = (time.perf_counter() - started) / 60
    note = (
        f"{args.repeat} repeats, (a) and (b) {'plain' if args.plain else 'PDF/A-3b'} and "
        f"tagged; run took {minutes:.1f} min. Machine: {os.cpu_count()} cores; load average "
        f"{load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; cores free for two "
        f"busy loops {spare:.2f} at the start, {spare_cores():.2f} at the end (2.00 = both)."
    )
    lines = report(rows, note)
    print("\n".join(lines))
    if not args.no_record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with (ROOT / "bench" / "results.md").open("a", encoding="utf-8") as out:
            out.write(f"\n## portfolio_pdf.py, {stamp}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
