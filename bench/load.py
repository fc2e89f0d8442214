"""A small, bounded HTTP load driver for the web benchmark: signed-in sessions over keep-alive
connections to 127.0.0.1, a batch of requests on N threads, and the statistics of a batch.

Every loop has a count and a deadline and every request a timeout, so a slow page ends a
batch early rather than hanging the run. Only loopback addresses are accepted.
"""

from __future__ import annotations

import http.client
import math
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

LOOPBACK = ("127.0.0.1", "localhost")
CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value with at least q% of the values at or
    below it (p50 of 1..100 is 50, p95 is 95). NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Stats:
    """What a set of requests gave: latencies in seconds, failures, and the wall time the
    requests took together (for requests per second)."""

    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    wall: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def rps(self) -> float:
        return self.n / self.wall if self.wall > 0 else math.nan

    def add(self, other: Stats) -> None:
        self.latencies += other.latencies
        self.failures += other.failures
        self.wall += other.wall
        for code, count in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + count


class Session:
    """One signed-in user's cookies, shared by the connections of a batch (read only once
    signed in: the pages measured are GETs)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the benchmark only talks to this machine, not {host!r}")
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def headers(self) -> dict[str, str]:
        found = {"User-Agent": "portfolio-bench/1", "Accept": "text/html,*/*"}
        if self.cookies:
            found["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return found

    def keep(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def request(
        self,
        path: str,
        method: str = "GET",
        body: dict[str, str] | None = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        """One request (a fresh connection unless one is given): status, body, headers."""
        own = conn is None
        conn = conn or self.connect()
        try:
            headers = self.headers()
            data = None
            if body is not None:
                data = urlencode(body)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            content = response.read()
            self.keep(response)
            return response.status, content, dict(response.headers.items())
        finally:
            if own:
                conn.close()

    def login(self, email: str, password: str) -> None:
        """Signs in as a person would: the form's CSRF token, then the form posted."""
        status, page, _ = self.request("/auth/login")
        token = CSRF.search(page)
        if status != 200 or token is None:
            raise RuntimeError(f"no sign-in form at /auth/login ({status})")
        status, _, _ = self.request(
            "/auth/login",
            "POST",
            {"csrf_token": token.group(1).decode(), "email": email, "password": password},
        )
        if status not in (302, 303):
            raise RuntimeError(f"could not sign in as {email} ({status}); wrong password?")


def batch(
    session: Session,
    path: str,
    connections: int = 8,
    per_connection: int = 5,
    seconds: float = 30.0,
) -> Stats:
    """`connections` threads, each with its own keep-alive connection, each sending up to
    `per_connection` GETs of `path` one after another; no request is started after `seconds`.
    A request that fails or times out counts as a failure (its connection is opened again)."""
    stats = Stats()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = session.connect()
        mine: list[float] = []
        failed = 0
        codes: dict[int, int] = {}
        try:
            for _ in range(per_connection):
                if time.perf_counter() > deadline:
                    break
                start = time.perf_counter()
                try:
                    status, _, _ = session.request(path, conn=conn)
                except (OSError, http.client.HTTPException):
                    failed += 1
                    conn.close()
                    conn = session.connect()
                    continue
                codes[status] = codes.get(status, 0) + 1
                if status == 200:
                    mine.append(time.perf_counter() - start)
                else:
                    failed += 1
        finally:
            conn.close()
            with lock:
                stats.latencies += mine
                stats.failures += failed
                for code, count in codes.items():
                    stats.statuses[code] = stats.statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        # Bounded: every request has the session's timeout; a thread can run at most
        # `seconds` plus one request.
        thread.join(seconds + session.timeout * 2)
    stats.wall = time.perf_counter() - started
    return stats
