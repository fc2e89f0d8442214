"""Attachment services: the learner's own editable evidence only, names refused not cleaned,
size, count and quota limits, all or nothing on disk and in the database, frozen once submitted,
and the submission's fingerprint covering the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome, PointStatus
from portfolio.auth.models import Role, User
from portfolio.evidence import attachments, services
from portfolio.evidence.attachments import AttachmentRefused, add_attachment, remove_attachment
from portfolio.evidence.models import Attachment, Evidence, EvidenceStatus
from portfolio.extensions import db
from tests.core import samples
from tests.factories import ACCOUNT, Factory

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def learner(make: Factory) -> User:
    user = db.session.get(User, make.learner(assessor=make.user(Role.ASSESSOR), name="Lily L").id)
    assert user is not None
    return user


@pytest.fixture
def draft(make: Factory, learner: User) -> Evidence:
    item = db.session.get(Evidence, make.evidence(learner).id)
    assert item is not None
    return item


def _folder(app: Flask) -> Path:
    return Path(app.instance_path) / "uploads" / "evidence"


def _files(app: Flask) -> list[Path]:
    folder = _folder(app)
    return sorted(folder.iterdir()) if folder.exists() else []


def _rows() -> int:
    return db.session.scalar(select(func.count(Attachment.id))) or 0


def _fresh(item: Evidence) -> Evidence:
    db.session.expire_all()
    found = db.session.get(Evidence, item.id)
    assert found is not None
    return found


def test_a_file_is_stored_under_a_generated_name_with_its_hash(
    app: Flask, learner: User, draft: Evidence
) -> None:
    data = samples.pdf_bytes()
    added = add_attachment(draft, learner, "Returns form (signed).pdf", data, "  The RA\nform ")
    assert added.filename == "Returns form (signed).pdf"
    assert added.content_type == "application/pdf"
    assert added.size == len(data)
    assert added.sha256 == hashlib.sha256(data).hexdigest()
    assert added.description == "The RA form"
    assert added.learner_id == learner.id
    [stored] = _files(app)
    assert stored.name == added.stored_name
    assert len(stored.name) == 32 and "Returns" not in stored.name
    assert stored.read_bytes() == data
    assert stored.stat().st_mode & 0o077 == 0  # readable by the app's user only
    static = Path(app.static_folder or "").resolve()
    assert not stored.resolve().is_relative_to(static)
    assert [a.id for a in _fresh(draft).attachments] == [added.id]
    assert attachments.read_attachment(added) == data


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/passwd.txt", "must not contain / or \\"),
        ("folder/notes.txt", "must not contain / or \\"),
        ("C:\\Users\\lily\\notes.txt", "must not contain / or \\"),
        ("notes..txt", "two dots in a row"),
        ("..", "two dots in a row"),
        ("notes\x00.txt", "control or invisible characters"),
        ("notes\n.txt", "control or invisible characters"),
        ("notes\r\nX-Header: 1.txt", "control or invisible characters"),
        ("notes\t.txt", "control or invisible characters"),
        ("invoice\u202etxt.exe", "control or invisible characters"),
        ("a" * 197 + ".txt", "at most 200"),
        ("   ", "has no name"),
        ("", "has no name"),
    ],
    ids=[
        "traversal",
        "slash",
        "backslash",
        "dotdot",
        "only-dots",
        "nul",
        "newline",
        "crlf",
        "tab",
        "rtl-override",
        "too-long",
        "blank",
        "empty",
    ],
)
def test_a_bad_file_name_is_refused_and_nothing_is_stored(
    app: Flask, learner: User, draft: Evidence, name: str, message: str
) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        add_attachment(draft, learner, name, samples.TEXT, "")
    assert message in str(refused.value) and refused.value.field == "file"
    assert _rows() == 0 and _files(app) == []


def test_a_name_of_exactly_200_characters_is_kept_as_given(learner: User, draft: Evidence) -> None:
    name = "Ünïcödé café " + "x" * 183 + ".txt"
    assert len(name) == 200
    assert add_attachment(draft, learner, name, samples.TEXT, "").filename == name


def test_a_wrong_kind_of_file_is_refused_and_nothing_is_stored(
    app: Flask, learner: User, draft: Evidence
) -> None:
    with pytest.raises(AttachmentRefused, match="You can attach PDF"):
        add_attachment(draft, learner, "setup.pdf", samples.EXE, "")
    with pytest.raises(AttachmentRefused, match="really a PNG image"):
        add_attachment(draft, learner, "photo.pdf", samples.png_bytes(), "")
    assert _rows() == 0 and _files(app) == []


def test_a_description_too_long_or_with_control_characters_is_refused(
    app: Flask, learner: User, draft: Evidence
) -> None:
    for description, message in (("x" * 201, "at most 200"), ("a\x00b", "control characters")):
        with pytest.raises(AttachmentRefused, match=message) as refused:
            add_attachment(draft, learner, "notes.txt", samples.TEXT, description)
        assert refused.value.field == "description"
    assert _rows() == 0 and _files(app) == []


def test_the_size_limit_comes_from_config(app: Flask, learner: User, draft: Evidence) -> None:
    assert app.config["ATTACHMENT_MAX_BYTES"] == 10 * 1024 * 1024
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    data = b"A line of notes.\n" * 60  # 1,020 bytes
    with pytest.raises(AttachmentRefused) as refused:
        add_attachment(draft, learner, "notes.txt", data, "")
    assert str(refused.value).startswith(
        "The file is 1020 bytes; the largest file you can attach is 1000 bytes."
    )
    assert _rows() == 0 and _files(app) == []
    assert add_attachment(draft, learner, "notes.txt", data[:1000], "").size == 1000


def test_the_quota_counts_all_the_learners_files(
    app: Flask, make: Factory, learner: User, draft: Evidence
) -> None:
    assert app.config["ATTACHMENT_QUOTA_BYTES"] == 100 * 1024 * 1024
    other_item = db.session.get(Evidence, make.evidence(learner, title="Another").id)
    assert other_item is not None
    first = add_attachment(other_item, learner, "form.pdf", samples.pdf_bytes(), "")
    app.config["ATTACHMENT_QUOTA_BYTES"] = first.size + len(samples.TEXT) - 1
    with pytest.raises(AttachmentRefused, match="would take your attachments over your"):
        add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    assert _rows() == 1 and len(_files(app)) == 1
    # Another learner's files are not counted against this one.
    someone = db.session.get(User, make.learner().id)
    assert someone is not None
    theirs = db.session.get(Evidence, make.evidence(someone).id)
    assert theirs is not None
    add_attachment(theirs, someone, "notes.txt", samples.TEXT, "")
    assert attachments.used_bytes(learner.id) == first.size
    app.config["ATTACHMENT_QUOTA_BYTES"] = first.size + len(samples.TEXT)
    add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    assert attachments.used_bytes(learner.id) == first.size + len(samples.TEXT)


def test_at_most_twenty_files_per_evidence_item(app: Flask, learner: User, draft: Evidence) -> None:
    for n in range(attachments.MAX_FILES_PER_EVIDENCE):
        add_attachment(draft, learner, f"note {n}.txt", f"Note number {n}\n".encode(), "")
    with pytest.raises(AttachmentRefused, match="already has 20 files"):
        add_attachment(draft, learner, "one more.txt", b"One too many\n", "")
    assert _rows() == 20 and len(_files(app)) == 20
    assert attachments.summary(_fresh(draft)).full


def test_the_same_file_twice_on_one_item_is_refused(learner: User, draft: Evidence) -> None:
    add_attachment(draft, learner, "form.pdf", samples.pdf_bytes(), "")
    with pytest.raises(AttachmentRefused, match=r"already attached, as “form\.pdf”"):
        add_attachment(draft, learner, "copy of form.pdf", samples.pdf_bytes(), "")


def test_only_the_learners_own_editable_evidence_takes_files(
    app: Flask, make: Factory, learner: User, draft: Evidence
) -> None:
    someone = db.session.get(User, make.learner().id)
    assert someone is not None
    with pytest.raises(AttachmentRefused, match="your own evidence"):
        add_attachment(draft, someone, "notes.txt", samples.TEXT, "")
    submitted = db.session.get(Evidence, make.submission(learner).evidence_id)
    assert submitted is not None
    with pytest.raises(services.NotEditable):
        add_attachment(submitted, learner, "notes.txt", samples.TEXT, "")
    assert _rows() == 0 and _files(app) == []


def test_a_failed_commit_leaves_no_file(
    app: Flask, learner: User, draft: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    monkeypatch.undo()
    assert _rows() == 0 and _files(app) == []
    assert [p.name for p in _folder(app).iterdir()] == []  # no temporary file left either


def test_a_draft_file_is_removed_from_disk_and_database(
    app: Flask, learner: User, draft: Evidence
) -> None:
    added = add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    kept = add_attachment(draft, learner, "form.pdf", samples.pdf_bytes(), "")
    remove_attachment(draft, added)
    assert [a.id for a in _fresh(draft).attachments] == [kept.id]
    assert [p.name for p in _files(app)] == [kept.stored_name]


def test_a_submitted_file_is_frozen(app: Flask, learner: User, draft: Evidence) -> None:
    added = add_attachment(draft, learner, "form.pdf", samples.pdf_bytes(), "RA form")
    submission = services.submit_evidence(draft, learner, learner.name)
    assert [a.id for a in submission.attachments] == [added.id]
    assert attachments.is_frozen(added)
    # While submitted nothing may change...
    with pytest.raises(services.NotEditable):
        remove_attachment(_fresh(draft), added)
    # ...and after a referral the submitted file still stays, though new ones may be added.
    assessor = learner.assessor
    assert assessor is not None
    assessment.record_decision(
        assessor,
        submission,
        {
            "pts-a.1": assessment.PointMark(PointStatus.MET, ""),
            "pts-a.4": assessment.PointMark(PointStatus.NOT_YET_MET, "Show the log."),
        },
        Outcome.REFERRED,
        "Add the log.",
    )
    item = _fresh(draft)
    assert item.status is EvidenceStatus.REFERRED
    attachment = db.session.get(Attachment, added.id)
    assert attachment is not None
    with pytest.raises(AttachmentRefused, match="part of a submission"):
        remove_attachment(item, attachment)
    new = add_attachment(item, learner, "log.txt", samples.TEXT, "")
    assert attachments.summary(item).frozen == {added.id}
    remove_attachment(item, new)
    assert _rows() == 1 and [p.name for p in _files(app)] == [added.stored_name]


def test_a_file_cannot_be_removed_through_another_evidence_item(
    make: Factory, learner: User, draft: Evidence
) -> None:
    added = add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    other = db.session.get(Evidence, make.evidence(learner, title="Other").id)
    assert other is not None
    with pytest.raises(AttachmentRefused):
        remove_attachment(other, added)
    assert attachments.get_on_evidence(other, added.id) is None
    assert _rows() == 1


def test_the_fingerprint_covers_the_attached_files(learner: User, draft: Evidence) -> None:
    pdf = add_attachment(draft, learner, "form.pdf", samples.pdf_bytes(), "")
    text = add_attachment(draft, learner, "log.txt", samples.TEXT, "")
    submission = services.submit_evidence(draft, learner, learner.name)
    claims = sorted(p.id for p in submission.claims)
    canonical = json.dumps(
        {
            "title": submission.title,
            "content": ACCOUNT,
            "claims": claims,
            "attachments": sorted([["form.pdf", pdf.sha256], ["log.txt", text.sha256]]),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert submission.content_hash == hashlib.sha256(canonical.encode()).hexdigest()
    # Without the files, or with a file renamed or changed, the fingerprint would differ.
    pairs = [(pdf.filename, pdf.sha256), (text.filename, text.sha256)]
    assert services.content_hash(submission.title, ACCOUNT, claims, pairs) == (
        submission.content_hash
    )
    for changed in (
        [],
        [pairs[0]],
        [("renamed.pdf", pdf.sha256), pairs[1]],
        [(pdf.filename, "0" * 64), pairs[1]],
    ):
        assert services.content_hash(submission.title, ACCOUNT, claims, changed) != (
            submission.content_hash
        )


def test_viewers_are_the_learner_their_assessor_iqa_and_admin(
    make: Factory, learner: User, draft: Evidence
) -> None:
    added = add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    assert learner.assessor is not None
    for viewer, sees in (
        (learner, True),
        (learner.assessor, True),
        (make.user(Role.IQA), True),
        (make.user(Role.ADMIN), True),
        (make.user(Role.ASSESSOR), False),
        (make.user(Role.TUTOR), False),
        (make.learner(), False),
    ):
        person = db.session.get(User, viewer.id)
        assert person is not None
        found = attachments.attachment_for_viewer(person, added.id)
        assert (found is not None) is sees, viewer.roles
    assert attachments.attachment_for_viewer(learner, 999_999) is None


def test_a_file_changed_on_disk_is_not_served(app: Flask, learner: User, draft: Evidence) -> None:
    added = add_attachment(draft, learner, "notes.txt", samples.TEXT, "")
    path = attachments.attachment_path(added)
    path.write_bytes(b"Something else entirely\n")
    assert attachments.read_attachment(added) is None
    path.unlink()
    assert attachments.read_attachment(added) is None


def test_sizes_read_as_people_expect() -> None:
    assert attachments.format_size(900) == "900 bytes"
    assert attachments.format_size(1025) == "2 KB"
    assert attachments.format_size(int(3.2 * 1024 * 1024)) == "3.2 MB"
    assert attachments.format_size(100 * 1024 * 1024) == "100 MB"
    assert attachments.format_size(10 * 1024 * 1024 + 1) == "10.1 MB"
