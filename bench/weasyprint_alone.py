"""WeasyPrint alone, in a fresh process: the baseline bench/portfolio_pdf.py measures against.

Reads a pickled list of RenderRequest from stdin, warms up as the render server does (one
tiny document, so fonts are loaded before the clock starts), renders each request with
portfolio.core.pdf.render_html (plain WeasyPrint with our fetcher) and prints one JSON line:
each render's seconds and pages, and the process's peak resident memory (VmHWM) at the end,
which is the peak of the first render when there is only one.

    .venv/bin/python bench/weasyprint_alone.py < requests.pickle
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portfolio.core.pdf import render_html
from portfolio.core.render_process import RenderRequest, render_here


def peak_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    requests: list[RenderRequest] = pickle.load(sys.stdin.buffer)  # noqa: S301 (our own pipe)
    render_html("<p>warm</p>", requests[0].static)
    renders = []
    for request in requests:
        start = time.perf_counter()
        result = render_here(request)  # WeasyPrint on the request, in this process
        renders.append({"seconds": time.perf_counter() - start, "pages": result.pages})
    print(json.dumps({"renders": renders, "peak": peak_bytes()}))


if __name__ == "__main__":
    main()
