"""Supporting files on a learner's evidence: checked from their bytes, stored outside the web root
under generated names, limited in size and number, and frozen once they are part of a submission.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import exists, func, select

from portfolio.auth.models import User
from portfolio.auth.services import may_view_learner
from portfolio.core.filetypes import FileRejected, check_file
from portfolio.core.storage import stored_path, upload_folder, write_atomically
from portfolio.evidence.models import Attachment, Evidence, submission_attachment
from portfolio.evidence.services import NotEditable
from portfolio.extensions import db

MAX_FILES_PER_EVIDENCE = 20
FILENAME_MAX = 200
DESCRIPTION_MAX = 200
_MIB = 1024 * 1024


class AttachmentRefused(ValueError):
    """The upload or removal is refused; the message says why, for the field it concerns."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AttachmentSummary:
    """What the learner's attachment list and upload form show."""

    attachments: Sequence[Attachment]
    frozen: frozenset[int]  # ids of files that went into a submission
    used_bytes: int
    quota_bytes: int
    max_bytes: int
    max_files: int

    @property
    def full(self) -> bool:
        return len(self.attachments) >= self.max_files


def format_size(size: int) -> str:
    """Bytes for people: "900 bytes", "12 KB", "3.2 MB", "100 MB" (binary units, as file
    managers show them)."""
    if size < 1024:
        return f"{size} bytes"
    if size < _MIB:
        return f"{-(-size // 1024)} KB"
    # Rounded up, never down: a file just over a 10 MB limit must not read as "10 MB".
    return f"{-(-size * 10 // _MIB) / 10:.1f}".removesuffix(".0") + " MB"


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def quota_bytes() -> int:
    return int(current_app.config["ATTACHMENT_QUOTA_BYTES"])


def check_filename(name: str) -> str:
    """The learner's file name, as given, or AttachmentRefused. A bad name is refused, never
    quietly cleaned: what the assessor downloads is named as the learner named it."""
    if not name.strip():
        raise AttachmentRefused("The file has no name. Choose the file again.")
    if len(name) > FILENAME_MAX:
        raise AttachmentRefused(
            f"The file name is {len(name)} characters long; it may have at most {FILENAME_MAX}. "
            "Rename the file and try again."
        )
    if "/" in name or "\\" in name:
        raise AttachmentRefused(
            "The file name must not contain / or \\ (it looks like a folder path). "
            "Rename the file and try again."
        )
    if ".." in name:
        raise AttachmentRefused(
            "The file name must not contain two dots in a row. Rename the file and try again."
        )
    # Control characters (NUL, new lines...), and invisible formatting ones such as the
    # right-to-left override that makes "invoice‮fdp.exe" read as "invoiceexe.pdf".
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"} for c in name):
        raise AttachmentRefused(
            "The file name contains control or invisible characters. "
            "Rename the file using letters, numbers and spaces, and try again."
        )
    return name


def _clean_description(description: str) -> str:
    text = " ".join(description.split())
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise AttachmentRefused(
            "The description must not contain control characters.", field="description"
        )
    if len(text) > DESCRIPTION_MAX:
        raise AttachmentRefused(
            f"The description may have at most {DESCRIPTION_MAX} characters; it has {len(text)}.",
            field="description",
        )
    return text


def used_bytes(learner_id: int) -> int:
    """All of a learner's stored attachments, submitted or not, counted against the quota."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(
                Attachment.learner_id == learner_id
            )
        )
        or 0
    )


def frozen_ids(evidence: Evidence) -> frozenset[int]:
    return frozenset(
        db.session.scalars(
            select(submission_attachment.c.attachment_id)
            .join(Attachment, Attachment.id == submission_attachment.c.attachment_id)
            .where(Attachment.evidence_id == evidence.id)
        )
    )


def is_frozen(attachment: Attachment) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(submission_attachment.c.attachment_id == attachment.id))
        )
    )


def summary(evidence: Evidence) -> AttachmentSummary:
    return AttachmentSummary(
        attachments=list(evidence.attachments),
        frozen=frozen_ids(evidence),
        used_bytes=used_bytes(evidence.learner_id),
        quota_bytes=quota_bytes(),
        max_bytes=max_bytes(),
        max_files=MAX_FILES_PER_EVIDENCE,
    )


def _folder() -> Path:
    return upload_folder("evidence")


def attachment_path(attachment: Attachment) -> Path:
    return stored_path(_folder(), attachment.stored_name)


def _check_room(evidence: Evidence, learner: User, size: int, digest: str) -> None:
    # Serialise one learner's uploads (PostgreSQL; SQLite writes one at a time anyway), so two
    # at once cannot both fit under the quota or the file count that only one of them fits.
    db.session.execute(select(User.id).where(User.id == learner.id).with_for_update())
    db.session.refresh(evidence)
    if not evidence.status.editable:
        raise NotEditable()
    attached = list(evidence.attachments)
    if len(attached) >= MAX_FILES_PER_EVIDENCE:
        raise AttachmentRefused(
            f"This evidence already has {MAX_FILES_PER_EVIDENCE} files, the most it can have. "
            "Remove one before adding another."
        )
    same = next((a for a in attached if a.sha256 == digest), None)
    if same is not None:
        raise AttachmentRefused(f"This file is already attached, as “{same.filename}”.")
    used, quota = used_bytes(learner.id), quota_bytes()
    if used + size > quota:
        raise AttachmentRefused(
            f"This file ({format_size(size)}) would take your attachments over your "
            f"{format_size(quota)} limit: you have used {format_size(used)}. Remove files you "
            "no longer need from your drafts, or make this file smaller."
        )


def add_attachment(
    evidence: Evidence, learner: User, upload_filename: str, data: bytes, description: str
) -> Attachment:
    """Check and store one file on the learner's own editable evidence. Raises AttachmentRefused
    (or NotEditable) and then has stored nothing, on disk or in the database."""
    if evidence.learner_id != learner.id:
        raise AttachmentRefused("You can only attach files to your own evidence.")
    if not evidence.status.editable:
        raise NotEditable()
    filename = check_filename(upload_filename)
    description = _clean_description(description)
    limit = max_bytes()
    if len(data) > limit:
        raise AttachmentRefused(
            f"The file is {format_size(len(data))}; the largest file you can attach is "
            f"{format_size(limit)}. Make it smaller (for example, save a photo at a lower "
            "resolution or a document as PDF) and try again."
        )
    try:
        kind = check_file(data, filename)
    except FileRejected as rejected:
        raise AttachmentRefused(str(rejected)) from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        _check_room(evidence, learner, len(data), digest)
    except BaseException:
        db.session.rollback()  # let go of the lock taken for the check
        raise
    attachment = Attachment(
        evidence_id=evidence.id,
        learner_id=learner.id,
        filename=filename,
        # Random, and no part of it from the learner: nothing to guess, nothing to traverse.
        stored_name=secrets.token_hex(16),
        content_type=kind.content_type,
        size=len(data),
        sha256=digest,
        description=description,
    )
    path = write_atomically(_folder(), attachment.stored_name, data)
    try:
        db.session.add(attachment)
        db.session.commit()
    except BaseException:
        # No row, no file: a failed commit must not leave an orphan on disk.
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return attachment


def remove_attachment(evidence: Evidence, attachment: Attachment) -> None:
    """Delete a file from a draft. A file that went into a submission is kept as submitted."""
    if attachment.evidence_id != evidence.id:
        raise AttachmentRefused("That file is not attached to this evidence.")
    if not evidence.status.editable:
        raise NotEditable()
    if is_frozen(attachment):
        raise AttachmentRefused(
            f"“{attachment.filename}” was part of a submission, so it is kept exactly as "
            "submitted and cannot be removed."
        )
    path = attachment_path(attachment)
    db.session.delete(attachment)
    db.session.commit()
    # Only after the commit: had it failed, the row would still need its file.
    try:
        path.unlink(missing_ok=True)
    except OSError:
        current_app.logger.warning("could not delete removed attachment file %s", path.name)


def attachment_for_viewer(viewer: User, attachment_id: int) -> Attachment | None:
    """The attachment if `viewer` may see its learner's evidence; None otherwise, exactly as if
    it did not exist."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        return None
    learner = attachment.evidence.learner
    if attachment.learner_id != learner.id or not may_view_learner(viewer, learner):
        return None
    return attachment


def get_on_evidence(evidence: Evidence, attachment_id: int) -> Attachment | None:
    attachment = db.session.get(Attachment, attachment_id)
    return attachment if attachment is not None and attachment.evidence_id == evidence.id else None


def read_attachment(attachment: Attachment) -> bytes | None:
    """The stored bytes, checked against the SHA-256 recorded at upload; None if the file has
    gone or changed on disk (what was submitted must be what is served)."""
    try:
        data = attachment_path(attachment).read_bytes()
    except FileNotFoundError:
        current_app.logger.error("attachment %s has no file", attachment.id)
        return None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        current_app.logger.error("attachment %s changed on disk", attachment.id)
        return None
    return data
