"""The web benchmark's baseline: a bare Flask + Flask-SQLAlchemy app served exactly as the
portfolio is, so its times say what the server, the framework and the machine cost by
themselves. Two pages:

- /jinja: a Jinja page of about the size of one of ours, with no database;
- /keyset?after=<id>: 50 rows of a 100,000-row table, the next page by keyset on the id
  (no row count: the strictest baseline, as the issue describes it).

The table is made and filled on first use (SQLite file, or a PostgreSQL database) by
`prepare(url)`; the web benchmark calls it before starting the server, so the workers only
read. Served by gunicorn as `bench.baseline:create_app()` with BENCH_BASELINE_DATABASE_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template, request
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import String, func, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROOT = Path(__file__).resolve().parent.parent
ROWS = 100_000
PAGE = 50
DEFAULT_URL = f"sqlite:///{ROOT / 'instance' / 'bench-baseline.sqlite3'}"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Row(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    score: Mapped[int]


LAYOUT = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><header><nav aria-label="Main"><ul>
{% for label in ["Home", "Evidence", "Quizzes", "Pages", "Tracking", "Exports"] %}
<li><a href="/{{ label|lower }}">{{ label }}</a></li>{% endfor %}
</ul></nav></header><main>{% block main %}{% endblock %}</main></body></html>
"""

JINJA = """{% extends "layout.html" %}{% block title %}Baseline{% endblock %}{% block main %}
<h1>A page with no database</h1>
{% for n in range(50) %}<p>Paragraph {{ n }}: {{ text }}</p>
{% endfor %}{% endblock %}
"""

KEYSET = """{% extends "layout.html" %}{% block title %}Rows{% endblock %}{% block main %}
<h1>Rows</h1><p>Showing {{ rows|length }} rows.</p>
<table><thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Email</th>
<th scope="col">Score</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td><td>{{ row.email }}</td>
<td>{{ row.score }}</td></tr>
{% endfor %}</tbody></table>
{% if rows|length == page %}<a href="?after={{ rows[-1].id }}">Next rows</a>{% endif %}
{% endblock %}
"""


def prepare(url: str, rows: int = ROWS) -> None:
    """Makes the table and fills it with `rows` rows, once (a full table is left alone)."""
    app = create_app(url)
    with app.app_context():
        db.create_all()
        have = db.session.scalar(select(func.count()).select_from(Row)) or 0
        if have >= rows:
            return
        chunk = 5_000
        for start in range(have + 1, rows + 1, chunk):
            db.session.execute(
                insert(Row),
                [
                    {
                        "id": i,
                        "name": f"Person {i}",
                        "email": f"person{i}@example.org",
                        "score": i % 97,
                    }
                    for i in range(start, min(start + chunk, rows + 1))
                ],
            )
        db.session.commit()


def create_app(url: str | None = None) -> Flask:
    url = url or os.environ.get("BENCH_BASELINE_DATABASE_URL") or DEFAULT_URL
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.jinja_loader = DictLoader(
        {"layout.html": LAYOUT, "jinja.html": JINJA, "keyset.html": KEYSET}
    )
    db.init_app(app)

    @app.get("/jinja")
    def jinja() -> str:
        return render_template("jinja.html", text="The quick brown fox jumps over the lazy dog.")

    @app.get("/keyset")
    def keyset() -> str:
        raw = request.args.get("after", "")
        after = int(raw) if raw.isdigit() and len(raw) < 10 else 0
        rows = db.session.scalars(
            select(Row).where(Row.id > after).order_by(Row.id).limit(PAGE)
        ).all()
        return render_template("keyset.html", rows=rows, page=PAGE)

    return app
