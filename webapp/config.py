"""Settings: declared once (name, default, help), read from ``SOPFLOW_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str


SETTINGS = [
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL; default sqlite:///<instance>/sopflow.db. "
        "postgresql+psycopg://… or mysql+pymysql://…",
    ),
    Setting("SECRET_KEY", None, "Session and CSRF signing key. Required when ENV=production."),
    Setting("ENV", "development", "`production` turns on Secure cookies and refuses defaults."),
    Setting("PROCESSES_DIR", str(ROOT / "processes"), "Folder of SOP diagrams imported at setup."),
    Setting("ATTACHMENT_DIR", "", "Where uploaded files are kept; default <instance>/attachments."),
    Setting("MAX_UPLOAD_MB", "10", "Largest accepted upload (one request), in megabytes."),
    Setting("DEFAULT_LOCALE", "id", "Interface language when the user has not chosen: id or en."),
]


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the app refuses to start."""


def env(name: str) -> str | None:
    """Read one declared setting from the environment (``SOPFLOW_<NAME>``)."""
    for setting in SETTINGS:
        if setting.name == name:
            return os.environ.get(f"SOPFLOW_{name}", setting.default)
    raise KeyError(f"undeclared setting {name}")


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Return the Flask config for this environment, failing fast on bad settings."""
    production = env("ENV") == "production"
    secret = env("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SOPFLOW_SECRET_KEY must be set when SOPFLOW_ENV=production")
        secret = _dev_secret(instance_path)
    try:
        max_mb = int(env("MAX_UPLOAD_MB") or "10")
    except ValueError as exc:
        raise ConfigError("SOPFLOW_MAX_UPLOAD_MB must be a whole number") from exc
    locale = env("DEFAULT_LOCALE") or "id"
    if locale not in ("id", "en"):
        raise ConfigError("SOPFLOW_DEFAULT_LOCALE must be id or en")
    db_url = env("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'sopflow.db'}"
    config = {
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PROCESSES_DIR": env("PROCESSES_DIR"),
        "ATTACHMENT_DIR": env("ATTACHMENT_DIR") or str(Path(instance_path) / "attachments"),
        "MAX_CONTENT_LENGTH": max_mb * 1024 * 1024 + 64 * 1024,
        "MAX_UPLOAD_BYTES": max_mb * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": locale,
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    }
    config.update(overrides or {})
    return config


def _dev_secret(instance_path: str) -> str:
    # Development only: a random key kept in the instance folder so sessions survive restarts.
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
