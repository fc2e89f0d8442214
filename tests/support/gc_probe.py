"""A WSGI app that answers with how many objects the garbage collector has frozen in the
worker serving it: for the test of portfolio/gunicorn_conf.py's hook, run by a real gunicorn."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]
