"""Rendering in a child process: a document renders with its progress reported; one that
overruns its time or memory, or breaks the child, fails with a message for the person who
asked, and the process that asked carries on rendering."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pytest

from portfolio.config import ROOT
from portfolio.core.pdf import EmbeddedFile
from portfolio.core.render_process import Limits, RenderFailed, RenderRequest, render_isolated

STATIC = ROOT / "portfolio" / "static"
ROOMY = Limits(seconds=120, memory_mb=2048)
# One paragraph this long takes WeasyPrint many seconds and a few hundred megabytes to lay out.
HUGE = "<p>" + "word " * 300_000 + "</p>"


def pages(count: int) -> str:
    body = "".join(
        f'<p style="page-break-after: always">Page {n} of the test.</p>' for n in range(count)
    )
    return f"<html><body>{body}</body></html>"


def render(html: str, limits: Limits = ROOMY, **fields: Any) -> int:
    """The page count of `html` rendered in a child, having checked it is a PDF."""
    result = render_isolated(RenderRequest(html, STATIC, **fields), limits)
    assert result.data.startswith(b"%PDF-")
    return result.pages


def test_a_small_document_renders() -> None:
    assert render(pages(3)) == 3


def test_progress_is_reported_as_layout_then_drawing() -> None:
    seen: list[tuple[str, int]] = []
    result = render_isolated(
        RenderRequest(pages(3), STATIC), ROOMY, lambda stage, done: seen.append((stage, done))
    )
    stages = [stage for stage, _ in seen]
    assert stages[0] == "layout" and "drawing" in stages, seen
    assert set(stages) == {"layout", "drawing"}
    # Layout first, then drawing, never back again; drawing knows every page.
    assert stages == sorted(stages, key=["layout", "drawing"].index), seen
    assert all(done == result.pages == 3 for stage, done in seen if stage == "drawing"), seen


def test_a_document_over_the_time_limit_is_stopped_and_the_next_renders() -> None:
    with pytest.raises(RenderFailed) as failed:
        # The clock allowed plenty: on a busy machine the idle-priority child takes its time
        # to use its half second of computing, and that is the limit that must stop it.
        render(HUGE, Limits(seconds=0.5, memory_mb=2048, wall=300))
    assert str(failed.value).startswith(
        "The export took longer than the 0.5 seconds an export may take, so it was stopped."
    )
    assert "PORTFOLIO_EXPORT_SECONDS" in str(failed.value)
    assert render(pages(2)) == 2


def test_the_time_limit_counts_computing_not_waiting_for_a_core() -> None:
    """On a busy server the render (at the idle priority) waits for a core: a wait longer
    than its limit does not fail it."""
    import multiprocessing
    import signal
    import time

    stopped: list[int] = []

    def stop_it_a_while(stage: str, done: int) -> None:
        if stopped:
            return
        (child,) = multiprocessing.active_children()
        assert child.pid is not None
        stopped.append(child.pid)
        os.kill(child.pid, signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(child.pid, signal.SIGCONT)

    result = render_isolated(
        RenderRequest(pages(3), STATIC), Limits(seconds=1, memory_mb=2048), stop_it_a_while
    )
    assert stopped and result.pages == 3


def test_a_render_that_waits_past_the_clock_limit_is_stopped_and_the_next_renders() -> None:
    with pytest.raises(RenderFailed) as failed:
        render(HUGE, Limits(seconds=120, memory_mb=2048, wall=0.5))
    assert str(failed.value).startswith("The server was too busy to finish the export within")
    assert render(pages(2)) == 2


@pytest.mark.parametrize(
    ("html", "memory_mb"),
    [
        # Runs out while parsing, in Python: the child reports a MemoryError.
        pytest.param("<p>" + "word " * 1_000_000 + "</p>", 1, id="in-python"),
        # Runs out in C: shaping one word a million letters long, Pango asks GLib for 20 MB
        # at once, and GLib ends the child with SIGTRAP when it cannot have them.
        pytest.param("<p>" + "x" * 1_000_000 + "</p>", 8, id="in-c"),
    ],
)
def test_a_document_over_the_memory_budget_is_stopped_and_the_next_renders(
    html: str, memory_mb: int
) -> None:
    with pytest.raises(RenderFailed) as failed:
        render(html, Limits(seconds=120, memory_mb=memory_mb))
    assert str(failed.value).startswith(
        f"The export needed more than the {memory_mb} MB of memory an export may use, "
        "so it was stopped."
    )
    assert "PORTFOLIO_EXPORT_MEMORY_MB" in str(failed.value)
    assert render(pages(2)) == 2


class _DieOnArrival:
    """Unpickled in the child, before any rendering starts: the child exits at once, as a
    process does when a C library aborts it without a signal."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return (os._exit, (3,))


@pytest.mark.parametrize(
    "fields",
    [
        # An embedded file whose data is not bytes: WeasyPrint raises inside the child.
        pytest.param({"embedded": (EmbeddedFile("x.txt", cast(bytes, 5)),)}, id="raises"),
        pytest.param({"files": {"x": cast(Path, _DieOnArrival())}}, id="dies"),
    ],
)
def test_a_child_that_breaks_fails_with_a_message_and_the_next_renders(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(RenderFailed) as failed:
        render(pages(1), **fields)
    assert str(failed.value) == (
        "The PDF could not be made because of an error while laying out the pages."
    )
    assert render(pages(2)) == 2


def _report_priority(queue: Any, idle: bool) -> None:
    from portfolio.core.render_process import lower_priority

    lower_priority(idle=idle)
    queue.put((os.nice(0), os.sched_getscheduler(0)))


@pytest.mark.parametrize(
    ("idle", "policy"),
    [
        # A render's child: runs only when no web request wants the core.
        pytest.param(True, os.SCHED_IDLE, id="render"),
        # The export worker holds database transactions: lowered, never starved.
        pytest.param(False, os.SCHED_OTHER, id="worker"),
    ],
)
def test_background_work_runs_below_the_priority_of_web_requests(idle: bool, policy: int) -> None:
    import multiprocessing

    from portfolio.core.render_process import RENDER_NICENESS

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_report_priority, args=(queue, idle))
    child.start()
    child.join(10)
    assert queue.get(timeout=5) == (min(19, os.nice(0) + RENDER_NICENESS), policy)
