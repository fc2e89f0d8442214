"""Python-Markdown made linear: the same HTML as upstream, a bounded amount of work per link,
and a hostile page still comes out safe."""

from __future__ import annotations

import random
from html.parser import HTMLParser

import markdown as md
import pytest

from portfolio.core import markdown_linear
from portfolio.core.markdown import markdown_to_text, render_markdown
from portfolio.core.markdown_linear import PATTERNS, TAG_LIMIT, LinearExtension

EXTENSIONS = ["tables", "sane_lists", "fenced_code"]


def upstream(text: str) -> str:
    return md.markdown(text, extensions=EXTENSIONS)


def linear(text: str) -> str:
    return md.markdown(text, extensions=[*EXTENSIONS, LinearExtension()])


TRICKY = [
    "See [the act](https://www.legislation.gov.uk/ukpga/2015/15) and [CRA][cra].\n\n"
    "[cra]: https://www.legislation.gov.uk/ukpga/2015/15/contents",
    "[a [nested] text](/x) and ![alt](/media/images/3 \"t\") then [b](<y z> 'title')",
    '[t](url "title") [u](url \'it\'s\') [v](url (x)) [w](url "a (b" )',
    '[a](x "y ( tail text here',  # upstream's quirk: kept
    "[a](x 'y' \"z\") [b](x \"y' ') [c](x ' ( ) ')",
    "[[[[x]]]](y) [unclosed [a](b) [ [c](d)",
    "[a](b)![i](/m):])[r]<a ')\n\n[r]: /u",
    "[short] and [short][] and ![img][short]\n\n[short]: /s",
    '<b>bold</b> <img src="/media/images/1" alt="a > b"> </a> <a href=\'x\'>y</a>',
    "<div>\nblock\n</div>\n\ntext <a title='unclosed> more <b>",
    "`[a](b)` \\[not\\](link) *em [a](b)* **[c](d)**",
    "| a | [b](c) |\n|---|---|\n| [d](e) | f |",
    '- [a](b)\n- [c](d "e")\n\n1. ![x](y)\n2. <https://e.example/>',
]


@pytest.mark.parametrize("text", TRICKY)
def test_the_html_is_upstreams(text: str) -> None:
    assert linear(text) == upstream(text)


def test_random_bracket_soup_renders_as_upstream() -> None:
    pieces = [*"[]()'\"  xy!<>\n*`\\:", "[a](b)", "![i](/m)", "[r]", "\n\n[r]: /u\n\n"]
    rng = random.Random(12)
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        assert linear(text) == upstream(text), text


def test_the_patterns_replaced_keep_their_names_and_order() -> None:
    plain, ours = md.Markdown(), md.Markdown(extensions=[LinearExtension()])
    assert [type(p).__name__ for p in ours.inlinePatterns] != [
        type(p).__name__ for p in plain.inlinePatterns
    ]
    names = {name for name, _, _ in PATTERNS}
    assert [n for n in _names(ours) if n in names] == [n for n in _names(plain) if n in names]
    assert _names(ours) == _names(plain)


def _names(m: md.Markdown) -> list[str]:
    return [item.name for item in m.inlinePatterns._priority]


def _links(n: int) -> str:
    return " ".join(f'[link {i}](https://example.com/{i} "t{i}")' for i in range(n))


def test_the_bracket_index_is_built_a_fixed_number_of_times_however_many_links(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quadratic cause was an index of the whole paragraph rebuilt after every link."""
    builds: list[int] = []
    real = markdown_linear._Structure.__init__

    def counting(self: object, data: str) -> None:
        builds.append(len(data))
        real(self, data)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown_linear._Structure, "__init__", counting)
    counts = []
    for n in (15, 150):
        builds.clear()
        render_markdown(_links(n))
        counts.append(len(builds))
    assert counts[0] == counts[1] <= 6


@pytest.mark.parametrize("size", [10, TAG_LIMIT - 100, TAG_LIMIT + 100])
def test_a_raw_html_block_is_read_as_upstream_within_the_tag_limit(size: int) -> None:
    text = f'<div title="{"y" * size}">\nblock *x*\n</div>\n\n*after*'
    if size < TAG_LIMIT:
        assert linear(text) == upstream(text)
    else:  # beyond it the tag is read as inline HTML in a paragraph; the words all stay
        html = str(render_markdown(text))
        assert "block" in html and "<em>after</em>" in html and "<div" not in html


def test_a_hostile_page_of_links_and_broken_html_still_comes_out_safe() -> None:
    parts = []
    for i in range(1500):
        parts.append(
            [
                f"[ok {i}](https://example.com/{i})",
                f"[bad {i}](javascript:alert({i}))",
                f"![x](https://evil.example/{i}.png)",
                f'<a href="javascript:alert({i})" onclick="x()">',
                "<script>alert(1)</script>",
                "[a](<x ",
                "</a ",
                "<img src=x onerror=alert(1) ",
            ][i % 8]
        )
    page = " ".join(parts)
    html = str(render_markdown(page))
    tags = _Tags()
    tags.feed(html)
    assert tags.names <= {"p", "a", "img"}, tags.names
    for name, value in tags.attributes:
        assert not name.startswith("on") and name in {"href", "rel", "src", "alt"}, name
        if name == "href" and value:  # a link's own text may be odd, but never active
            assert not value.strip().lower().startswith(("javascript:", "data:", "//")), value
        if name == "src":
            assert value is not None and value.startswith("/media/images/"), value
    assert 'href="https://example.com/0"' in html
    assert linear(page) == upstream(page)  # broken as upstream breaks it, no more
    assert "ok 0" in markdown_to_text(page)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.extend(attrs)
