"""Download links for finished exports: signed for one job and one user, and good for
EXPORT_LINK_MINUTES. The link alone is not enough either: the download still checks, at
that moment, that the user may see everyone in the export."""

from __future__ import annotations

import enum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portfolio.auth.models import User
from portfolio.export.models import ExportJob


class LinkCheck(enum.Enum):
    GOOD = "good"
    EXPIRED = "expired"
    BAD = "bad"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt="export-download")


def minutes() -> int:
    return int(current_app.config["EXPORT_LINK_MINUTES"])


def make_token(job: ExportJob, user: User) -> str:
    return _signer().dumps({"job": job.id, "user": user.id})


def check_token(token: str, job: ExportJob, user: User) -> LinkCheck:
    try:
        found = _signer().loads(token, max_age=minutes() * 60)
    except SignatureExpired:
        return LinkCheck.EXPIRED
    except BadSignature:
        return LinkCheck.BAD
    if found != {"job": job.id, "user": user.id}:
        return LinkCheck.BAD
    return LinkCheck.GOOD
