"""The whole-centre cohort CSV at each size: time and the server's peak memory, to show time
linear in learners and memory that does not grow with them.

Each size is downloaded in a fresh child process (the app and Flask's test client, signed in
as an internal quality assurer, the response read chunk by chunk as a WSGI server would send
it), once unmeasured and then measured: the steady state of a server that has served it.
Before the measured request the child resets its peak-memory mark (Linux
/proc/self/clear_refs), so the peak read after it is the request's own; the growth is that
peak less the memory in use just before. A table is printed and appended to bench/results.md.

    .venv/bin/python -m bench.csv_stream --size small --size large [--database sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import servers
from bench.web import ensure_centre

PATH = "/assessment/cohort.csv?learners=all"
MB = 1024 * 1024
# Linear: seconds per learner at the largest size at most this many times the smallest's;
# bounded: the request's memory growth at the largest size at most the smallest's plus this
# (the allocator's noise; ten times the learners must not need more memory).
TIME_SLACK, MEMORY_SLACK_MB = 1.5, 2.0


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(url: str) -> dict[str, Any]:
    """In this process: one download of the whole-centre CSV, measured."""
    from sqlalchemy import func, select

    from bench.pages import choose
    from bench.web import make_app
    from portfolio.auth.models import Role, User, UserRole
    from portfolio.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp))
        with app.app_context():
            iqa = choose().people["iqa"][0]
            token = db.session.scalar(select(User.session_token).where(User.id == iqa))
            learners = db.session.scalar(
                select(func.count()).select_from(UserRole).where(UserRole.role == Role.LEARNER)
            )
            db.session.remove()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        # Outside the clock and the memory mark, the whole CSV once: a server that has served
        # it before, with its caches as full as they get. SQLite's page cache alone (bounded by
        # its cache_size, 2 MB by default) otherwise fills during the measured download at the
        # large size and not at the small one, which is a cache reaching its limit, not memory
        # growing with learners.
        warm = client.get(PATH, buffered=False)
        for _chunk in warm.response:
            pass
        warm.close()
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to VmRSS
            reset = True
        except OSError:
            reset = False
        before = _status("VmRSS")
        start = time.perf_counter()
        response = client.get(PATH, buffered=False)
        size = rows = 0
        first = None
        for chunk in response.response:
            first = first if first is not None else time.perf_counter() - start
            size += len(chunk)
            rows += chunk.count(b"\n")
        response.close()
        seconds = time.perf_counter() - start
        peak = _status("VmHWM")
    return {
        "status": response.status_code,
        "learners": learners,
        "bytes": size,
        "rows": rows,
        "seconds": seconds,
        "first_byte": first or seconds,
        "before": before,
        "peak": peak,
        "reset": reset,
    }


def measure(url: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "bench.csv_stream", "--child", url],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def report(database: str, found: list[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = [
        f"### Cohort CSV, all learners ({database}): streamed in-process, one fresh process a size",
        "",
        "| size | learners | rows | MB | first byte s | total s | ms a learner | memory before MB "
        "| peak MB | growth MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in found:
        lines.append(
            f"| {size} | {r['learners']} | {r['rows']} | {r['bytes'] / MB:.2f} "
            f"| {r['first_byte']:.2f} | {r['seconds']:.2f} "
            f"| {1000 * r['seconds'] / max(r['learners'], 1):.2f} | {r['before'] / MB:.0f} "
            f"| {r['peak'] / MB:.0f} | {(r['peak'] - r['before']) / MB:.1f} |"
        )
    if len(found) > 1:
        small, large = found[0][1], found[-1][1]
        per = (large["seconds"] / max(large["learners"], 1)) / (
            small["seconds"] / max(small["learners"], 1)
        )
        grew = (large["peak"] - large["before"]) / MB
        base = (small["peak"] - small["before"]) / MB
        lines += [
            "",
            f"Time a learner, {found[-1][0]} against {found[0][0]}: {per:.2f} (linear: "
            f"≤{TIME_SLACK}, {'met' if per <= TIME_SLACK else '**not met**'}). The request's "
            f"memory growth: {grew:.1f} MB against {base:.1f} MB (bounded: at most "
            f"{MEMORY_SLACK_MB:.0f} MB more, "
            f"{'met' if grew <= base + MEMORY_SLACK_MB else '**not met**'}).",
        ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", action="append", help="tiny, small, large (repeat, in order)")
    parser.add_argument("--database", action="append", help="sqlite, postgresql, or a URL")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return
    load = os.getloadavg()
    lines: list[str] = []
    for kind in args.database or ["sqlite"]:
        found = []
        for size in args.size or ["small", "large"]:
            url = servers.database_url(kind, size)
            with tempfile.TemporaryDirectory() as tmp:
                ensure_centre(url, size, Path(tmp))
            found.append((size, measure(url)))
            print(size, found[-1][1], flush=True)
        lines += [*report(servers.dialect(servers.database_url(kind, "x")), found), ""]
    after = os.getloadavg()
    lines.append(
        f"Machine: {os.cpu_count()} cores; load average {load[0]:.2f} at the start, "
        f"{after[0]:.2f} at the end."
    )
    print("\n".join(lines))
    if not args.no_record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with (servers.ROOT / "bench" / "results.md").open("a", encoding="utf-8") as out:
            out.write(f"\n## csv_stream.py, {stamp}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
