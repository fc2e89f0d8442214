"""The gunicorn settings the README and the benchmark serve the app with: a real gunicorn,
a worker asked what its garbage collector has frozen."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from pathlib import Path

from bench.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def _get(port: int, seconds: float = 60.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            body = conn.getresponse().read().decode()
            conn.close()
            return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _frozen_in_a_worker(*config: str) -> int:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and the test's probe app
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            *config,
            "tests.support.gc_probe:app",
        ],
        cwd=ROOT,
    )
    try:
        return int(_get(port))
    finally:
        server.terminate()
        server.wait(30)


def test_a_worker_freezes_what_it_made_at_start() -> None:
    # What every full collection would otherwise scan: 130-150 ms at the large bench centre.
    assert _frozen_in_a_worker("--config", "python:portfolio.gunicorn_conf") > 1000
    # Without the settings nothing is frozen: the figure above is the hook's doing.
    assert _frozen_in_a_worker() == 0
