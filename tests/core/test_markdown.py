"""The one Markdown path: formatting survives, anything active is made inert."""

from __future__ import annotations

import pytest

from portfolio.core.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<svg onload=alert(1)>",
    '<object data="evil.swf"></object>',
    '<form action="https://evil.example"><input name="q"></form>',
    "<style>body{display:none}</style>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "![x](https://evil.example/track.png)",
    "<details open ontoggle=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_active_content_is_made_inert(payload: str) -> None:
    html = str(render_markdown(f"Before\n\n{payload}\n\nAfter")).lower()
    for needle in (
        "<script",
        "onerror",
        "onclick",
        "onload",
        "ontoggle",
        "javascript:",
        "data:",
        "<iframe",
        "style=",
        "<style",
        "<object",
        "<form",
        "<svg",
        "<img",
    ):
        assert needle not in html, (needle, html)
    assert "before" in html and "after" in html


def test_formatting_survives() -> None:
    html = str(
        render_markdown(
            "## Rights\n\n- **30 days**\n- [CRA](https://www.legislation.gov.uk/)\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |"
        )
    )
    assert "<h2>Rights</h2>" in html
    assert "<strong>30 days</strong>" in html
    assert (
        'href="https://www.legislation.gov.uk/"' in html
        and 'rel="noopener noreferrer nofollow"' in html
    )
    assert "<table>" in html and "<td>1</td>" in html


def test_h1_is_reserved_for_the_page_title() -> None:
    assert "<h1>" not in str(render_markdown("# Title"))
