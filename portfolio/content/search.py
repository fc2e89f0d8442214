"""Full-text search over published pages: SQLite FTS5 on the embedded default, PostgreSQL's
text search elsewhere. Snippets come back with matches wrapped in <mark>, and nothing else
of the page's text is trusted as HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import DDL, event, text

from portfolio.content.models import Page, PageStatus
from portfolio.extensions import db

# Control characters cannot occur in page text, so they mark matches unambiguously until
# the snippet is escaped and they become <mark> tags.
_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)

CREATE_FTS = DDL(  # type: ignore[no-untyped-call]
    "CREATE VIRTUAL TABLE IF NOT EXISTS page_fts USING fts5("
    "page_id UNINDEXED, title, body, tokenize = 'porter unicode61')"
)
# Tests build the schema with create_all; migrations create the same table for real databases.
event.listen(Page.__table__, "after_create", CREATE_FTS.execute_if(dialect="sqlite"))


@dataclass(frozen=True)
class Hit:
    page: Page
    snippet: Markup


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def index_page(page: Page) -> None:
    """Bring the search index in line with this page; the caller commits."""
    if not _is_sqlite():
        return  # PostgreSQL searches the page table itself
    db.session.execute(text("DELETE FROM page_fts WHERE page_id = :id"), {"id": page.id})
    if page.status is PageStatus.PUBLISHED:
        db.session.execute(
            text("INSERT INTO page_fts (page_id, title, body) VALUES (:id, :title, :body)"),
            {"id": page.id, "title": page.title, "body": page.search_text},
        )


def _highlight(snippet: str) -> Markup:
    return Markup(str(escape(snippet)).replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S704


def search_pages(query: str, limit: int = 30) -> list[Hit]:
    words = _WORD.findall(query)[:12]
    if not words:
        return []
    if _is_sqlite():
        # Each word quoted: the user's text never reaches FTS5's query syntax.
        match = " ".join('"' + w.replace('"', "") + '"' for w in words)
        rows = db.session.execute(
            text(
                "SELECT page_id, snippet(page_fts, 2, :a, :b, '…', 16) FROM page_fts "
                "WHERE page_fts MATCH :q ORDER BY rank LIMIT :n"
            ),
            {"q": match, "a": _START, "b": _STOP, "n": limit},
        ).all()
    else:
        rows = db.session.execute(
            text(
                "SELECT id, ts_headline('english', search_text, q, :opts) FROM page, "
                "plainto_tsquery('english', :q) q "
                "WHERE status = 'published' AND "
                "to_tsvector('english', title || ' ' || search_text) @@ q "
                "ORDER BY ts_rank(to_tsvector('english', title || ' ' || search_text), q) DESC "
                "LIMIT :n"
            ),
            {
                "q": " ".join(words),
                "n": limit,
                "opts": f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12",
            },
        ).all()
    pages = {
        p.id: p
        for p in db.session.scalars(db.select(Page).where(Page.id.in_([r[0] for r in rows])))
    }
    return [Hit(pages[r[0]], _highlight(r[1])) for r in rows if r[0] in pages]
