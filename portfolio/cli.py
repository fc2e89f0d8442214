"""The `portfolio` command: init, demo, check, create-user, export, worker, plus Flask's run
and db."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from portfolio import create_app
from portfolio.assessment import centre_tally
from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.core.audit import verify_and_record
from portfolio.core.render_process import RenderFailed, lower_priority
from portfolio.data import DataSet, read_all, read_pages
from portfolio.export import runner
from portfolio.export import services as export
from portfolio.export.cli import pdf_check_command
from portfolio.export.facts import Scope
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.quizzes import demo as quiz_demo
from portfolio.quizzes import group_tally
from portfolio.quizzes import services as quizzes


def _read_data() -> DataSet:
    return read_all(
        Path(current_app.config["RUBRICS_DIR"]), Path(current_app.config["CONTENT_DIR"])
    )


def _fail_on_errors(data: DataSet) -> None:
    for error in data.errors:
        click.echo(str(error), err=True)
    if data.errors:
        click.echo(f"{len(data.errors)} error(s): nothing was loaded.", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """Revision, quizzes and an assessed evidence portfolio."""


@main.command()
@with_appcontext
def check() -> None:
    """Validate every data file (rubrics, pages, quizzes, evidence types, calendar); exit 1 on
    any error."""
    data = _read_data()
    _fail_on_errors(data)
    click.echo(f"OK: {data.files()} data files valid.")


def load_data(data: DataSet) -> None:
    points = qualifications.sync_qualifications(data.qualifications)
    # Which points are live may have changed: the centre's kept totals count against them.
    centre_tally.rebuild()
    db.session.commit()
    quizzes.sync_quizzes(data.quizzes)
    # A misconception may have moved to another element: the heatmap's kept counts by group
    # count its holders against its element.
    group_tally.rebuild()
    db.session.commit()
    result = content.import_pages(data.pages)
    click.echo(
        f"Loaded {len(data.qualifications)} qualification(s) with {points} marking points, "
        f"{len(data.quizzes)} quiz(zes), pages: {result.created} new, "
        f"{result.updated} updated, {result.unchanged} unchanged, "
        f"{result.kept} kept (a tutor's newer edit; --overwrite replaces it)."
    )


@main.command()
@with_appcontext
def init() -> None:
    """Migrate the database to the latest schema and load rubrics and content."""
    data = _read_data()
    _fail_on_errors(data)
    upgrade()
    load_data(data)


DEMO_USERS = (
    ("admin@example.org", "Ada Admin", (Role.ADMIN,), "admin-demo-pass"),
    ("tutor@example.org", "Tom Tutor", (Role.TUTOR,), "tutor-demo-pass"),
    ("assessor@example.org", "Asha Assessor", (Role.ASSESSOR,), "assessor-demo-pass"),
    ("iqa@example.org", "Ian Quality", (Role.IQA,), "iqa-demo-pass1"),
    ("learner1@example.org", "Lena Learner", (Role.LEARNER,), "learner1-demo-pass"),
    ("learner2@example.org", "Leo Learner", (Role.LEARNER,), "learner2-demo-pass"),
)

# Learner groups, and the demo learner put in each (by email).
DEMO_COHORTS = (
    ("Level 2 — September 2026 day", "learner1@example.org"),
    ("Level 2 — January 2027 evening", "learner2@example.org"),
)


# Classmates with a quiz history, so the tutor's analytics have numbers on a first run.
# They have random passwords: they are data to look at, not logins.
DEMO_CLASSMATES = (
    ("Amir Shah", 0),
    ("Bea Clarke", 1),
    ("Callum Reid", 0),
    ("Dina Kowalska", 1),
    ("Ellis Moore", 0),
    ("Fern Adeyemi", 1),
    ("Gus Patel", 0),
    ("Hana Ito", 1),
)


def _demo_classmates(assessor: User | None) -> None:
    emails = [f"{name.split()[0].lower()}@example.org" for name, _ in DEMO_CLASSMATES]
    if accounts.find_user_by_email(emails[0]) is not None:
        return
    cohorts = [accounts.find_cohort(name) for name, _ in DEMO_COHORTS]
    learners = []
    for (name, group), email in zip(DEMO_CLASSMATES, emails, strict=True):
        learner = accounts.create_user(
            email, name, secrets.token_urlsafe(18), (Role.LEARNER,), assessor=assessor
        )
        accounts.assign_cohort(learner, cohorts[group])
        learners.append(learner)
    made = quiz_demo.seed_demo_attempts(learners, quizzes.list_quizzes())
    click.echo(f"Demo classmates: {len(learners)} learners with {made} finished quiz attempts.")


def _demo_cohorts() -> None:
    for name, email in DEMO_COHORTS:
        cohort = accounts.find_cohort(name) or accounts.create_cohort(name)
        learner = accounts.find_user_by_email(email)
        # Only a learner in no group: a second run must not undo an admin's move.
        if learner is not None and learner.cohort_id is None:
            accounts.assign_cohort(learner, cohort)


@main.command()
@click.pass_context
@with_appcontext
def demo(ctx: click.Context) -> None:
    """init, then create the demo users and learner groups (once) and print the logins."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo users are never created in production.")
    ctx.invoke(init)
    assessor = None
    for email, name, roles, password in DEMO_USERS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(
                email, name, password, roles, assessor=assessor if Role.LEARNER in roles else None
            )
        if Role.ASSESSOR in roles:
            assessor = user
    _demo_cohorts()
    _demo_classmates(assessor)
    click.echo("\nDemo logins (development only):")
    for email, _name, roles, password in DEMO_USERS:
        click.echo(f"  {', '.join(r.label for r in roles):26} {email:24} {password}")
    click.echo("")


@main.group("audit")
def audit_group() -> None:
    """The append-only, hash-chained audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute the chain; exit 1 naming the first entry changed outside the app."""
    report = verify_and_record("portfolio audit verify")
    if not report.intact:
        click.echo(
            f"BROKEN at entry {report.broken_id}: {report.reason} ({report.entries} entries read).",
            err=True,
        )
        sys.exit(1)
    click.echo(f"OK: {report.entries} audit entries, chain intact.")


@main.group("content")
def content_group() -> None:
    """Revision pages as Markdown files with front matter."""


@content_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace pages a tutor has edited in the browser since the last import.",
)
@with_appcontext
def content_import(directory: Path, overwrite: bool) -> None:
    """Load DIRECTORY/pages/*.md (or DIRECTORY/*.md), idempotently by slug."""
    folder = directory / "pages" if (directory / "pages").is_dir() else directory
    points, misconceptions = qualifications.reference_ids()
    pages, errors = read_pages(folder, points, misconceptions)
    for error in errors:
        click.echo(str(error), err=True)
    result = content.import_pages(pages, overwrite=overwrite)
    click.echo(
        f"Pages: {result.created} new, {result.updated} updated, {result.unchanged} "
        f"unchanged, {result.kept} kept (a tutor's newer edit; --overwrite replaces it)."
    )
    if errors:
        click.echo(f"{len(errors)} file(s) had errors and were not imported.", err=True)
        sys.exit(1)


@content_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def content_export(directory: Path) -> None:
    """Write every page to DIRECTORY as Markdown with front matter."""
    click.echo(f"Wrote {content.export_pages(directory)} page(s) to {directory}.")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@click.option("--assessor", "assessor_email", help="Email of the learner's assessor.")
@click.password_option(help="At least 12 characters; asked for when not given.")
@with_appcontext
def create_user(
    email: str, name: str, roles: tuple[str, ...], assessor_email: str | None, password: str
) -> None:
    """Create a user with one or more roles."""
    assessor = None
    if assessor_email:
        assessor = accounts.find_user_by_email(assessor_email)
        if assessor is None or not assessor.has_role(Role.ASSESSOR):
            raise click.BadParameter(
                f"no assessor with email {assessor_email}", param_hint="--assessor"
            )
    try:
        user = accounts.create_user(email, name, password, [Role(r) for r in roles], assessor)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.name} <{user.email}> with roles: {', '.join(roles)}.")


@main.command("export")
@click.option("--learner", "email", required=True, help="The learner's email.")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.pdf"
)
@click.option("--element", "element_id", help="Only this element's evidence.")
@click.option("--eqa", is_flag=True, help="Only IQA-sampled decisions; other learners redacted.")
@click.option("--pdfa", is_flag=True, help="PDF/A-3b, for archiving.")
@with_appcontext
def export_command(email: str, out: Path, element_id: str | None, eqa: bool, pdfa: bool) -> None:
    """Write a learner's portfolio PDF to FILE.pdf."""
    learner = accounts.find_user_by_email(email)
    if learner is None or not learner.has_role(Role.LEARNER):
        click.echo(f"No learner with email {email}.", err=True)
        sys.exit(1)
    if element_id is not None and qualifications.get_element(element_id) is None:
        click.echo(f"No element with id {element_id}.", err=True)
        sys.exit(1)
    try:
        pdf = export.render_portfolio(learner, Scope(element_id, eqa), pdfa=pdfa)
    except RenderFailed as failure:
        click.echo(str(failure), err=True)
        sys.exit(1)
    out.write_bytes(pdf.data)
    click.echo(f"Wrote {out}: {pdf.pages} page(s), {len(pdf.data):,} bytes.")


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Take export jobs from the Redis queue (PORTFOLIO_REDIS_URL) and run them."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        click.echo(
            "PORTFOLIO_REDIS_URL is not set: without it exports run inside the app, "
            "and there is no queue to work on.",
            err=True,
        )
        sys.exit(1)
    # Building a portfolio's pages is background work too: below the web workers on a shared
    # machine, as its rendering child is (core/render_process.py).
    lower_priority()
    try:
        runner.work(app, burst=burst)
    except runner.QueueUnavailable as error:
        click.echo(str(error), err=True)
        sys.exit(1)


main.add_command(pdf_check_command)
