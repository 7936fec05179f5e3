"""sopflow: run a government office's SOPs as BPMN processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, session
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import auth, cli
from .config import build_config, instance_dir
from .engine import nesting, sandbox
from .engine.sop_import import configure as configure_import
from .extensions import babel, csrf, db, login_manager, migrate
from .views import (
    admin_instances,
    admin_users,
    api,
    assets,
    dashboard,
    errors,
    health,
    instances,
    notifications,
    oidc,
    processes,
    security,
    sla,
    sop_import,
    sop_sheet,
    tasks,
    template_helpers,
)

LOCALES = ("id", "en")
# The locale each language is formatted in. English is written day first, as the office reads
# dates ('30 Nov 2026', not 'Nov 30, 2026'); its catalog is still translations/en (gettext
# falls back from en_GB to en).
FORMAT_LOCALES = {"id": "id", "en": "en_GB"}
ROOT = Path(__file__).resolve().parent.parent


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - per connection
    # WAL lets readers run beside the one writer; busy_timeout waits instead of failing.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class DatabaseId(IntegerConverter):
    """``<int:…>`` limited to 1..2**31-1, the range of an INTEGER primary key everywhere."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing request bodies nested deeper than any form may be.

    Python's json parser recurses once per level: a body a few thousand levels deep would raise
    RecursionError (a 500). Measured first, it is a ValueError, which ``request.get_json``
    answers with 400 (or None when silent).
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return nesting.loads(s, nesting.MAX_SCHEMA_DEPTH + 8)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the sopflow app; ``test_config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_path=instance_dir(str(ROOT / "instance")))
    app.json = BoundedJSONProvider(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(build_config(app.instance_path, test_config))
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Behind N reverse proxies, the client's address and scheme are the ones the proxies
        # saw (log-in limits and the audit log use it); with 0 the headers are ignored, so a
        # client cannot choose its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    # Diagram code runs in sandbox processes with the administrator's budget.
    sandbox.configure(app.config["SCRIPT_TIME_LIMIT"], app.config["SCRIPT_MEMORY_MB"])
    # Uploaded SOP documents are read in a child process with the administrator's budget.
    configure_import(app.config["IMPORT_TIME_LIMIT"], app.config["IMPORT_MEMORY_MB"])

    # Ids in URLs fit the database's INTEGER columns; a larger number is a 404, not a 500.
    app.url_map.converters["int"] = DatabaseId
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)

    def select_locale() -> str:
        # Outside a request (CLI, worker) there is no session: use the default language.
        if has_request_context() and session.get("lang") in LOCALES:
            return FORMAT_LOCALES[session["lang"]]
        return FORMAT_LOCALES[app.config["BABEL_DEFAULT_LOCALE"]]

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)

    auth.init_app(app)
    oidc.init_app(app)  # single sign-on, when configured
    template_helpers.init_app(app)
    cli.init_app(app)
    app.register_blueprint(errors.bp)
    app.register_blueprint(security.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(instances.bp)
    app.register_blueprint(sla.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(admin_instances.bp)
    app.register_blueprint(admin_users.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(sop_import.bp)
    app.register_blueprint(processes.bp)
    app.register_blueprint(sop_sheet.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF cannot apply

    @app.context_processor
    def _globals():
        return {
            "current_locale": session.get("lang") or app.config["BABEL_DEFAULT_LOCALE"],
            "user": current_user,
        }

    return app
