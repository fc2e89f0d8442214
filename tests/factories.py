"""Test data made through the services, so tests exercise the same paths as the app."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask, has_app_context
from PIL import Image

from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role, User
from portfolio.content import services as content
from portfolio.evidence import services as evidence
from portfolio.evidence.models import Evidence, Submission
from portfolio.extensions import db
from portfolio.media import services as media
from portfolio.media.models import PageImage

T = TypeVar("T")

_counter = itertools.count(1)

ACCOUNT = {
    "situation": "In March 2026 a customer phoned the store about a kettle bought eight days "
    "earlier that had stopped heating. They were frustrated because they had "
    "already travelled to the shop once that week.",
    "action": "I listened without interrupting and repeated the problem back to check I had "
    "understood it. I apologised for the inconvenience and explained that under the "
    "Consumer Rights Act 2015 the customer was within the 30-day short-term right to "
    "reject, so a full refund was due. I completed a return authorisation form with "
    "the RA number, the order reference and the fault, and logged the call as a return.",
    "outcome": "The customer chose a refund to the original card, which I processed the same day. "
    "I recorded the outcome on the returns log and called back two days later to "
    "check the refund had arrived.",
    "reflection": "Checking my understanding first saved time. The root cause was a faulty batch, "
    "so I recommended to my manager that the batch was withdrawn and checked before "
    "sale, so that it does not happen again.",
}


def image_bytes(kind: str = "PNG", width: int = 64, height: int = 48) -> bytes:
    """A real image made by Pillow: a two-colour picture, so it is not trivially compressible."""
    picture = Image.new("RGB", (width, height), (200, 30, 30))
    picture.paste((20, 90, 200), (0, 0, width // 2, height))
    out = io.BytesIO()
    picture.save(out, format=kind)
    return out.getvalue()


class Factory:
    """Makes rows through the services. Outside an app context it opens one and hands back
    the row with its columns loaded, usable (detached) by tests that drive the client."""

    PASSWORD = "correct-horse-battery"

    def __init__(self, app: Flask) -> None:
        self.app = app

    @contextmanager
    def _context(self) -> Iterator[None]:
        if has_app_context():
            yield
        else:
            with self.app.app_context():
                yield

    def _loaded(self, obj: T) -> T:
        db.session.refresh(obj)
        return obj

    def user(
        self,
        *roles: Role,
        name: str | None = None,
        email: str | None = None,
        assessor: User | None = None,
    ) -> User:
        n = next(_counter)
        roles = roles or (Role.LEARNER,)
        with self._context():
            if assessor is not None:
                assessor = db.session.get(User, assessor.id)
            return self._loaded(
                accounts.create_user(
                    email or f"user{n}@example.org",
                    name or f"Test User {n}",
                    self.PASSWORD,
                    roles,
                    assessor=assessor,
                )
            )

    def learner(self, assessor: User | None = None, **kwargs: object) -> User:
        return self.user(Role.LEARNER, assessor=assessor, **kwargs)  # type: ignore[arg-type]

    def cohort(self, name: str, *learners: User) -> Cohort:
        """A learner group holding `learners`."""
        with self._context():
            group = accounts.create_cohort(name)
            for learner in learners:
                person = db.session.get(User, learner.id)
                assert person is not None
                accounts.assign_cohort(person, group)
            return self._loaded(group)

    def evidence(
        self,
        learner: User,
        element_id: str = "pts-a",
        title: str = "Kettle refund",
        claims: tuple[str, ...] = ("pts-a.1", "pts-a.4"),
        filled: bool = True,
    ) -> Evidence:
        with self._context():
            learner = db.session.get(User, learner.id) or learner
            item = evidence.start_evidence(learner, "reflective-account", element_id, title)
            if filled:
                evidence.save_draft(
                    item,
                    title=title,
                    sections=ACCOUNT,
                    claims=claims,
                    expected_version=item.version,
                )
            return self._loaded(item)

    def submission(self, learner: User, **kwargs: object) -> Submission:
        with self._context():
            learner = db.session.get(User, learner.id) or learner
            item = self.evidence(learner, **kwargs)  # type: ignore[arg-type]
            return self._loaded(evidence.submit_evidence(item, learner, learner.name))

    def page_image(
        self,
        slug: str,
        uploader: User | None = None,
        data: bytes | None = None,
        alt: str = "Till receipt showing the date of purchase",
    ) -> PageImage:
        """An image uploaded to the page `slug` through the service, by a tutor unless given."""
        with self._context():
            uploader = db.session.get(User, uploader.id) if uploader else self.user(Role.TUTOR)
            page = content.get_page(slug, include_unpublished=True)
            assert uploader is not None and page is not None, slug
            return self._loaded(
                media.store_image(page, uploader, image_bytes() if data is None else data, alt)
            )
