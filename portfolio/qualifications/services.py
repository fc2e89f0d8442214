"""Loading the qualification tree from rubric specs, and reading it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from flask import current_app
from sqlalchemy import select

from portfolio.db import Base
from portfolio.extensions import db
from portfolio.qualifications.models import (
    Element,
    MarkingPoint,
    Misconception,
    Qualification,
    Unit,
)
from portfolio.qualifications.spec import (
    MarkingPointSpec,
    MisconceptionSpec,
    QualificationSpec,
    load_rubrics,
)

T = TypeVar("T", bound=Base)


def _upsert(model: type[T], key: str, **values: object) -> T:
    row = db.session.get(model, key)
    if row is None:
        row = model(id=key)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def store_misconceptions(element_id: str, specs: Iterable[MisconceptionSpec]) -> None:
    """Upsert misconceptions; the caller owns the transaction."""
    for spec in specs:
        _upsert(Misconception, spec.id, element_id=element_id, text=spec.text)


def sync_qualifications(specs: Sequence[QualificationSpec]) -> int:
    """Make the database match the rubric files. Returns how many marking points are live."""
    live: set[str] = set()
    for q in specs:
        _upsert(Qualification, q.id, version=q.version, title=q.title)
        for u_pos, u in enumerate(q.units):
            _upsert(Unit, u.id, qualification_id=q.id, position=u_pos, title=u.title)
            for e_pos, e in enumerate(u.elements):
                _upsert(
                    Element,
                    e.id,
                    unit_id=u.id,
                    position=e_pos,
                    title=e.title,
                    synopsis=e.synopsis,
                    version=q.version,
                )
                for m_pos, mp in enumerate(e.marking_points):
                    _upsert(
                        MarkingPoint,
                        mp.id,
                        element_id=e.id,
                        position=m_pos,
                        text=mp.text,
                        retired=False,
                    )
                    live.add(mp.id)
                store_misconceptions(e.id, e.misconceptions)
    for point in db.session.scalars(select(MarkingPoint)):
        if point.id not in live:
            point.retired = True
    db.session.commit()
    return len(live)


def list_qualifications() -> Sequence[Qualification]:
    return db.session.scalars(select(Qualification).order_by(Qualification.title)).all()


def list_elements() -> Sequence[Element]:
    return db.session.scalars(
        select(Element).join(Unit).order_by(Unit.position, Element.position)
    ).all()


def get_element(element_id: str) -> Element | None:
    return db.session.get(Element, element_id)


def get_misconception(misconception_id: str) -> Misconception | None:
    return db.session.get(Misconception, misconception_id)


def live_marking_points(element_id: str) -> Sequence[MarkingPoint]:
    return db.session.scalars(
        select(MarkingPoint)
        .where(MarkingPoint.element_id == element_id, MarkingPoint.retired.is_(False))
        .order_by(MarkingPoint.position)
    ).all()


def cued_marking_points(element_id: str) -> tuple[MarkingPointSpec, ...]:
    """An element's marking points with their cue words, as the rubric files define them.

    Cues are writing hints, not something a decision refers to, so they are read from the
    files (parsed once per app) rather than stored; only points still live in the database
    are returned, in its order."""
    cache = current_app.extensions.setdefault("portfolio.rubric_points", {})
    if not cache:
        for q in load_rubrics(Path(current_app.config["RUBRICS_DIR"])):
            for element in q.elements():
                cache[element.id] = {p.id: p for p in element.marking_points}
    specs = cache.get(element_id, {})
    return tuple(specs[p.id] for p in live_marking_points(element_id) if p.id in specs)


def reference_ids() -> tuple[dict[str, set[str]], set[str]]:
    """Live marking point ids by element, and every misconception id: what data files may name."""
    points: dict[str, set[str]] = {e.id: set() for e in list_elements()}
    for point in db.session.scalars(select(MarkingPoint).where(MarkingPoint.retired.is_(False))):
        points.setdefault(point.element_id, set()).add(point.id)
    return points, set(db.session.scalars(select(Misconception.id)))


def list_misconceptions() -> Sequence[Misconception]:
    """Every misconception, in the order of the elements they belong to."""
    return db.session.scalars(
        select(Misconception)
        .join(Element, Misconception.element_id == Element.id)
        .join(Unit, Element.unit_id == Unit.id)
        .order_by(Unit.position, Element.position, Misconception.id)
    ).all()
