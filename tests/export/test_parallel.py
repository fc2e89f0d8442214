"""A portfolio rendered in parts on two processes and joined (export/parallel.py) is the whole
pack's PDF page for page: the same pages and text (footers and contents numbers included), each
line where the whole render puts it, the same bookmarks, destinations, links and files; and the
parts run within the export's limits."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PageObject, PdfReader
from pypdf.generic import Destination

from portfolio.assessment.models import Outcome
from portfolio.core.pdf import RenderedPdf
from portfolio.core.render_process import (
    Limits,
    Progress,
    RenderFailed,
    RenderRequest,
    render_here,
    render_isolated,
)
from portfolio.export import pack as pack_module
from portfolio.export import parallel
from portfolio.export import services as export
from portfolio.export.facts import PortfolioPack, Scope
from portfolio.export.pack import build_pack, pack_json
from tests.assessment.support import resubmit
from tests.core import samples
from tests.export.support import World, build_world, page_texts, read_pdf, words
from tests.factories import Factory
from tests.iqa.support import decide

pytestmark = pytest.mark.usefixtures("ctx")

FIXED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


@pytest.fixture
def world(make: Factory, monkeypatch: pytest.MonkeyPatch) -> World:
    """The pack tests' learner, with more items in pts-a (one referred and sent again, so it
    has two attempts): pts-a's items then span several parts."""
    monkeypatch.setattr(pack_module, "utcnow", lambda: FIXED)
    world = build_world(make)
    referred = make.submission(world.learner, title="Blender repair")
    decide(world.assessor, referred, Outcome.REFERRED)
    decide(world.assessor, resubmit(referred.evidence_id, ("pts-a.1", "pts-a.4")))
    decide(world.assessor, make.submission(world.learner, title="Kettle exchange"))
    return world


Place = tuple[int | None, float, float]  # page index, left, top


def _place(reader: PdfReader, destination: Destination) -> Place:
    page = reader.get_destination_page_number(destination)
    return page, round(float(destination.left or 0), 2), round(float(destination.top or 0), 2)


def _outline(reader: PdfReader) -> list[tuple[int, str, Place]]:
    """(depth, title, place) of every bookmark, in order."""
    found: list[tuple[int, str, Place]] = []

    def walk(entries: list[Any], depth: int) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, depth + 1)
            else:
                found.append((depth, words(entry.title), _place(reader, entry)))

    walk(reader.outline, 0)
    return found


def _contents(texts: list[str]) -> list[tuple[str, int]]:
    """(entry, page number) of each contents line, from the pages before the declarations."""
    found = []
    for text in texts[1:]:
        if text.startswith("Declarations"):
            break
        lines = re.findall(r"\s*(.+?) ?\.{3,} ?(\d+)", text.removeprefix("Contents "))
        found += [(entry, int(number)) for entry, number in lines]
    return found


def _destinations(reader: PdfReader) -> dict[str, Place]:
    return {name: _place(reader, d) for name, d in reader.named_destinations.items()}


def _links(reader: PdfReader) -> list[list[str]]:
    """The named destinations each page's links go to, page by page."""
    return [
        [str(a.get_object()["/Dest"]) for a in page.get("/Annots", [])] for page in reader.pages
    ]


def _runs(page: PageObject) -> list[tuple[str, float, float]]:
    """The page's runs of text with the point each starts at, in page space."""
    found: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), round(x, 2), round(y, 2)))

    page.extract_text(visitor_text=visit)
    return found


def _untagged_whole(pack: PortfolioPack, world: World, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The whole pack rendered from render_portfolio's own request, but untagged like the
    parts, so each line's runs can be compared (tags split a line into runs)."""

    def here(request: RenderRequest, limits: Limits, on_progress: Progress | None = None) -> Any:
        return render_here(replace(request, tagged=False))

    with monkeypatch.context() as patch:
        patch.setattr(export, "render_isolated", here)
        return export.render_portfolio(world.learner, pack=pack).data


@pytest.mark.parametrize("parts", [0, 99], ids=["default-parts", "every-block-a-part"])
def test_the_joined_pdf_is_the_whole_pack_page_for_page(
    world: World, parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = build_pack(world.learner)
    whole = read_pdf(export.render_portfolio(world.learner, pack=pack).data)
    rendered = parallel.render_parallel(world.learner, pack=pack, parts=parts)
    joined = read_pdf(rendered.data)

    assert rendered.pages == len(joined.pages) == len(whole.pages)
    texts = page_texts(joined)
    assert texts == page_texts(whole)
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {len(texts)}" in text, number
    contents = _contents(texts)
    assert len(contents) == 5 + len(pack.elements) + len(pack.items), contents
    assert contents == _contents(page_texts(whole))
    for entry, number in contents:
        assert entry in texts[number - 1], (entry, number)
    outline = _outline(joined)
    assert [d for d, *_ in outline] == [0, 0, 0, 0, 1, 2, 3, 2, 3, 2, 3, 3, 2, 3, 1, 2, 3, 0, 0, 0]
    assert outline == _outline(whole)
    assert _destinations(joined) == _destinations(whole)
    assert _links(joined) == _links(whole)
    assert joined.attachments == {
        "portfolio.json": [pack_json(pack)],
        "returns-form.pdf": [samples.pdf_bytes()],
    }
    assert joined.metadata is not None and joined.metadata.title == "Portfolio of Lily Learner"
    assert str(joined.root_object["/Lang"]) == "en-GB"
    # Honest about what it is not: pypdf cannot join structure trees.
    assert "/StructTreeRoot" not in joined.root_object

    untagged = read_pdf(_untagged_whole(pack, world, monkeypatch))
    for number, (ours, theirs) in enumerate(zip(joined.pages, untagged.pages, strict=True), 1):
        assert _runs(ours) == _runs(theirs), number


def test_parts_run_at_once_within_the_exports_limits(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Limits, str]] = []

    def spy(request: RenderRequest, limits: Limits, on_progress: Progress | None = None) -> Any:
        seen.append((limits, threading.current_thread().name))
        return render_isolated(request, limits, on_progress)

    progress: list[tuple[str, int, int]] = []
    monkeypatch.setattr(parallel, "render_isolated", spy)
    rendered = parallel.render_parallel(
        world.learner,
        limits=Limits(120, 1000),
        on_progress=lambda stage, pages: progress.append((stage, pages, threading.get_ident())),
    )
    # Four body parts and the draft front, then the front and the footers on two processes.
    assert len(seen) == 4 + 1 + 1 + 2
    assert {limits.memory_mb for limits, _ in seen} == {500}
    assert all(0 < limits.seconds <= 120 for limits, _ in seen)
    assert len({thread for _, thread in seen}) == 2
    assert rendered.peak_memory > 0
    # A job's progress callback writes to its thread's database session: never another's.
    assert progress and {ident for *_, ident in progress} == {threading.get_ident()}
    assert progress[-1] == ("drawing", rendered.pages, threading.get_ident())


def test_a_part_that_fails_fails_the_export(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(request: RenderRequest, limits: Limits, on_progress: Progress | None = None) -> Any:
        if "Audit trail" in request.html:
            raise RenderFailed("The PDF could not be made.")
        return RenderedPdf(b"", 0)

    monkeypatch.setattr(parallel, "render_isolated", broken)
    with pytest.raises(RenderFailed, match="could not be made"):
        parallel.render_parallel(world.learner)


def test_an_export_out_of_time_says_how_long_it_may_take(world: World) -> None:
    with pytest.raises(RenderFailed, match=r"too busy to finish the export within 0\.001 seconds"):
        parallel.render_parallel(world.learner, limits=Limits(120, 0, wall=0.001))


def test_the_pack_splits_only_where_the_whole_pack_breaks_pages(world: World) -> None:
    pack = build_pack(world.learner)
    found = parallel.blocks(pack, 0)
    kinds = [b.kind for b in found]
    assert kinds == ["declarations", "tracking", *["element"] * 5, "files", "quizzes", "audit"]
    elements = [b for b in found if b.element]
    # A part may start at an element (its title and first item share a page) or at a later
    # item (each starts a page); the unit's title comes once, before its first element.
    assert [(len(b.items), b.continued, b.new_unit) for b in elements] == [
        (1, False, True),
        (1, True, False),
        (1, True, False),
        (1, True, False),
        (1, False, False),
    ]
    for count in (1, 2, 4, len(found), 99):
        runs = parallel.split(found, count)
        assert len(runs) == min(count, len(found))
        assert all(runs)
        items = [i for run in runs for b in run for i in b.items]
        assert items == pack.items  # every item once, in order
        # Neighbouring blocks of one element are one element section within a part.
        for run in runs:
            ids = [b.element.id for b in run if b.element]
            assert len(ids) == len(set(ids)), run


def test_only_a_big_pack_is_worth_splitting(world: World) -> None:
    pack = build_pack(world.learner)
    assert not parallel.worth_splitting(pack)
    element = pack.elements[0]
    bigger = replace(element, evidence=element.evidence * 15)  # 60 assessed items
    assert parallel.worth_splitting(replace(pack, elements=(bigger, *pack.elements[1:])))


def test_an_element_export_and_an_eqa_sample_join_too(world: World) -> None:
    for scope in (Scope("pts-b"), Scope(eqa=True)):
        pack = build_pack(world.learner, scope)
        whole = read_pdf(export.render_portfolio(world.learner, pack=pack).data)
        joined = read_pdf(parallel.render_parallel(world.learner, pack=pack).data)
        assert page_texts(joined) == page_texts(whole), scope
        assert _outline(joined) == _outline(whole), scope
