"""The comment bank: comments assessors saved against a marking point, offered again beside
that point whenever it is marked. Shared by the centre's assessors; each deletes only their
own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import select

from portfolio.assessment.marking import PointMark
from portfolio.assessment.models import CommentBankEntry
from portfolio.auth.models import User
from portfolio.extensions import db

MAX_PER_POINT = 20  # the most recent ones: a longer list under a comment box helps nobody


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def bank_for(point_ids: Iterable[str]) -> dict[str, list[CommentBankEntry]]:
    """The saved comments for each of these points, newest first, one of each wording."""
    ids = list(point_ids)
    found: dict[str, list[CommentBankEntry]] = {p: [] for p in ids}
    if not ids:
        return found
    seen: set[tuple[str, str]] = set()
    rows = db.session.scalars(
        select(CommentBankEntry)
        .where(CommentBankEntry.marking_point_id.in_(ids))
        .order_by(CommentBankEntry.created_at.desc(), CommentBankEntry.id.desc())
    )
    for entry in rows:
        key = (entry.marking_point_id, _key(entry.text))
        if key in seen or len(found[entry.marking_point_id]) >= MAX_PER_POINT:
            continue
        seen.add(key)
        found[entry.marking_point_id].append(entry)
    return found


def add_to_bank(author: User, marks: Mapping[str, PointMark]) -> None:
    """Keep the comments the assessor asked to keep; the caller commits. A wording already in
    the bank for that point is not added again."""
    wanted = {
        p: m.comment.strip() for p, m in marks.items() if m.save_to_bank and m.comment.strip()
    }
    if not wanted:
        return
    saved = db.session.execute(
        select(CommentBankEntry.marking_point_id, CommentBankEntry.text).where(
            CommentBankEntry.marking_point_id.in_(list(wanted))
        )
    )
    existing = {(point_id, _key(text)) for point_id, text in saved}
    for point_id, text in sorted(wanted.items()):
        if (point_id, _key(text)) not in existing:
            db.session.add(
                CommentBankEntry(marking_point_id=point_id, text=text, author_id=author.id)
            )


def own_comments(author: User) -> Sequence[CommentBankEntry]:
    return db.session.scalars(
        select(CommentBankEntry)
        .where(CommentBankEntry.author_id == author.id)
        .order_by(CommentBankEntry.marking_point_id, CommentBankEntry.created_at)
    ).all()


def delete_comment(author: User, entry_id: int) -> bool:
    """Remove one of the author's own entries; False when there is no such entry of theirs.
    Decisions keep their comments: the bank only offers wording."""
    entry = db.session.get(CommentBankEntry, entry_id)
    if entry is None or entry.author_id != author.id:
        return False
    db.session.delete(entry)
    db.session.commit()
    return True
