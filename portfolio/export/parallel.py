"""A portfolio rendered in parts on several processes at once and joined into one PDF with the
pages, page numbers, contents, bookmarks, links and embedded files of the whole-pack render.

WeasyPrint lays out on one core, and the pack's parts depend on one another only through page
numbers, so the pack is cut where it breaks pages anyway and the pieces render side by side,
each in render_isolated (a process of its own, within the export's limits):

1. The body parts (declarations to audit trail) render without footers; so does a draft of
   the front (cover and contents) with guessed contents numbers and dots for leaders, whose
   page count is all that is kept.
2. With every page count known, the front renders with the real contents numbers and
   footers, and the body's footers render as pages holding nothing but "Page X of Y" (a tenth
   of the cost of a page of the pack), both at once.
3. pypdf joins them: each footer page is drawn over its body page as a form XObject; the
   bookmarks are rebuilt from the parts' (labels start with the heading's rank, see
   _pack_part_style.html, so they nest across parts); the named destinations come from the
   parts, so the contents' links land; portfolio.json and the files are embedded.

Limits. The joined PDF is neither tagged nor PDF/A: pypdf does not merge structure trees, and
without one a PDF/A-3b or PDF/UA claim would be false, so the parts render untagged and plain.
Use this only for exports that are not archival (pdfa=False); an archival export renders
whole. Each part gets the time left of the export's limit and an equal share of its memory
budget, so the processes together stay within it. A failed part fails the export; parts
already running finish within their own limits. The join runs in the calling process, outside
the limits (about 0.3 s for 500 pages). worth_splitting says whether a pack is big enough
for the second process to pay.
"""

from __future__ import annotations

import io
import itertools
import math
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import pypdf
import weasyprint
from flask import render_template
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    Destination,
    DictionaryObject,
    Fit,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

from portfolio.auth.models import User
from portfolio.core.pdf import EmbeddedFile, RenderedPdf, static_dir
from portfolio.core.render_process import (
    Limits,
    Progress,
    RenderFailed,
    RenderRequest,
    render_isolated,
    too_busy,
)
from portfolio.export import services
from portfolio.export.facts import ElementFacts, EvidenceFacts, PortfolioPack, Scope
from portfolio.export.pack import build_pack

Kind = Literal["declarations", "tracking", "element", "files", "quizzes", "audit"]


@dataclass(frozen=True)
class Block:
    """A run of the pack that starts a page in the whole pack, so a part may start with it: a
    section, or items of one element (`continued` when the element's title is in the part
    before). `weight` is its estimated cost, in pages of evidence."""

    kind: Kind
    weight: float
    element: ElementFacts | None = None
    items: tuple[EvidenceFacts, ...] = ()
    new_unit: bool = False
    continued: bool = False

    @property
    def anchors(self) -> list[str]:
        """The ids in it that the contents link to."""
        if self.element is None:
            return [self.kind]
        own = [] if self.continued else [f"element-{self.element.id}"]
        return own + [f"evidence-{item.id}" for item in self.items]


@dataclass(frozen=True)
class Part:
    """What one process renders (_pack_part.html): the front, whose footers count to
    `total` (a `draft` only for its page count), or a run of blocks."""

    blocks: tuple[Block, ...] = ()
    front: bool = False
    total: int = 0
    draft: bool = False


def _item_weight(item: EvidenceFacts) -> float:
    # About two pages an assessed attempt: the account, then its decision's table.
    return sum(1 + len(s.decisions) + len(s.attachments) / 2 for s in item.submissions)


def _table_weight(rows: int, per_row: float, longer: float) -> float:
    # A row of a long table costs more the longer the table (measured: bench/results.md).
    return 1 + rows * (per_row + rows * longer)


def blocks(pack: PortfolioPack, matrix_cells: int) -> list[Block]:
    """The pack as the smallest blocks a part can start with, in order, each weighed."""
    rows = sum(len(item.submissions) for item in pack.items)
    found = [
        # Each row's fingerprint breaks anywhere, which is slow to lay out.
        Block("declarations", _table_weight(rows, 0.1, 1 / 700)),
        # The matrix is one dense page: sixty cells cost a page of evidence.
        Block("tracking", 1 + matrix_cells / 60),
    ]
    unit = None
    for element in pack.elements:
        first, rest = element.evidence[:1], element.evidence[1:]
        weight = 0.5 + sum(_item_weight(item) for item in first)
        found.append(Block("element", weight, element, first, new_unit=element.unit_id != unit))
        unit = element.unit_id
        # The first item shares the element title's page; each later one starts a page.
        for item in rest:
            found.append(Block("element", _item_weight(item), element, (item,), continued=True))
    quizzes = len(pack.attempts) + len(pack.misconceptions_held) + len(pack.misconceptions_cleared)
    return [
        *found,
        Block("files", _table_weight(len(pack.attachments), 0.1, 1 / 700)),
        Block("quizzes", 1 + quizzes / 10),
        Block("audit", _table_weight(len(pack.audit), 0.08, 1 / 3500)),
    ]


# Below about this many pages, the parts' fixed costs (a process each, the draft front, the
# footers, the join) eat most of what the second process gains (bench/results.md).
SPLIT_FROM_PAGES = 100


def worth_splitting(pack: PortfolioPack) -> bool:
    """Whether render_parallel is likely to finish well before a whole render."""
    return sum(block.weight for block in blocks(pack, 0)) >= SPLIT_FROM_PAGES


def _merged(run: Sequence[Block]) -> tuple[Block, ...]:
    """Neighbouring blocks of one element as one, as the whole pack has one element section."""
    out: list[Block] = []
    for block in run:
        if out and block.continued and out[-1].element == block.element:
            last = out[-1]
            out[-1] = replace(
                last, items=last.items + block.items, weight=last.weight + block.weight
            )
        else:
            out.append(block)
    return tuple(out)


def split(found: Sequence[Block], count: int) -> list[tuple[Block, ...]]:
    """`found` cut into min(count, len(found)) runs of about equal weight, in order."""
    total = sum(b.weight for b in found)
    runs: list[tuple[Block, ...]] = []
    start, so_far = 0, 0.0
    for index, block in enumerate(found[:-1]):
        so_far += block.weight
        cuts_left = count - len(runs) - 1
        blocks_left = len(found) - index - 1
        due = so_far >= total * (len(runs) + 1) / count
        if cuts_left > 0 and (due or blocks_left <= cuts_left):
            runs.append(_merged(found[start : index + 1]))
            start = index + 1
    runs.append(_merged(found[start:]))
    return runs


class _Renders:
    """Documents rendered on `workers` threads, each in a process of its own, within one
    export's limits. Progress reaches `on_progress` from the calling thread only: a job's
    callback writes to that thread's database session."""

    def __init__(
        self, workers: int, limits: Limits, images: dict[str, Path], on_progress: Progress | None
    ) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="pdf-part")
        self._limits = limits
        self._share = limits.memory_mb // workers if limits.memory_mb > 0 else 0
        self._deadline = time.monotonic() + limits.clock
        self._static, self._images = static_dir(), images
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._laid_out: dict[int, int] = {}
        self.peaks: list[int] = []

    def submit(self, html: str) -> Future[RenderedPdf]:
        with self._lock:
            key = len(self._laid_out)
            self._laid_out[key] = 0

        def progress(stage: str, pages: int) -> None:
            with self._lock:
                self._laid_out[key] = pages

        def run() -> RenderedPdf:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise self._too_busy()
            request = RenderRequest(html, self._static, self._images)
            limits = Limits(self._limits.seconds, self._share, wall=left)
            rendered = render_isolated(request, limits, progress)
            with self._lock:
                self.peaks.append(rendered.peak_memory)
            return rendered

        return self._pool.submit(run)

    def results(
        self, futures: Sequence[Future[RenderedPdf]], *, layout: bool = False
    ) -> list[PdfReader]:
        """The documents, in order; while waiting for layout, the pages laid out so far."""
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            if layout and self._on_progress is not None:
                with self._lock:
                    pages = sum(self._laid_out.values())
                self._on_progress("layout", pages)
        try:
            rendered = [future.result() for future in futures]
        except RenderFailed:
            # The part was stopped at the clock time left to it: say so for the whole export.
            if time.monotonic() >= self._deadline:
                raise self._too_busy() from None
            raise
        return [PdfReader(io.BytesIO(done.data)) for done in rendered]

    def _too_busy(self) -> RenderFailed:
        return too_busy(self._limits)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class _Mark:
    """A place in the joined PDF: page index from 0, and the point on the page."""

    page: int
    left: float
    top: float


def _mark(reader: PdfReader, destination: Destination, offset: int) -> _Mark:
    page = reader.get_destination_page_number(destination)
    assert page is not None, destination  # WeasyPrint points every one at a page
    return _Mark(page + offset, float(destination.left or 0), float(destination.top or 0))


def _bookmarks(reader: PdfReader, offset: int) -> list[tuple[int, str, _Mark]]:
    """(heading rank, title, place) of each of a part's bookmarks, in order."""
    found: list[tuple[int, str, _Mark]] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                rank, _, title = str(entry.title).partition(" ")
                found.append((int(rank), title, _mark(reader, entry, offset)))

    walk(reader.outline)
    return found


def _anchors(reader: PdfReader, offset: int) -> dict[str, _Mark]:
    """Each named destination (an element's id) of a part."""
    return {
        str(name): _mark(reader, destination, offset)
        for name, destination in reader.named_destinations.items()
    }


class _Join:
    """The joined PDF: pages first, then bookmarks, destinations, metadata and files."""

    def __init__(self) -> None:
        self.writer = PdfWriter()
        self._save, self._restore = self._stream(b"q\n"), self._stream(b"\nQ\n")

    def _stream(self, data: bytes, **entries: PdfObject) -> IndirectObject:
        stream = DecodedStreamObject()
        stream.set_data(data)
        stream.update({NameObject(f"/{key}"): value for key, value in entries.items()})
        return self.writer._add_object(stream.flate_encode())

    def add(self, page: PageObject, footer: PageObject | None = None) -> None:
        added = self.writer.add_page(page)
        if footer is None:
            return
        form = self._stream(
            footer.get_contents().get_data(),  # type: ignore[union-attr]
            Type=NameObject("/XObject"),
            Subtype=NameObject("/Form"),
            BBox=ArrayObject(FloatObject(v) for v in footer.mediabox),
            Resources=footer["/Resources"].clone(self.writer),
        )
        name = NameObject(f"/Footer{len(self.writer.pages)}")
        resources = cast(DictionaryObject, added["/Resources"].get_object())
        xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject())
        cast(DictionaryObject, xobjects.get_object())[name] = form
        # WeasyPrint leaves the page's coordinates flipped at the end of its content: drawn
        # after q ... Q, the footer is drawn in the page's own space.
        contents = added.raw_get("/Contents")
        own = contents if isinstance(contents, ArrayObject) else [contents]
        draw = self._stream(f"q {name} Do Q\n".encode())
        added[NameObject("/Contents")] = ArrayObject([self._save, *own, self._restore, draw])

    def outline(self, entries: Iterable[tuple[int, str, _Mark]]) -> None:
        # Nested by heading rank: print.css gives each deeper heading a deeper level.
        parents: list[tuple[int, IndirectObject]] = []
        for rank, title, mark in entries:
            while parents and parents[-1][0] >= rank:
                parents.pop()
            item = self.writer.add_outline_item(
                title=title,
                page_number=mark.page,
                parent=parents[-1][1] if parents else None,
                fit=Fit.xyz(mark.left, mark.top, 0),
            )
            parents.append((rank, item))

    def destinations(self, anchors: dict[str, _Mark]) -> None:
        for name, mark in sorted(anchors.items()):
            page = self.writer.pages[mark.page].indirect_reference
            assert page is not None
            # Zoom 0 keeps the reader's zoom, as WeasyPrint writes it.
            place = [NameObject("/XYZ"), FloatObject(mark.left), FloatObject(mark.top)]
            self.writer.add_named_destination_array(
                TextStringObject(name), ArrayObject([page, *place, NumberObject(0)])
            )

    def finish(self, front: PdfReader, embedded: Sequence[EmbeddedFile]) -> bytes:
        producer = f"WeasyPrint {weasyprint.__version__}, joined by pypdf {pypdf.__version__}"
        self.writer.add_metadata({**(front.metadata or {}), "/Producer": producer})
        lang = cast(DictionaryObject, front.trailer["/Root"]).get("/Lang")
        if lang is not None:
            self.writer.root_object[NameObject("/Lang")] = TextStringObject(lang)
        for file in embedded:
            added = self.writer.add_attachment(file.name, file.data)
            added.description = TextStringObject(file.description)
            added.associated_file_relationship = NameObject(f"/{file.relationship}")
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def _guessed_pages(runs: Sequence[tuple[Block, ...]], front: int) -> dict[str, int]:
    """Each contents entry's page as the weights guess it: the draft front needs numbers of
    about the right width, no more."""
    pages, at = {}, front + 1.0
    for block in itertools.chain.from_iterable(runs):
        pages.update(dict.fromkeys(block.anchors, round(at)))
        at += block.weight
    return pages


def _footer_runs(front: int, total: int, workers: int) -> list[tuple[int, int]]:
    """The body's pages in `workers` runs: (first page number, how many)."""
    size = math.ceil((total - front) / workers)
    return [(start + 1, min(size, total - start)) for start in range(front, total, size)]


def render_parallel(
    learner: User,
    scope: Scope | None = None,
    *,
    pack: PortfolioPack | None = None,
    workers: int = 2,
    parts: int = 0,
    limits: Limits | None = None,
    on_progress: Progress | None = None,
) -> RenderedPdf:
    """The learner's portfolio as render_portfolio makes it with pdfa=False, but untagged,
    rendered in `parts` pieces (by default twice `workers`) on `workers` processes at once,
    within `limits` (by default the export's) taken as a whole. `peak_memory` is the sum of
    the `workers` largest peaks of those processes (at most that many run at once)."""
    pack = pack or build_pack(learner, scope)
    context = services.portfolio_context(learner, pack)
    images, embedded = services.pack_files(pack)
    cells = sum(len(g.table.rows) * len(g.table.columns) for g in context["grids"])
    runs = split(blocks(pack, cells), parts or 2 * workers)
    renders = _Renders(workers, limits or services.limits(), images, on_progress)

    def render(part: Part, **more: object) -> Future[RenderedPdf]:
        return renders.submit(
            render_template("export/_pack_part.html", part=part, **context, **more)
        )

    try:
        # Each part is handed over as soon as it is written, so the templates overlap the
        # rendering; the draft front comes last, to fill whichever process is idle first.
        body_jobs = [render(Part(run)) for run in runs]
        front_pages = 1 + math.ceil((len(pack.items) + len(pack.elements) + 5) / 45)
        guess = _guessed_pages(runs, front_pages)
        draft = render(
            Part(front=True, total=max(guess.values()), draft=True), contents_pages=guess
        )
        body = renders.results(body_jobs, layout=True)
        front_pages = len(renders.results([draft])[0].pages)
        counts = [len(reader.pages) for reader in body]
        # Real numbers seldom change the contents' length; if they do, go round again.
        for _ in range(3):
            offsets = list(itertools.accumulate(counts[:-1], initial=front_pages))
            total = front_pages + sum(counts)
            anchors = {
                name: mark
                for reader, offset in zip(body, offsets, strict=True)
                for name, mark in _anchors(reader, offset).items()
            }
            numbers = {name: anchors[name].page + 1 for name in guess}
            jobs = [render(Part(front=True, total=total), contents_pages=numbers)] + [
                renders.submit(
                    render_template("export/_pack_footers.html", first=n, count=c, total=total)
                )
                for n, c in _footer_runs(front_pages, total, workers)
            ]
            if on_progress is not None:
                on_progress("drawing", total)
            front, *footers = renders.results(jobs)
            if len(front.pages) == front_pages:
                break
            front_pages = len(front.pages)
        else:
            raise RenderFailed("The contents of the portfolio could not be laid out.")
    finally:
        renders.close()

    join = _Join()
    for page in front.pages:
        join.add(page)
    body_pages = itertools.chain.from_iterable(reader.pages for reader in body)
    footer_pages = itertools.chain.from_iterable(reader.pages for reader in footers)
    for page, footer in zip(body_pages, footer_pages, strict=True):
        join.add(page, footer)
    join.outline(
        itertools.chain(
            _bookmarks(front, 0),
            *(_bookmarks(reader, offset) for reader, offset in zip(body, offsets, strict=True)),
        )
    )
    # The front's own anchors stand in for the sections in other parts (_pack_part.html).
    join.destinations({**_anchors(front, 0), **anchors})
    data = join.finish(front, embedded)
    return RenderedPdf(data, total, sum(sorted(renders.peaks, reverse=True)[:workers]))
