"""Who may use which route: the table the security tests check every route of the app against.

A new route fails ``tests/security/test_routes.py`` until it is added to :data:`POLICY` here
(and, when it is checked per object or is part of the API, to :data:`OBJECT_RULES` or
:data:`BEARER_POLICY`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, url_for
from sqlalchemy import select

from tests.conftest import FAST_HASH, _empty
from webapp import create_app
from webapp.cli import DEMO_USERS
from webapp.engine.calendar import WallClockCalendar
from webapp.extensions import db
from webapp.models import Role, User

ROOT_PROCESSES = Path(__file__).resolve().parents[2] / "processes"

PUBLIC = "public"  # anyone, signed in or not
AUTHENTICATED = "authenticated"  # anyone signed in (every demo user holds a role)
OBJECT = "object"  # signed in, then checked per task / case / attachment / notification
BEARER = "bearer"  # the JSON API: a bearer token only, never a session cookie

ADMIN = frozenset({"admin"})
OWNERS = frozenset({"process_owner", "admin"})
# Starting the demo SOP is for the lane of its first step (checked by svc.can_start).
STARTERS = frozenset({"Unit Kerja/Koordinator"})

POLICY: dict[str, str | frozenset[str]] = {
    # auth, assets, health
    "auth.login": PUBLIC,
    "auth.logout": AUTHENTICATED,
    "auth.password": AUTHENTICATED,
    "auth.set_language": PUBLIC,
    "oidc.start": PUBLIC,  # 404 unless single sign-on is configured
    "oidc.callback": PUBLIC,
    "health.health": PUBLIC,
    "health.ready": PUBLIC,
    "assets.vendor": PUBLIC,
    # staff
    "tasks.worklist": AUTHENTICATED,
    "tasks.start_list": AUTHENTICATED,
    "tasks.start": STARTERS,
    "tasks.task": OBJECT,
    "tasks.claim": OBJECT,
    "tasks.release": OBJECT,
    # cases
    "instances.mine": AUTHENTICATED,
    "instances.detail": OBJECT,
    "instances.diagram": OBJECT,
    "instances.calls": OBJECT,
    "instances.report": OBJECT,
    "instances.attachment": OBJECT,
    "instances.retry_service": ADMIN,
    "instances.skip_service": ADMIN,
    # SLA and notifications
    "sla.report": AUTHENTICATED,
    "notifications.index": AUTHENTICATED,
    "notifications.open_notification": OBJECT,
    "notifications.read_all": AUTHENTICATED,
    "notifications.channels": AUTHENTICATED,  # one's own channels only
    # SOP sheet: the office's public procedure, for anyone signed in with a role
    "sop_sheet.sheet": AUTHENTICATED,
    "sop_sheet.sheet_pdf": AUTHENTICATED,
    # administrators
    "admin_instances.index": ADMIN,
    "admin_instances.suspend": ADMIN,
    "admin_instances.resume": ADMIN,
    "admin_instances.terminate": ADMIN,
    "admin_instances.reassign": ADMIN,
    "admin_instances.release": ADMIN,
    "admin_users.index": ADMIN,
    "admin_users.new": ADMIN,
    "admin_users.edit": ADMIN,
    "admin_users.deactivate": ADMIN,
    "admin_users.reactivate": ADMIN,
    "admin_users.password": ADMIN,
    "admin_users.end_sessions": ADMIN,
    "admin_users.channels": ADMIN,
    "admin_users.roles": ADMIN,
    "admin_users.role_external": ADMIN,
    "dashboard.index": ADMIN,
    "dashboard.data": ADMIN,
    "dashboard.export": ADMIN,
    # process owners
    "processes.library": OWNERS,
    "processes.new": OWNERS,
    "processes.detail": OWNERS,
    "processes.upload": OWNERS,
    "processes.version": OWNERS,
    "processes.download": OWNERS,
    "processes.model": OWNERS,
    "processes.save_draft": OWNERS,
    "processes.modeler": OWNERS,
    "processes.preview_form": OWNERS,
    "processes.publish": OWNERS,
    "processes.create_role": OWNERS,
    "processes.migrate": ADMIN,
    "sop_import.upload": OWNERS,
    "sop_import.review": OWNERS,
    # API
    "api.openapi": PUBLIC,
    "api.processes": BEARER,
    "api.process": BEARER,
    "api.start": BEARER,
    "api.tasks": BEARER,
    "api.task": BEARER,
    "api.claim": BEARER,
    "api.release": BEARER,
    "api.complete": BEARER,
    "api.instance": BEARER,
    "api.history": BEARER,
    "api.report": BEARER,
    "api.upload_version": BEARER,
    "api.publish_version": BEARER,
    "api.create_role": BEARER,
    "api.import_process": BEARER,
}

# Behind the bearer token, the same rules as the pages.
BEARER_POLICY: dict[str, str | frozenset[str]] = {
    "api.processes": AUTHENTICATED,
    "api.process": AUTHENTICATED,
    "api.start": STARTERS,
    "api.tasks": AUTHENTICATED,
    "api.task": OBJECT,
    "api.claim": OBJECT,
    "api.release": OBJECT,
    "api.complete": OBJECT,
    "api.instance": OBJECT,
    "api.history": OBJECT,
    "api.report": OBJECT,
    "api.upload_version": OWNERS,
    "api.publish_version": OWNERS,
    "api.create_role": OWNERS,
    "api.import_process": OWNERS,
}

# In the seeded app the requesters' role is external (applicants from outside the office, as
# Pemohon is in a licence SOP), and a second applicant holds it: another applicant's case is
# closed to them on every route that reads a case (issue 12 item 3).
EXTERNAL_ROLE = "Unit Kerja/Koordinator"
APPLICANTS = {"pemohon2": frozenset({EXTERNAL_ROLE})}
USERS = {username: frozenset(roles) for username, _name, roles in DEMO_USERS} | APPLICANTS

# The seeded objects (see test_routes.seeded): a case started by unit1, waiting at step 2
# (lane Ketua Tim), with a screenshot; its open step-2 task; a notification of unit1.
# Users with no relation to them, and how they are refused.
CASE_STRANGERS = frozenset({"tim1", "tim2", "owner1", "pemohon2"})
# An open task is for its lane (or its assignee) only: not the requester, not an admin
# (administrators hand tasks over with admin_instances.reassign, they do not fill them in).
TASK_STRANGERS = frozenset({"unit1", "tim1", "tim2", "owner1", "admin1", "pemohon2"})
NOTIFICATION_STRANGERS = frozenset(USERS) - {"unit1"}


@dataclass(frozen=True)
class ObjectRule:
    strangers: frozenset[str]
    status: int = 403  # how a stranger is refused


OBJECT_RULES: dict[str, ObjectRule] = {
    "tasks.task": ObjectRule(TASK_STRANGERS),
    "tasks.claim": ObjectRule(TASK_STRANGERS),
    "tasks.release": ObjectRule(TASK_STRANGERS),
    "instances.detail": ObjectRule(CASE_STRANGERS),
    "instances.diagram": ObjectRule(CASE_STRANGERS),
    "instances.calls": ObjectRule(CASE_STRANGERS),
    "instances.report": ObjectRule(CASE_STRANGERS),
    "instances.attachment": ObjectRule(CASE_STRANGERS),
    # Someone else's notification is "not found": its existence is not confirmed.
    "notifications.open_notification": ObjectRule(NOTIFICATION_STRANGERS, 404),
    "api.task": ObjectRule(TASK_STRANGERS),
    "api.claim": ObjectRule(TASK_STRANGERS),
    "api.release": ObjectRule(TASK_STRANGERS),
    "api.complete": ObjectRule(TASK_STRANGERS),
    "api.instance": ObjectRule(CASE_STRANGERS),
    "api.history": ObjectRule(CASE_STRANGERS),
    "api.report": ObjectRule(CASE_STRANGERS),
}


def effective(endpoint: str) -> str | frozenset[str]:
    """The rule a signed-in caller meets (for the API: the one behind the token)."""
    rule = POLICY[endpoint]
    return BEARER_POLICY[endpoint] if rule == BEARER else rule


def allowed(endpoint: str, username: str) -> bool:
    """Whether the demo user may use the route (on the seeded objects)."""
    rule = effective(endpoint)
    if rule in (PUBLIC, AUTHENTICATED):
        return True
    if rule == OBJECT:
        return username not in OBJECT_RULES[endpoint].strangers
    return bool(USERS[username] & rule)


def refusal_status(endpoint: str) -> int:
    return OBJECT_RULES[endpoint].status if effective(endpoint) == OBJECT else 403


# -- apps --------------------------------------------------------------------------------------


def build_app(database_url: str, attachment_dir: str, **overrides) -> Flask:
    """An app like tests/conftest.py's ``app`` (emptied database, demo users); not a fixture
    so a test module can keep one seeded app for all its tests."""
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SLA_CALENDAR": WallClockCalendar(),
        "ATTACHMENT_DIR": attachment_dir,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        _empty(db.engine)
        result = app.test_cli_runner().invoke(args=["setup", "--demo"])
        assert result.exit_code == 0, result.output
        _add_applicants()
    return app


def _add_applicants() -> None:
    """Mark the requesters' role external and add the applicants of APPLICANTS to it."""
    roles = {r.name: r for r in db.session.scalars(select(Role))}
    roles[EXTERNAL_ROLE].external = True
    for username, names in APPLICANTS.items():
        user = User(username=username, full_name=f"Pemohon {username}")
        user.set_password("demo")
        user.roles = [roles[name] for name in sorted(names)]
        db.session.add(user)
    db.session.commit()


@contextmanager
def seeded_app(database_url: str, attachment_dir: str, **overrides) -> Iterator[Flask]:
    app = build_app(database_url, attachment_dir, **overrides)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class FakeDeployment:
    """Stands in for the deployment connector (as in tests/services/test_service_calls.py)."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, aplikasi, rilis, *, on_output=None):
        self.calls.append({"aplikasi": aplikasi, "rilis": rilis})
        if on_output:
            on_output("[1/1] Mengunggah")
        return {"target": "colo:/var/www/app", "exit_code": 0, "log": "ok"}


# -- routes ------------------------------------------------------------------------------------

SKIPPED_ENDPOINTS = {"static"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def routes() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) of every route of a freshly built app (``static`` left out)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    result = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in METHODS:
            if method in rule.methods:
                result.append((rule.endpoint, rule.rule, method))
    return result


def build_url(app: Flask, endpoint: str, values: dict) -> str:
    """The route's URL with real ids from ``values`` (one per argument name of the rule)."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    missing = rule.arguments - set(values)
    assert not missing, f"{rule.rule}: give {sorted(missing)} a real value in the seeded fixture"
    with app.test_request_context():
        return url_for(endpoint, **{a: values[a] for a in rule.arguments})


def missing_policy(endpoint: str, rule: str) -> str:
    return (
        f"route {rule!r} (endpoint {endpoint!r}) has no entry in tests/security/policy.py "
        f"POLICY: add it with who may use it (PUBLIC, AUTHENTICATED, OBJECT, BEARER or a set of "
        f"roles) and make sure the view checks exactly that"
    )
