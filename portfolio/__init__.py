"""The portfolio app: create_app wires extensions, blueprints, error handlers and the CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import configure_mappers

from portfolio import (
    admin,
    assessment,
    audit,
    auth,
    content,
    dashboard,
    evidence,
    export,
    iqa,
    media,
    qualifications,
    quizzes,
)
from portfolio.auth import services as accounts
from portfolio.auth.models import User
from portfolio.config import ROOT, load_config
from portfolio.core.args import IdConverter
from portfolio.core.errors import init_errors
from portfolio.core.images import refuse_truncated_images
from portfolio.core.localtime import format_london, format_london_date
from portfolio.core.markdown import render_markdown
from portfolio.core.paging import counted, page_url
from portfolio.core.security import init_security
from portfolio.core.tables import table_html
from portfolio.db import limit_statements
from portfolio.extensions import csrf, db, login_manager, migrate
from portfolio.quizzes import group_tally


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),  # the design card puts templates/ at the top
        instance_relative_config=False,
    )
    app.config.update(load_config(config))
    app.instance_path = app.config["INSTANCE_PATH"]

    refuse_truncated_images()  # WeasyPrint's import allowed them, process-wide
    # Before any route is made: ids in paths are bounded to what a database can hold.
    app.url_map.converters["int"] = IdConverter
    db.init_app(app)
    with app.app_context():
        limit_statements(db.engine, int(app.config["DB_STATEMENT_SECONDS"]))
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    # The heatmap's counts by group move with a learner's change of group.
    accounts.keep_by_group(app, group_tally.keeping)

    for blueprint in (
        dashboard.bp,
        auth.bp,
        admin.bp,
        qualifications.bp,
        content.bp,
        media.bp,
        quizzes.bp,
        evidence.bp,
        assessment.bp,
        export.bp,
        audit.bp,
        iqa.bp,
    ):
        app.register_blueprint(blueprint)

    app.add_template_filter(render_markdown, "markdown")
    app.add_template_global(page_url, "page_url")
    app.add_template_global(counted, "counted")
    app.add_template_global(table_html, "table_html")
    app.add_template_filter(format_london, "london")
    app.add_template_filter(format_london_date, "london_date")
    init_security(app)
    init_errors(app)
    # The mappers are set up here, once, rather than by whichever requests come first: a
    # fresh worker's first requests at once set them up together, which could leave a
    # process failing every audit page query from then on.
    configure_mappers()
    return app


def _load_user(token: str) -> User | None:
    return accounts.find_user_by_session_token(token)
