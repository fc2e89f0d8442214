"""Building PDFs with WeasyPrint from the same templates as the site: a learner's portfolio,
and an element's revision sheet."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from portfolio.assessment import services as assessment
from portfolio.auth.models import User
from portfolio.content import services as content
from portfolio.content.models import Page
from portfolio.core.pdf import BASE_URL, EmbeddedFile, RenderedPdf, static_dir
from portfolio.core.render_process import Limits, Progress, RenderRequest, render_isolated
from portfolio.db import utcnow
from portfolio.evidence import attachments
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Attachment
from portfolio.export import store
from portfolio.export.facts import AttachmentFacts, PortfolioPack, Scope
from portfolio.export.pack import build_pack, pack_json
from portfolio.extensions import db
from portfolio.media import services as media
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element


def attachment_url(file: AttachmentFacts) -> str:
    """The address an inline image has in the pack: served only because the pack names it."""
    return f"{BASE_URL}evidence-files/{file.id}"


def portfolio_context(learner: User, pack: PortfolioPack) -> dict[str, Any]:
    """What export/portfolio.html (and each part of a split render) is drawn from."""
    shown = {e.id for e in pack.elements}
    return {
        "pack": pack,
        # The matrix is the learner page's own grid, for the elements this pack covers; an
        # EQA sample leaves it out, as it would show decisions nobody sampled.
        "grids": []
        if pack.scope.eqa
        else [g for g in assessment.tracking_grid(learner) if g.element.id in shown],
        "specs": evidence_services.evidence_types(),
        "attachment_url": attachment_url,
        "exported_at": pack.exported_at,
    }


def portfolio_html(
    learner: User, scope: Scope | None = None, pack: PortfolioPack | None = None
) -> str:
    pack = pack or build_pack(learner, scope)
    return render_template("export/portfolio.html", **portfolio_context(learner, pack))


def pack_files(pack: PortfolioPack) -> tuple[dict[str, Path], list[EmbeddedFile]]:
    """The inline images the render may fetch (URL -> file), and the files to embed: the
    facts as portfolio.json, and each other attachment from the bytes the app reads."""
    images: dict[str, Path] = {}
    about = "The facts of this portfolio as JSON"
    embedded = [EmbeddedFile("portfolio.json", pack_json(pack), about, "Data")]
    for file in pack.attachments:
        row = db.session.get(Attachment, file.id)
        if row is None:
            continue
        if file.inline:
            # Fetched by the exact address the template gives it; nothing else is.
            images[attachment_url(file)] = attachments.attachment_path(row)
        elif (data := attachments.read_attachment(row)) is not None:
            embedded.append(EmbeddedFile(file.filename, data, f"SHA-256 {file.sha256}", "Source"))
    return images, embedded


def export_portfolio(learner: User, scope: Scope | None = None, *, pdfa: bool = False) -> bytes:
    """The learner's portfolio PDF bytes (see render_portfolio)."""
    return render_portfolio(learner, scope, pdfa=pdfa).data


def limits() -> Limits:
    config = current_app.config
    return Limits(float(config["EXPORT_SECONDS"]), int(config["EXPORT_MEMORY_MB"]))


def render_portfolio(
    learner: User,
    scope: Scope | None = None,
    *,
    pdfa: bool = False,
    pack: PortfolioPack | None = None,
    on_progress: Progress | None = None,
) -> RenderedPdf:
    """The learner's portfolio (whole, one element, or an EQA sample) as PDF bytes, with its
    facts as portfolio.json and each non-image file embedded; PDF/A-3b when `pdfa`. Rendered
    in a child process within the export limits (RenderFailed says why if not)."""
    pack = pack or build_pack(learner, scope)
    images, embedded = pack_files(pack)
    request = RenderRequest(
        portfolio_html(learner, pack=pack),
        static_dir(),
        images,
        embedded=tuple(embedded),
        pdfa=pdfa,
        tagged=True,
    )
    return render_isolated(request, limits(), on_progress)


def sheet_html(element: Element, pages: Sequence[Page]) -> str:
    return render_template(
        "export/sheet.html",
        element=element,
        pages=pages,
        centre=current_app.config["CENTRE_NAME"],
        exported_at=utcnow(),
    )


class SheetsBusy(Exception):
    """Too many fresh revision sheets asked for by one person: the message says when to ask."""


# Fresh revision sheets (each about 4 s of a core) one person may have made per hour, in this
# process; a sheet already made for the same pages comes from the cache and is not counted.
SHEETS_PER_HOUR = 10
_sheet_lock = threading.Lock()
_sheets_made: dict[int, deque[float]] = {}


def _sheet_key(html: str, files: dict[str, Path]) -> str:
    """The sheet's cache key: its HTML (every published page's text, the centre's name, the
    day), its images (name, size, time written) and everything else that draws it
    (store.template_version)."""
    digest = hashlib.sha256(f"sheet/{store.template_version()}/".encode())
    digest.update(html.encode())
    for url, path in sorted(files.items()):
        info = path.stat() if path.is_file() else None
        size, written = (info.st_size, info.st_mtime_ns) if info else (-1, 0)
        digest.update(f"{url}:{size}:{written}".encode())
    return digest.hexdigest()


def _count_fresh_sheet(user_id: int) -> None:
    now = time.monotonic()
    with _sheet_lock:
        made = _sheets_made.setdefault(user_id, deque())
        while made and now - made[0] > 3600:
            made.popleft()
        if len(made) >= SHEETS_PER_HOUR:
            wait = max(1, round((3600 - (now - made[0])) / 60))
            raise SheetsBusy(
                f"You have made {SHEETS_PER_HOUR} new revision sheets in the last hour. "
                f"Sheets you have already downloaded still work; try a new one in {wait} minutes."
            )
        made.append(now)


def export_revision_sheet(element_id: str, user_id: int) -> bytes | None:
    """Every published page of the element as one printable PDF, with the pages' own images;
    None if there is no such element. Kept under the hash of what it shows, so the same sheet
    asked for again is read from the file (the pages change rarely; a render costs seconds),
    and a person may make at most SHEETS_PER_HOUR fresh ones an hour (SheetsBusy)."""
    element = qualifications.get_element(element_id)
    if element is None:
        return None
    pages = content.pages_for_element(element.id)
    # Only these pages' images may be fetched: a body naming another page's image (a draft's,
    # another element's) or any outside address gets nothing.
    html, files = sheet_html(element, pages), media.image_files_for(pages)
    name = f"sheets/{_sheet_key(html, files)}.pdf"
    if store.touch(name):
        return store.path_of(name).read_bytes()
    _count_fresh_sheet(user_id)
    data = render_isolated(RenderRequest(html, static_dir(), files), limits()).data
    store.write(name, data)
    return data
