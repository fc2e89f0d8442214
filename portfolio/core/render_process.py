"""Rendering a PDF in a process of its own, with a time limit and a memory budget.

WeasyPrint runs in C libraries too (Pango, HarfBuzz) where a hostile or huge document can
take minutes or gigabytes; in a child process that is killed on overrun, such a document
fails with a message and whoever asked (a web worker, a queue worker) carries on. Every
render gets a fresh child, forked from a server that has WeasyPrint imported already: the
start costs milliseconds, and no memory creeps from one job to the next (a long-lived
WeasyPrint process grows with every document).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from portfolio.core.pdf import EmbeddedFile, RenderedPdf, render_html

log = logging.getLogger(__name__)

# Called with what WeasyPrint is doing ("layout", "drawing") and the pages laid out so far.
Progress = Callable[[str, int], None]


class RenderFailed(Exception):
    """The document could not be rendered; the message is for the person who asked."""


# A render runs only when no web request wants the core (lower_priority), so on a busy server
# it waits: its time limit counts the seconds it computes, and the clock stops it only after
# this many times as long.
WAITING_FACTOR = 3


def wall_seconds(seconds: float) -> float:
    """How long by the clock a render limited to `seconds` of computing may take."""
    return seconds * WAITING_FACTOR


@dataclass(frozen=True)
class Limits:
    # Seconds of computing (CPU time) the render may use: a hostile document's cost, however
    # busy the server is.
    seconds: float
    # Memory the render may use on top of what a fresh rendering process already maps.
    memory_mb: int
    # By the clock, stopped regardless (wall_seconds(seconds) unless given).
    wall: float | None = None

    @property
    def clock(self) -> float:
        return self.wall if self.wall is not None else wall_seconds(self.seconds)


@dataclass(frozen=True)
class RenderRequest:
    html: str
    static: Path
    files: dict[str, Path] = field(default_factory=dict)
    embedded: Sequence[EmbeddedFile] = ()
    pdfa: bool = False
    tagged: bool = False


def render_here(request: RenderRequest) -> RenderedPdf:
    """The request rendered in this process, with no limits: what the child runs."""
    return render_html(
        request.html,
        request.static,
        request.files,
        embedded=request.embedded,
        pdfa=request.pdfa,
        tagged=request.tagged,
    )


_context_lock = threading.Lock()
_context: multiprocessing.context.ForkServerContext | None = None


def _fork_context() -> multiprocessing.context.ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # Imported (and warmed) once in the server, so each render starts warm.
            # "__main__" too: otherwise every child imports the parent's main script again
            # (for `portfolio run`, the whole app: about 0.2 s a render).
            context.set_forkserver_preload(["__main__", "portfolio.core.render_server"])
            _context = context
        return _context


def _status_bytes(field: str) -> int:
    """A size from /proc/self/status: VmSize (mapped) or VmHWM (peak resident)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class _ProgressToParent(logging.Handler):
    """Passes WeasyPrint's progress log on to the parent, at most a few times a second."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(logging.INFO)
        self._conn = conn
        self._pages = 0
        self._sent = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Creating layout - Page" in message and "up-to-date" not in message:
            self._pages = max(self._pages, int(message.rsplit(" ", 1)[-1]))
            stage = "layout"
        elif "Creating PDF" in message or "Adding PDF metadata" in message:
            stage = "drawing"
        else:
            return
        now = time.monotonic()
        if stage == "layout" and now - self._sent < 0.25:
            return
        self._sent = now
        self._conn.send(("progress", stage, self._pages))


# A render is a background job that can hold a core for minutes; web requests must not wait
# behind it. At nice 10 the kernel still gives it about a tenth of a busy core's time against a
# web worker (weights 110 to 1024), which measured as 12-20% on the caseload page's p95 while a
# 200-page export ran on 2 cores; at 19, about 1.5% (weight 15), which still measured 12-40%
# (the render keeps a core between requests and a waking request waits for the switch). A
# render's child therefore also moves to SCHED_IDLE, which runs only when nothing else wants
# the core: 0.96 in the same measurement. Its time limit counts its own CPU time, so waiting
# for a core on a busy server does not fail it (Limits). The export worker (cli.py) stays at
# nice 19 only: it holds database transactions, which must not stall waiting for a core.
RENDER_NICENESS = 19


def lower_priority(*, idle: bool = False) -> int:
    """Give this process RENDER_NICENESS more niceness than it had (the kernel caps it at 19)
    and, with `idle`, the idle scheduling policy where the system has it; return the
    niceness it now has."""
    niceness = os.nice(RENDER_NICENESS)
    policy = getattr(os, "SCHED_IDLE", None)
    if idle and policy is not None:
        try:
            os.sched_setscheduler(0, policy, os.sched_param(0))
        except OSError:  # refused (a locked-down container): nice 19 alone
            log.info("SCHED_IDLE refused; the render runs at nice %s", niceness)
    return niceness


def _limit_cpu(seconds: float) -> None:
    """The kernel ends this process with SIGXCPU after `seconds` of CPU time (whole seconds,
    at least one), without a core file."""
    whole = max(1, math.ceil(seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (whole, whole + 5))


def _child(conn: Connection, request: RenderRequest, memory_mb: int, seconds: float) -> None:
    # Under memory pressure, finalisers fail noisily on stderr; the parent reports the cause.
    sys.unraisablehook = lambda _unraisable: None
    try:
        lower_priority(idle=True)
        _limit_cpu(seconds)
        if memory_mb > 0:
            limit = _status_bytes("VmSize") + memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        progress = logging.getLogger("weasyprint.progress")
        progress.setLevel(logging.INFO)
        progress.propagate = False
        progress.addHandler(_ProgressToParent(conn))
        result = render_here(request)
        conn.send(("done", result.pages, _status_bytes("VmHWM")))
        conn.send_bytes(result.data)
    except MemoryError:
        conn.send(("memory",))
    except Exception:
        log.exception("rendering failed")
        conn.send(("error",))
    finally:
        conn.close()


def too_long(limits: Limits) -> RenderFailed:
    return RenderFailed(
        f"The export took longer than the {limits.seconds:g} seconds an export may take, "
        "so it was stopped. Export one element at a time, or ask an administrator to "
        "raise PORTFOLIO_EXPORT_SECONDS."
    )


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:g} seconds"


def too_busy(limits: Limits) -> RenderFailed:
    return RenderFailed(
        f"The server was too busy to finish the export within {_duration(limits.clock)}, "
        "so it was stopped. Try again when fewer exports are running."
    )


def _too_big(limits: Limits) -> RenderFailed:
    return RenderFailed(
        f"The export needed more than the {limits.memory_mb} MB of memory an export may "
        "use, so it was stopped. Export one element at a time, or ask an administrator "
        "to raise PORTFOLIO_EXPORT_MEMORY_MB."
    )


_BROKEN = "The PDF could not be made because of an error while laying out the pages."
# How a child ends when an allocation fails in C rather than in Python.
_OUT_OF_MEMORY = (-signal.SIGKILL, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGTRAP)


def render_isolated(
    request: RenderRequest, limits: Limits, on_progress: Progress | None = None
) -> RenderedPdf:
    """The request rendered in a child process; RenderFailed if it overruns `limits` or
    breaks. The child is always gone when this returns."""
    context = _fork_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, request, limits.memory_mb, limits.seconds))
    child.start()
    sender.close()
    deadline = time.monotonic() + limits.clock
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise too_busy(limits)
            if not receiver.poll(min(remaining, 0.5)):
                continue
            try:
                message = receiver.recv()
            except EOFError:
                # The child died without a word: killed by the kernel or aborted inside a C
                # library, which is how an allocation over the budget usually ends (GLib ends
                # the child with SIGTRAP when a g_malloc fails or a thread cannot start).
                child.join(5)
                if child.exitcode == -signal.SIGXCPU:
                    raise too_long(limits) from None
                if child.exitcode in _OUT_OF_MEMORY:
                    raise _too_big(limits) from None
                raise RenderFailed(_BROKEN) from None
            if message[0] == "progress":
                if on_progress is not None:
                    on_progress(message[1], message[2])
            elif message[0] == "done":
                return RenderedPdf(receiver.recv_bytes(), message[1], message[2])
            elif message[0] == "memory":
                raise _too_big(limits)
            else:
                raise RenderFailed(_BROKEN)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()
