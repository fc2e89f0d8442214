"""Settings, read from PORTFOLIO_* environment variables, with an embedded SQLite default."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The app cannot start with these settings."""


def _instance_path() -> Path:
    return Path(os.environ.get("PORTFOLIO_INSTANCE_PATH", ROOT / "instance")).resolve()


def _secret_key(env: str, instance: Path) -> str:
    key = os.environ.get("PORTFOLIO_SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError(
            "PORTFOLIO_SECRET_KEY is not set: the app refuses to start in production without it."
        )
    # Development: generate once and keep it, so sessions survive a restart.
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Plain postgresql:// URLs use psycopg 3, the driver this project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Seconds to wait for a PostgreSQL server to answer a new connection before the page answers
# 503 (a silent network path otherwise holds a request for over a minute).
DB_CONNECT_SECONDS = 5


def _engine_options(url: str, seconds: int) -> dict[str, Any]:
    """Checked connections; on PostgreSQL, a connect timeout and a statement timeout (SQLite's
    statements are timed by portfolio.db.limit_statements)."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": DB_CONNECT_SECONDS,
            "options": f"-c statement_timeout={seconds * 1000}",
        }
    return options


def _positive_int(name: str, default: int, unit: str = "bytes", maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0, not {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, not {value}")
    return value


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    env = overrides.get("ENV_NAME") or os.environ.get("PORTFOLIO_ENV", "development")
    if env not in {"development", "production", "testing"}:
        raise ConfigError(f"PORTFOLIO_ENV must be development, production or testing, not {env!r}")
    instance = Path(overrides.get("INSTANCE_PATH") or _instance_path())
    database_url = normalise_database_url(
        os.environ.get("PORTFOLIO_DATABASE_URL", f"sqlite:///{instance / 'portfolio.sqlite3'}")
    )
    config: dict[str, Any] = {
        "ENV_NAME": env,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The longest one SQL statement may run before it is stopped and the page answers 503
        # (a hung network path, a runaway query), on both databases.
        "DB_STATEMENT_SECONDS": _positive_int(
            "PORTFOLIO_DB_STATEMENT_SECONDS", 30, unit="seconds", maximum=3600
        ),
        "RUBRICS_DIR": os.environ.get("PORTFOLIO_RUBRICS_DIR", str(ROOT / "rubrics")),
        "CONTENT_DIR": os.environ.get("PORTFOLIO_CONTENT_DIR", str(ROOT / "content")),
        "CENTRE_NAME": os.environ.get("PORTFOLIO_CENTRE_NAME", "Demo Training Centre"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        # In production the __Host- prefix: the browser keeps the cookie only if it came over
        # HTTPS for this host and path /, so no subdomain can set or shadow it.
        "SESSION_COOKIE_NAME": "__Host-session" if env == "production" else "session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_NAME": "__Host-remember" if env == "production" else "remember_token",
        # Production pages tell browsers to use HTTPS only, for a year (HSTS).
        "HSTS": env == "production",
        # A sign-in ends after this long without a request, and this long after it began,
        # whatever the activity (a shared computer left signed in).
        "SESSION_IDLE_HOURS": _positive_int(
            "PORTFOLIO_SESSION_IDLE_HOURS", 8, unit="hours", maximum=24 * 7
        ),
        "SESSION_MAX_HOURS": _positive_int(
            "PORTFOLIO_SESSION_MAX_HOURS", 24, unit="hours", maximum=24 * 30
        ),
        # CSRF tokens live as long as the session: a long draft must not fail on save.
        "WTF_CSRF_TIME_LIMIT": None,
        # Evidence attachments: the largest one file, and all of one learner's files together.
        "ATTACHMENT_MAX_BYTES": _positive_int("PORTFOLIO_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "ATTACHMENT_QUOTA_BYTES": _positive_int(
            "PORTFOLIO_ATTACHMENT_QUOTA_BYTES", 100 * 1024 * 1024
        ),
        # Working days (weekends and content/calendar.yaml holidays skipped) an assessor has to
        # decide a submission. At most 60: a longer "turnaround" is a typo, not a policy.
        "TURNAROUND_DAYS": _positive_int(
            "PORTFOLIO_TURNAROUND_DAYS", 7, unit="working days", maximum=60
        ),
        # Portfolio exports: each render runs in a child process stopped at these limits.
        "EXPORT_SECONDS": _positive_int(
            "PORTFOLIO_EXPORT_SECONDS", 600, unit="seconds", maximum=3600
        ),
        "EXPORT_MEMORY_MB": _positive_int(
            "PORTFOLIO_EXPORT_MEMORY_MB", 2048, unit="megabytes", maximum=65536
        ),
        # Processes one long, non-archival export is split across (1: none). A split PDF is
        # untagged and not PDF/A (portfolio/export/parallel.py says why), so it is opt-in.
        "EXPORT_SPLIT": _positive_int("PORTFOLIO_EXPORT_SPLIT", 1, unit="processes", maximum=16),
        # How long a download link works, and how long finished exports are kept.
        "EXPORT_LINK_MINUTES": _positive_int(
            "PORTFOLIO_EXPORT_LINK_MINUTES", 60, unit="minutes", maximum=7 * 24 * 60
        ),
        "EXPORT_KEEP_DAYS": _positive_int("PORTFOLIO_EXPORT_KEEP_DAYS", 7, unit="days"),
        # Without Redis, exports run on threads inside the app (no server needed); with it,
        # on `portfolio worker` processes, on this machine or others.
        "REDIS_URL": os.environ.get("PORTFOLIO_REDIS_URL") or None,
        "EXPORT_THREADS": _positive_int("PORTFOLIO_EXPORT_THREADS", 2, unit="threads", maximum=32),
        # Werkzeug's scrypt default. Only the tests lower it, to keep the suite fast.
        "PASSWORD_HASH_METHOD": "scrypt",
    }
    config.update(overrides)
    if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(
            str(config["SQLALCHEMY_DATABASE_URI"]), int(config["DB_STATEMENT_SECONDS"])
        )
    if "MAX_CONTENT_LENGTH" not in config:
        # A little above the largest upload (an attachment, or a 2 MB image), so a file a little
        # too big still reaches its form and is refused there with a message next to the field;
        # only a far larger request gets the 413 page, which says the limit.
        config["MAX_CONTENT_LENGTH"] = max(
            4 * 1024 * 1024, int(config["ATTACHMENT_MAX_BYTES"]) + 1024 * 1024
        )
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(env, instance)
    return config
