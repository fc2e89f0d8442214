"""Tutors upload images for a revision page; anyone who may read the page may see them."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.content import services as content
from portfolio.core.images import ImageRejected
from portfolio.core.security import login_required, roles_required
from portfolio.media import services
from portfolio.media.forms import ImageUploadForm

bp = Blueprint("media", __name__, url_prefix="/media")
EDITORS = (Role.TUTOR, Role.ADMIN)


@bp.route("/pages/<slug>/images", methods=["GET", "POST"])
@roles_required(*EDITORS)
def page_images(slug: str) -> str | Response | tuple[str, int]:
    page = content.get_page(slug, include_unpublished=True)
    if page is None:
        abort(404)
    form = ImageUploadForm()
    if form.validate_on_submit():
        try:
            image = services.store_image(page, current_user, form.image.data.read(), form.alt.data)
        except ImageRejected as rejected:
            form.image.errors.append(str(rejected))
        else:
            flash(
                f"Uploaded. Paste {services.markdown_snippet(image)} into the page text "
                "where the image should appear.",
                "success",
            )
            return redirect(url_for("media.page_images", slug=page.slug))
    return render_template(
        "media/page_images.html",
        page=page,
        form=form,
        images=[(i, services.markdown_snippet(i)) for i in services.images_for_page(page)],
    ), (422 if form.errors else 200)


@bp.get("/images/<int:image_id>")
@login_required
def image(image_id: int) -> Response:
    found = services.get_image(image_id, published_only=not current_user.has_role(*EDITORS))
    if found is None:
        abort(404)
    data = services.read_image(found)
    if data is None:
        current_app.logger.error("image %s has no file %s", found.id, found.stored_name)
        abort(404)
    # Images are at most 2 MB, so they are sent from memory: no open file outlives the request.
    response = Response(data, mimetype=found.mimetype)
    response.set_etag(found.sha256)
    response.make_conditional(request)
    # Shown in the page, never offered as a download; the name is ours, not the uploader's.
    response.headers["Content-Disposition"] = (
        f'inline; filename="image-{found.id}.{found.extension}"'
    )
    # The type comes from the checked bytes; a browser must never guess another one.
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Only this user's browser may keep it: access depends on who is signed in.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
