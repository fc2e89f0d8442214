"""The qualification tree as rows, loaded from rubrics/ so evidence and decisions refer to it."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db import Base

ID = String(64)


class Qualification(Base):
    __tablename__ = "qualification"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    units: Mapped[list[Unit]] = relationship(
        back_populates="qualification", order_by="Unit.position"
    )


class Unit(Base):
    __tablename__ = "unit"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    qualification_id: Mapped[str] = mapped_column(ForeignKey("qualification.id"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    qualification: Mapped[Qualification] = relationship(back_populates="units")
    elements: Mapped[list[Element]] = relationship(
        back_populates="unit", order_by="Element.position"
    )


class Element(Base):
    __tablename__ = "element"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("unit.id"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    synopsis: Mapped[str] = mapped_column(Text)
    # The rubric version the row was last loaded from; decisions copy it.
    version: Mapped[int]
    unit: Mapped[Unit] = relationship(back_populates="elements")
    marking_points: Mapped[list[MarkingPoint]] = relationship(
        back_populates="element",
        order_by="MarkingPoint.position",
        primaryjoin="and_(Element.id == MarkingPoint.element_id, MarkingPoint.retired.is_(False))",
        viewonly=True,
    )


class MarkingPoint(Base):
    __tablename__ = "marking_point"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # A point removed from the rubric is retired, never deleted: old decisions refer to it.
    retired: Mapped[bool] = mapped_column(default=False)
    element: Mapped[Element] = relationship()


class Misconception(Base):
    """A mistaken belief learners hold; from a rubric element or declared by a quiz file."""

    __tablename__ = "misconception"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
