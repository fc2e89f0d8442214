"""Supporting files on evidence: the learner attaches and removes them while the evidence is a
draft; anyone entitled to the evidence downloads them. Routes on the evidence blueprint."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.filetypes import ALLOWED_KINDS, BY_CONTENT_TYPE, extension_of
from portfolio.core.security import login_required, roles_required
from portfolio.evidence import attachments, services
from portfolio.evidence.attachment_forms import AttachmentForm
from portfolio.evidence.attachments import AttachmentRefused, AttachmentSummary
from portfolio.evidence.models import Attachment, Evidence
from portfolio.evidence.views import bp

# What a downloaded file may do in the browser: nothing. Should it ever be opened in a tab
# rather than saved, it runs no script, loads nothing and cannot be framed.
_DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# RFC 5987 attr-char: what may stand unescaped in filename*=UTF-8''...
_ATTR_CHARS = "!#$&+-.^_`|~"
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()-]")
_NAMED = re.compile(r"[A-Za-z0-9]")


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    return attachments.format_size(size)


@bp.app_template_filter("filekind")
def filekind(content_type: str) -> str:
    kind = BY_CONTENT_TYPE.get(content_type)
    return kind.label if kind else content_type


@bp.context_processor
def _attachment_panel() -> dict[str, object]:
    # The draft page includes the attachment list, but its view is about the draft's text: it
    # gets the list and an empty upload form from here rather than having to know of them.
    def attachment_panel(evidence: Evidence) -> tuple[AttachmentSummary, AttachmentForm]:
        return attachments.summary(evidence), AttachmentForm(formdata=None)

    return {"attachment_panel": attachment_panel, "allowed_kinds": ALLOWED_KINDS}


def _own(evidence_id: int) -> Evidence:
    evidence = services.get_own(current_user, evidence_id)
    if evidence is None:
        abort(404)  # someone else's evidence looks exactly like none at all
    return evidence


def _page(
    evidence: Evidence, form: AttachmentForm, status: int, problem: str = ""
) -> tuple[str, int]:
    return render_template(
        "evidence/attachments.html",
        evidence=evidence,
        attachment_summary=attachments.summary(evidence),
        attachment_form=form,
        problem=problem,
    ), status


@bp.route("/<int:evidence_id>/attachments", methods=["GET", "POST"], endpoint="attachments")
@roles_required(Role.LEARNER)
def attachments_page(evidence_id: int) -> str | Response | tuple[str, int]:
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        if request.method == "POST":
            return render_template("evidence/locked.html", evidence=evidence), 409
        return redirect(url_for("assessment.record", evidence_id=evidence.id))
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.attachment_file.data
        try:
            # Whole in memory is fine: MAX_CONTENT_LENGTH bounds the request a little above
            # the attachment limit, so a file any bigger never gets this far.
            added = attachments.add_attachment(
                evidence,
                current_user,
                upload.filename or "",
                upload.read(),
                form.attachment_description.data or "",
            )
        except AttachmentRefused as refused:
            target = (
                form.attachment_description
                if refused.field == "description"
                else form.attachment_file
            )
            target.errors.append(str(refused))
        except services.NotEditable:
            return render_template("evidence/locked.html", evidence=evidence), 409
        else:
            flash(f"Attached “{added.filename}”.", "success")
            return redirect(
                url_for("evidence.edit", evidence_id=evidence.id, _anchor="attachments")
            )
    if request.method == "GET":
        return _page(evidence, AttachmentForm(formdata=None), 200)
    return _page(evidence, form, 422)


@bp.post("/<int:evidence_id>/attachments/<int:attachment_id>/remove")
@roles_required(Role.LEARNER)
def attachment_remove(evidence_id: int, attachment_id: int) -> Response | tuple[str, int]:
    evidence = _own(evidence_id)
    attachment = attachments.get_on_evidence(evidence, attachment_id)
    if attachment is None:
        abort(404)
    if not evidence.status.editable:
        return render_template("evidence/locked.html", evidence=evidence), 409
    filename = attachment.filename
    try:
        attachments.remove_attachment(evidence, attachment)
    except AttachmentRefused as refused:
        return _page(evidence, AttachmentForm(formdata=None), 409, problem=str(refused))
    except services.NotEditable:
        return render_template("evidence/locked.html", evidence=evidence), 409
    flash(f"Removed “{filename}”.", "success")
    return redirect(url_for("evidence.edit", evidence_id=evidence.id, _anchor="attachments"))


def _download_name(attachment: Attachment) -> str:
    kind = BY_CONTENT_TYPE.get(attachment.content_type)
    if kind is None or extension_of(attachment.filename):
        return attachment.filename
    return f"{attachment.filename}.{kind.extension}"  # so the assessor's computer can open it


def content_disposition(filename: str, fallback: str) -> str:
    """`attachment`, with an ASCII-only filename for old clients and the real name in RFC 5987
    filename*; neither can carry a quote, a path or a header break."""
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    simple = _UNSAFE_ASCII.sub("_", simple)
    stem, dot, _ = simple.rpartition(".")
    # Nothing readable left ("“”.pdf" became ".pdf"): our own name rather than a bare extension.
    simple = simple.strip(" .") if _NAMED.search(stem if dot else simple) else fallback
    return (
        f"attachment; filename=\"{simple}\"; filename*=UTF-8''{quote(filename, safe=_ATTR_CHARS)}"
    )


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Response:
    found = attachments.attachment_for_viewer(current_user, attachment_id)
    if found is None:
        abort(404)  # not 403: whether the file exists is no business of someone not entitled
    data = attachments.read_attachment(found)
    if data is None:
        abort(404)
    # At most the attachment limit, so sent from memory: no open file outlives the request.
    response = Response(data, content_type=found.content_type)
    name = _download_name(found)
    response.headers["Content-Disposition"] = content_disposition(
        name, f"attachment-{found.id}.{extension_of(name) or 'bin'}"
    )
    # The type comes from the checked bytes; a browser must never guess another one.
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Evidence holds personal data: kept by no cache, the browser's included.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = _DOWNLOAD_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
