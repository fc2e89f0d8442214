"""Export jobs: a portfolio PDF (or a cohort's ZIP of them) made in the background, with the
progress the requester watches and where the finished file is kept."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.models import Cohort, User
from portfolio.db import Base, UTCDateTime, str_enum, utcnow


class JobKind(enum.StrEnum):
    PORTFOLIO = "portfolio"
    COHORT = "cohort"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "queued": "Waiting to start",
            "running": "In progress",
            "done": "Ready",
            "failed": "Failed",
        }[self.value]

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class ExportJob(Base):
    """One export someone asked for. A cohort export is a parent job whose children are the
    learners' portfolio jobs: the children spread across workers, and whichever finishes
    last zips them."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("export_job.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(40))
    eqa: Mapped[bool] = mapped_column(default=False)
    pdfa: Mapped[bool] = mapped_column(default=True)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    stage: Mapped[str] = mapped_column(String(120), default="Waiting for a worker")
    percent: Mapped[int] = mapped_column(default=0)
    # Why it failed, in words for the requester (never a traceback).
    message: Mapped[str] = mapped_column(Text, default="")
    # The finished file, relative to the exports folder; the name it downloads as.
    result: Mapped[str | None] = mapped_column(String(200))
    download_name: Mapped[str] = mapped_column(String(200), default="portfolio.pdf")
    size: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    from_cache: Mapped[bool] = mapped_column(default=False)
    # Who holds the job: "thread:" or "rq:" and host:pid:start-token of that process, so a job
    # whose process is gone can be told from one still running elsewhere.
    runner: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    learner: Mapped[User | None] = relationship(foreign_keys=[learner_id])
    cohort: Mapped[Cohort | None] = relationship()
    children: Mapped[list[ExportJob]] = relationship(order_by="ExportJob.id")

    @property
    def learner_ids(self) -> list[int | None]:
        """Whose portfolios this export holds (None for a learner since deleted)."""
        if self.kind is JobKind.PORTFOLIO:
            return [self.learner_id]
        return [child.learner_id for child in self.children]
