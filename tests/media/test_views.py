"""Uploading page images through the browser form, and serving them to those who may see them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role
from portfolio.extensions import db
from portfolio.media.models import PageImage
from tests.conftest import csrf_token, login
from tests.factories import Factory, image_bytes
from tests.helpers import read_form, send, text
from tests.media.test_services import gif_bytes, noisy_png

UPLOAD = "/media/pages/pts-a-consumer-rights-act/images"


def _client(app: Flask, make: Factory, role: Role) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(role).email)
    return client


@pytest.fixture
def tutor(app: Flask, make: Factory) -> FlaskClient:
    return _client(app, make, Role.TUTOR)


@pytest.fixture
def learner(app: Flask, make: Factory) -> FlaskClient:
    return _client(app, make, Role.LEARNER)


def _multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body built by hand. The test client would spool a large upload to a
    temporary file that it never closes (a ResourceWarning, an error under this suite)."""
    boundary = "----upload-boundary-7d1f"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _upload(client: FlaskClient, data: bytes, filename: str, alt: str = "Till receipt"):  # type: ignore[no-untyped-def]
    body, content_type = _multipart(
        {"csrf_token": csrf_token(client, "/"), "alt": alt}, filename, data
    )
    return client.post(UPLOAD, data=body, content_type=content_type)


def _rows(app: Flask) -> list[PageImage]:
    with app.app_context():
        return list(db.session.scalars(select(PageImage).order_by(PageImage.id)))


def _files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "images"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("kind", "filename", "mimetype", "extension"),
    [("PNG", "receipt.png", "image/png", "png"), ("JPEG", "photo.JPG", "image/jpeg", "jpg")],
)
def test_an_uploaded_image_is_served_byte_identical(
    app: Flask,
    tutor: FlaskClient,
    learner: FlaskClient,
    kind: str,
    filename: str,
    mimetype: str,
    extension: str,
) -> None:
    data = image_bytes(kind, 100, 60)
    response = _upload(tutor, data, filename)
    assert response.status_code == 302 and response.headers["Location"] == UPLOAD
    [image] = _rows(app)

    listing = text(tutor.get(UPLOAD))
    assert f"![Till receipt](/media/images/{image.id})" in listing  # the snippet to copy

    for client in (tutor, learner):  # the page is published, so learners may see it too
        served = client.get(f"/media/images/{image.id}")
        assert served.status_code == 200
        assert served.data == data
        assert served.headers["Content-Type"] == mimetype
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert (
            served.headers["Content-Disposition"]
            == f'inline; filename="image-{image.id}.{extension}"'
        )
        cache = served.headers["Cache-Control"]
        assert "private" in cache and "public" not in cache


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (gif_bytes(), "animation.gif", "Only PNG and JPEG images can be uploaded."),
        (b"just some text\n", "notes.png", "Only PNG and JPEG images can be uploaded."),
        (
            image_bytes()[:80],
            "cut-short.png",
            "The file is damaged or is not really a PNG or JPEG image.",
        ),
        (b"", "empty.png", "The file is empty."),
        (noisy_png(), "huge.png", "The image is larger than 2 MB."),
    ],
    ids=["gif", "text-named-png", "truncated-png", "empty", "too-big"],
)
def test_a_refused_upload_says_why_and_keeps_the_alt_text(
    app: Flask, tutor: FlaskClient, data: bytes, filename: str, message: str
) -> None:
    response = _upload(tutor, data, filename, alt="Returns form, filled in")
    assert response.status_code == 422
    form = read_form(response)
    assert list(form.errors) == ["image"] and message in form.errors["image"]
    assert form.value("alt") == "Returns form, filled in"
    assert _rows(app) == [] and _files(app) == []


def test_no_file_chosen_is_refused(app: Flask, tutor: FlaskClient) -> None:
    response = send(tutor, UPLOAD, {"alt": "Receipt"})
    assert response.status_code == 422
    errors = read_form(response).errors
    assert list(errors) == ["image"] and "Choose a PNG or JPEG image to upload." in errors["image"]
    assert _rows(app) == []


@pytest.mark.parametrize("alt", ["", "   "])
def test_alt_text_is_required(app: Flask, tutor: FlaskClient, alt: str) -> None:
    response = _upload(tutor, image_bytes(), "receipt.png", alt=alt)
    assert response.status_code == 422
    errors = read_form(response).errors
    assert list(errors) == ["alt"]
    assert "Describe the image for people who cannot see it." in errors["alt"]
    assert _rows(app) == [] and _files(app) == []


def test_a_request_over_the_size_cap_gets_a_page_that_says_the_limit(
    app: Flask, tutor: FlaskClient
) -> None:
    # The cap sits a little above the largest upload anywhere (an evidence attachment).
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == app.config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024
    response = _upload(tutor, b"\x89PNG\r\n\x1a\n" + bytes(limit), "enormous.png")
    assert response.status_code == 413
    assert f"The most this site accepts in one go is {limit // (1024 * 1024)} MB" in text(response)
    assert _rows(app) == [] and _files(app) == []


def test_learners_cannot_upload(app: Flask, learner: FlaskClient) -> None:
    assert learner.get(UPLOAD).status_code == 403
    assert _upload(learner, image_bytes(), "receipt.png").status_code == 403
    assert _rows(app) == [] and _files(app) == []


def test_an_unknown_page_has_no_images_page(tutor: FlaskClient) -> None:
    assert tutor.get("/media/pages/no-such-page/images").status_code == 404


def test_a_draft_pages_image_is_hidden_from_learners(
    app: Flask, make: Factory, tutor: FlaskClient, learner: FlaskClient
) -> None:
    image = make.page_image("pts-a-overview")  # a draft page
    assert learner.get(f"/media/images/{image.id}").status_code == 404
    assert tutor.get(f"/media/images/{image.id}").status_code == 200
    admin = _client(app, make, Role.ADMIN)
    assert admin.get(f"/media/images/{image.id}").status_code == 200
    assert learner.get("/media/images/999999").status_code == 404


def test_images_are_not_under_the_static_folder(app: Flask, make: Factory) -> None:
    image = make.page_image("pts-a-consumer-rights-act")
    static = Path(app.static_folder or "").resolve()
    [stored] = _files(app)
    assert stored.name == image.stored_name
    assert not stored.resolve().is_relative_to(static)
    assert not any(static.rglob(image.stored_name))
    client = app.test_client()
    login(client, make.user(Role.TUTOR).email)
    assert client.get(f"/static/{image.stored_name}").status_code == 404


def test_an_uploaded_image_shows_on_its_page(
    app: Flask, make: Factory, learner: FlaskClient
) -> None:
    from dataclasses import replace

    from portfolio.auth.models import User
    from portfolio.content import services as content

    image = make.page_image("pts-a-consumer-rights-act", alt="Till receipt")
    with app.app_context():
        page = content.get_page("pts-a-consumer-rights-act", include_unpublished=True)
        tutor = db.session.get(User, make.user(Role.TUTOR).id)
        assert page is not None and tutor is not None
        body = page.body + f"\n\n![Till receipt](/media/images/{image.id})\n"
        content.save_page(
            page, tutor, replace(content.PageFields.from_page(page), body=body), page.version
        )
        assert db.session.scalar(select(func.count(PageImage.id))) == 1
    html = learner.get("/pages/pts-a-consumer-rights-act").get_data(as_text=True)
    assert f'<img alt="Till receipt" src="/media/images/{image.id}">' in html
