"""The portfolio PDF: bookmarks by unit, element and item; contents page numbers that point at
the right pages; the running header and footer; PDF/A-3b with portfolio.json and the learner's
non-image files embedded; scopes; hostile evidence text that loads nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from portfolio.auth.models import User
from portfolio.core.pdf import BASE_URL
from portfolio.evidence import services as evidence
from portfolio.export import pack as pack_module
from portfolio.export import services as export
from portfolio.export.facts import Scope
from portfolio.export.pack import build_pack, pack_json
from portfolio.extensions import db
from tests.core import samples
from tests.export.support import (
    OTHER,
    World,
    build_world,
    outline,
    page_texts,
    read_pdf,
    spy_on_fetcher,
)
from tests.factories import ACCOUNT, Factory

pytestmark = pytest.mark.usefixtures("ctx")

FIXED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


@pytest.fixture
def world(make: Factory, monkeypatch: pytest.MonkeyPatch) -> World:
    # One export time, so two builds of the pack give the same JSON.
    monkeypatch.setattr(pack_module, "utcnow", lambda: FIXED)
    return build_world(make)


def test_bookmarks_run_unit_element_item(world: World) -> None:
    reader = read_pdf(export.export_portfolio(world.learner))
    marks = outline(reader)
    titles = [(depth, title) for depth, title, _ in marks]
    assert (0, "Tracking matrix") in titles
    assert [t for d, t in titles if d == 0] == [
        "Contents",
        "Declarations",
        "Tracking matrix",
        "Deliver post-transaction service",  # the unit both elements belong to
        "Supporting files",
        "Quiz summary",
        "Appendix: audit trail",
    ]
    elements = [t for d, t in titles if d == 1]
    assert len(elements) == 2
    items = [t for d, t in titles if d == 2]
    assert items == ["E1. Kettle refund", "E2. Toaster exchange", "E3. Sofa complaint"]
    assert [t for d, t in titles if d == 3] == ["Attempt 1"] * 3
    texts = page_texts(reader)
    for depth, title, page in marks:
        assert title in texts[page - 1], (depth, title, page)


def test_the_contents_give_the_page_each_section_starts_on(world: World) -> None:
    reader = read_pdf(export.export_portfolio(world.learner))
    texts = page_texts(reader)
    contents = texts[1]
    assert contents.startswith("Contents")
    headings = [
        "Declarations",
        "Tracking matrix",
        "E1. Kettle refund",
        "E2. Toaster exchange",
        "E3. Sofa complaint",
        "Quiz summary",
        "Appendix: audit trail",
    ]
    previous = 2
    for heading in headings:
        match = re.search(re.escape(heading) + r" ?\.{3,} ?(\d+)", contents)
        assert match, (heading, contents)
        number = int(match.group(1))
        assert number > previous, heading
        assert heading in texts[number - 1]
        previous = number


def test_every_page_after_the_cover_has_the_running_header_and_footer(world: World) -> None:
    texts = page_texts(read_pdf(export.export_portfolio(world.learner)))
    assert len(texts) >= 6
    assert f"Page 1 of {len(texts)}" in texts[0]
    for number, text in enumerate(texts[1:], 2):
        assert "Lily Learner" in text, number
        assert "Exported 30 November 2026" in text, number
        assert f"Page {number} of {len(texts)}" in text, number


def test_pdfa_mode_embeds_the_json_and_the_files(world: World) -> None:
    reader = read_pdf(export.export_portfolio(world.learner, pdfa=True))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp
    assert "/MarkInfo" in root and "/StructTreeRoot" in root  # tagged
    assert root["/Lang"] == "en-GB"
    assert reader.metadata is not None and reader.metadata.title == "Portfolio of Lily Learner"
    files = reader.attachments
    assert files["portfolio.json"] == [pack_json(build_pack(world.learner))]
    assert files["returns-form.pdf"] == [samples.pdf_bytes()]
    assert "till-receipt.png" not in files  # an image is drawn inline instead
    # WeasyPrint shares one resource dictionary between pages: count each image once.
    images = {
        x.idnum: x.get_object()
        for page in reader.pages
        for x in (page["/Resources"].get("/XObject") or {}).values()
        if x.get_object().get("/Subtype") == "/Image"
    }
    assert [(i["/Width"], i["/Height"]) for i in images.values()] == [(64, 48)]


def test_an_element_export_holds_only_that_element(world: World) -> None:
    whole = " ".join(page_texts(read_pdf(export.export_portfolio(world.learner, Scope("pts-b")))))
    assert "E3. Sofa complaint" in whole
    assert "Kettle refund" not in whole and "Toaster exchange" not in whole


def test_an_eqa_export_holds_only_sampled_items_and_redacts_other_learners(
    world: World,
) -> None:
    whole = " ".join(page_texts(read_pdf(export.export_portfolio(world.learner, Scope(eqa=True)))))
    assert "E2. Toaster exchange" in whole
    assert "IQA: Agreed" in whole
    assert "Kettle refund" not in whole and "Sofa complaint" not in whole
    assert OTHER not in whole and "[another learner]" in whole
    assert "Left out of an EQA sample" in whole


HOSTILE = (
    '<script>alert(1)</script><img src="file:///etc/passwd">'
    '<link rel="stylesheet" href="http://example.com/x.css">'
    '<p style="width:99999999px">wide</p>' + "<div>" * 200 + "deep" + "</div>" * 200
)


def test_hostile_evidence_text_prints_as_text_and_loads_nothing(
    world: World, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = db.session.get(User, world.learner.id)
    assert learner is not None
    item = make.evidence(learner, title="Hostile", filled=False)
    evidence.save_draft(
        item,
        title="Hostile",
        sections={**ACCOUNT, "situation": ACCOUNT["situation"] + HOSTILE},
        claims=("pts-a.1",),
        expected_version=item.version,
    )
    evidence.submit_evidence(item, learner, learner.name)
    requested = spy_on_fetcher(monkeypatch)
    # (Its time is bounded by the rendering process's limits: tests/core/test_render_process.)
    reader = read_pdf(export.export_portfolio(world.learner))
    whole = " ".join(page_texts(reader))
    assert "<script>alert(1)</script>" in whole
    assert 'style="width:99999999px"' in whole
    images = {export.attachment_url(f) for f in build_pack(learner).attachments if f.inline}
    assert len(images) == 1
    allowed = {BASE_URL + "static/css/print.css", *images}
    assert requested and {url for url, _ in requested} <= allowed, requested
    assert all(ok for _, ok in requested), requested
