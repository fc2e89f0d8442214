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
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "RUBRICS_DIR": os.environ.get("PORTFOLIO_RUBRICS_DIR", str(ROOT / "rubrics")),
        "CONTENT_DIR": os.environ.get("PORTFOLIO_CONTENT_DIR", str(ROOT / "content")),
        "CENTRE_NAME": os.environ.get("PORTFOLIO_CENTRE_NAME", "Demo Training Centre"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": env == "production",
        # CSRF tokens live as long as the session: a long draft must not fail on save.
        "WTF_CSRF_TIME_LIMIT": None,
        # Above the 2 MB image limit, so an image a little too big reaches the upload form and
        # is refused there with a message next to the field, not with the bare 413 page.
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        # Werkzeug's scrypt default. Only the tests lower it, to keep the suite fast.
        "PASSWORD_HASH_METHOD": "scrypt",
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(env, instance)
    return config
