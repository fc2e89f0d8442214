"""The web benchmark's own parts: the load driver's statistics, the report's table and the
baseline app's pages (through its test client). Nothing here is timed."""

from __future__ import annotations

import math
import re

import pytest

from bench import baseline
from bench.load import Session, Stats, percentile
from bench.pages import ANALYTICAL, PLAIN, Page
from bench.web import Result, Run, growth, row, table


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(100, 0, -1)]  # 100 .. 1, unsorted on purpose
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert math.isnan(percentile([], 50))


def test_stats_add_up_and_give_requests_per_second() -> None:
    first = Stats(latencies=[0.01, 0.02], wall=1.0, statuses={200: 2})
    first.add(Stats(latencies=[0.03, 0.04], failures=1, wall=1.0, statuses={200: 2, 500: 1}))
    assert first.n == 4
    assert first.failures == 1
    assert first.rps == 2.0
    assert first.p50 == 0.02
    assert first.p95 == 0.04
    assert first.statuses == {200: 4, 500: 1}
    assert math.isnan(Stats().rps)


def test_the_driver_talks_only_to_this_machine() -> None:
    with pytest.raises(ValueError, match="only talks to this machine"):
        Session("example.org", 80)


def _result(
    name: str, target: float, app: list[float], keyset: list[float], linear: bool = False
) -> Result:
    return Result(
        Page(name, "iqa", "/x", target, linear=linear),
        statements=12,
        status=200,
        size=51_200,
        app=Stats(latencies=app, wall=1.0),
        keyset=Stats(latencies=keyset, wall=1.0),
        jinja=Stats(latencies=[0.001], wall=1.0),
    )


def test_a_report_row_says_the_ratio_and_whether_the_target_is_met() -> None:
    fast = _result("Caseload", PLAIN, [0.02] * 19 + [0.04], [0.01] * 20)
    assert row(fast) == ("| Caseload | 12 | 50 | 20 | 20 | 20.0 | 20 | 2.0 | ≤4x | yes |")
    slow = _result("Analytics", ANALYTICAL, [0.2] * 20, [0.01] * 20)
    assert row(slow).endswith("| 20.0 | ≤10x | **no** |")


def test_a_page_too_slow_to_load_shows_its_one_request_and_fails() -> None:
    alone = Result(Page("Audit", "iqa", "/audit/", ANALYTICAL), statements=237, status=200)
    alone.single = 25.0
    alone.keyset = Stats(latencies=[0.02] * 10, wall=1.0)
    assert not alone.met
    assert "≥25000" in row(alone)
    assert "not loaded" in row(alone)
    failed = _result("Users", PLAIN, [0.01], [0.01])
    failed.app.failures = 1
    assert not failed.met


def test_the_tables_have_a_row_a_page_and_the_large_small_ratio() -> None:
    csv = ("CSV", ANALYTICAL, [0.02], [0.01])
    small = Run(
        "SQLite",
        "small",
        "sqlite://",
        [_result("Caseload", PLAIN, [0.02], [0.01]), _result(*csv, linear=True)],
    )
    large = Run(
        "SQLite",
        "large",
        "sqlite://",
        [_result("Caseload", PLAIN, [0.05], [0.01]), _result("CSV", 10, [0.2], [0.01], True)],
    )
    lines = table(large)
    assert lines[0] == "### SQLite, large"
    assert lines[2].startswith("| page | statements | KB | p50 ms | p95 ms | rps |")
    assert sum(1 for line in lines if line.startswith("| Caseload")) == 1
    # The whole-centre CSV is judged by csv_stream.py (linear time), not counted here.
    assert "Targets met: 0 of 1 (" in lines[-1]
    assert "| CSV | 12 | 50 | 200 | 200 | 1.0 | 1 | 20.0 | linear | csv_stream.py |" in lines
    ratios = growth(small, large)
    ratio = next(line for line in ratios if line.startswith("| Caseload"))
    assert ratio == "| Caseload | 12 | 12 | 20 | 50 | 2.5 | ≤2x | **no** |"
    assert "| CSV | 12 | 12 | 20 | 200 | 10.0 | linear | csv_stream.py |" in ratios


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> baseline.Flask:
    url = f"sqlite:///{tmp_path_factory.mktemp('baseline') / 'rows.sqlite3'}"
    baseline.prepare(url, rows=120)
    baseline.prepare(url, rows=120)  # a second call leaves a full table alone
    return baseline.create_app(url)


def _ids(page: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"<tr><td>(\d+)</td>", page)]


def test_baseline_keyset_pages_through_the_rows(base: baseline.Flask) -> None:
    client = base.test_client()
    first = client.get("/keyset")
    assert first.status_code == 200
    assert _ids(first.data) == list(range(1, 51))
    assert b'href="?after=50"' in first.data
    last = client.get("/keyset?after=100")
    assert _ids(last.data) == list(range(101, 121))
    assert b"Next rows" not in last.data


@pytest.mark.parametrize("after", ["-1", "abc", "9" * 30, ""])
def test_baseline_keyset_reads_a_bad_cursor_as_the_first_page(
    base: baseline.Flask, after: str
) -> None:
    page = base.test_client().get(f"/keyset?after={after}")
    assert page.status_code == 200
    assert _ids(page.data)[0] == 1


def test_baseline_jinja_page_needs_no_database(base: baseline.Flask) -> None:
    page = base.test_client().get("/jinja")
    assert page.status_code == 200
    assert page.data.count(b"<p>Paragraph") == 50
    with base.app_context():
        assert baseline.db.session.get(baseline.Row, 120) is not None
