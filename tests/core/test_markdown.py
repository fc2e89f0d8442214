"""The one Markdown path: formatting survives, anything active is made inert, and images come
only from the app's own uploads."""

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


def test_an_external_image_loads_nothing() -> None:
    html = str(render_markdown("![x](https://evil.example/track.png)"))
    assert "evil.example" not in html and "src=" not in html and "<img" not in html


def test_an_uploaded_image_survives_with_its_alt_text() -> None:
    html = str(render_markdown("Keep the receipt.\n\n![Till receipt](/media/images/3)"))
    assert '<img alt="Till receipt" src="/media/images/3">' in html


def test_an_image_keeps_only_its_source_and_alt_text() -> None:
    html = str(
        render_markdown(
            '<img src="/media/images/3" alt="Receipt" title="t" lang="en" width="9" '
            'srcset="https://evil.example/x.png 2x" onerror="alert(1)">\n\n'
            '![Receipt](/media/images/4 "a title")'
        )
    )
    assert html.count("<img") == 2
    for needle in ("title=", "lang=", "width=", "srcset", "onerror", "evil.example"):
        assert needle not in html, (needle, html)


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/media/images/3",
        "//evil.example/media/images/3",
        "https://portfolio.invalid/media/images/3",
        "/media/images/3?size=big",
        "/media/images/3#x",
        "/media/images/3/../../../static/css/print.css",
        "/media/images/../images/3",
        "/media/images/",
        "/media/images/abc",
        "/media/images/\u0663",  # an Arabic-Indic digit: a digit to \d, not to us
        "/static/css/site.css",
        "media/images/3",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
    ],
)
def test_any_other_image_source_is_dropped_with_its_image(src: str) -> None:
    html = str(render_markdown(f'Before\n\n![x]({src})\n\n<img alt="y" src="{src}">\n\nAfter'))
    assert "<img" not in html and "src=" not in html, html
    assert "Before" in html and "After" in html
