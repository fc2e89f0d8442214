"""Portfolio PDF export against WeasyPrint alone, measured in the same run.

For a synthetic learner with N assessed evidence items, times (a) our whole export
(queries, templates, WeasyPrint) and (b) WeasyPrint rendering the very same final HTML
with the same fetcher. The ratio a/b is the cost of everything that is ours; the machine's
speed cancels out. Results are appended to bench/results.md.

    .venv/bin/python bench/pdf_export.py [--items 2 10 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from portfolio.assessment import services as assessment  # noqa: E402
from portfolio.assessment.models import Outcome, PointStatus  # noqa: E402
from portfolio.auth.models import Role, User  # noqa: E402
from portfolio.cli import load_data  # noqa: E402
from portfolio.core.pdf import render_pdf  # noqa: E402
from portfolio.data import read_all  # noqa: E402
from portfolio.export import services as export  # noqa: E402
from portfolio.extensions import db  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.factories import Factory  # noqa: E402


def build_learner(factory: Factory, items: int) -> int:
    assessor = factory.user(Role.ASSESSOR)
    learner = factory.learner(assessor=assessor)
    marker = db.session.get(User, assessor.id)
    for n in range(items):
        element = "pts-a" if n % 2 == 0 else "pts-b"
        claims = ("pts-a.1", "pts-a.4") if element == "pts-a" else ("pts-b.2", "pts-b.4")
        submission = factory.submission(
            learner, element_id=element, title=f"Evidence {n + 1}", claims=claims
        )
        marks = {c: assessment.PointMark(PointStatus.MET, "Shown clearly.") for c in claims}
        assessment.record_decision(marker, submission, marks, Outcome.ACCEPTED, "Well evidenced.")
    return learner.id


def timed(fn) -> tuple[float, bytes]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[2, 10, 40])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))  # the tests' settings: fast hashing, no server
        with app.app_context(), app.test_request_context():
            db.create_all()
            load_data(read_all(ROOT / "rubrics", ROOT / "content"))
            factory = Factory(app)
            for items in args.items:
                learner = db.session.get(User, build_learner(factory, items))
                ours, base = [], []
                for _ in range(args.repeat):
                    t_ours, pdf = timed(lambda who=learner: export.export_portfolio(who))
                    html = export.portfolio_html(learner)
                    t_base, _ = timed(lambda page=html: render_pdf(page))
                    ours.append(t_ours)
                    base.append(t_base)
                pages = len(PdfReader(__import__("io").BytesIO(pdf)).pages)
                a, b = statistics.median(ours), statistics.median(base)
                rows.append((items, pages, a, b, a / b))
                print(
                    f"{items:>4} items {pages:>4} pages  ours {a:6.2f}s  "
                    f"weasyprint alone {b:6.2f}s  ratio {a / b:5.2f}",
                    flush=True,
                )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"\n## pdf_export.py, {stamp}\n",
        "| evidence items | pages | ours (s) | WeasyPrint alone (s) | ratio |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {i} | {p} | {a:.2f} | {b:.2f} | {r:.2f} |" for i, p, a, b, r in rows]
    with (ROOT / "bench" / "results.md").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
