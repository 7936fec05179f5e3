"""Settings: declared once (name, default, help), read from ``SOPFLOW_*`` environment variables.

The README's settings table is rendered from these declarations (``make settings-doc``), and a
test fails when the two differ.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .engine.calendar import make_calendar

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@dataclass(frozen=True)
class Setting:
    """One setting, ``SOPFLOW_<name>``: its default, what it means, and how the docs show it.

    ``shown`` is the default as the README prints it (markdown), for a default that depends on
    the machine: the generated docs must not carry the path of the checkout that wrote them.
    """

    name: str
    default: str | None
    help: str
    shown: str | None = None


SETTINGS = [
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL; default sqlite:///<instance>/sopflow.db. "
        "postgresql+psycopg://… or mysql+pymysql://…",
    ),
    Setting("SECRET_KEY", None, "Session and CSRF signing key. Required when ENV=production."),
    Setting("ENV", "development", "`production` turns on Secure cookies and refuses defaults."),
    Setting(
        "PROCESSES_DIR",
        str(ROOT / "processes"),
        "Folder of SOP diagrams imported at setup.",
        shown="`processes/` in the checkout",
    ),
    Setting(
        "ATTACHMENT_DIR",
        "",
        "Folder of attachments, reports and SOP sheet PDFs with STORAGE=local; "
        "default <instance>/attachments.",
    ),
    Setting("MAX_UPLOAD_MB", "10", "Largest accepted upload (one request), in megabytes."),
    Setting("DEFAULT_LOCALE", "id", "Interface language when the user has not chosen: id or en."),
    Setting("SLA_CALENDAR", "working-hours", "Time standards count working-hours or calendar."),
    Setting("WORK_TIMEZONE", "Asia/Jakarta", "Time zone of the office's working hours."),
    Setting(
        "WORK_HOURS",
        "mon-thu 07:30-12:00,13:00-16:00; fri 07:30-11:30,13:00-16:30",
        "Working intervals per weekday (Perpres 21/2023: 37.5 hours a week).",
    ),
    Setting("HOLIDAY_COUNTRY", "ID", "Public holidays of this country (holidays package)."),
    Setting("CUTI_BERSAMA", "", "Collective-leave days, comma-separated YYYY-MM-DD."),
    Setting("SMTP_HOST", "", "Mail server for notifications; empty = in-app notifications only."),
    Setting("SMTP_PORT", "25", "Mail server port."),
    Setting("SMTP_USER", "", "Mail server user (optional)."),
    Setting("SMTP_PASSWORD", "", "Mail server password (optional)."),
    Setting("SMTP_FROM", "sopflow@localhost", "Sender address of notification e-mails."),
    Setting("SMTP_STARTTLS", "false", "true to upgrade the connection with STARTTLS."),
    Setting(
        "WORKER_INTERVAL",
        "15",
        "Longest sleep of the worker, in seconds: it wakes sooner when a time standard falls "
        "due or (PostgreSQL) when a sooner one or a service call is written.",
    ),
    Setting(
        "WORKER_POLL",
        "1",
        "Seconds (0.05-1) between the worker's looks for sooner timers and queued service "
        "calls where it cannot LISTEN (SQLite, MariaDB); on PostgreSQL, how often it checks "
        "for a stop signal while it listens.",
    ),
    Setting(
        "WORKER_CONCURRENCY",
        "2",
        "Service calls (deployments, reports) one worker runs at once, each on its own "
        "thread (1-32); `worker --concurrency` overrides it.",
    ),
    Setting(
        "SCRIPT_TIME_LIMIT",
        "2",
        "Seconds one diagram expression or script may run (wall clock and CPU, 0.1-60); "
        "over it the case gets an incident.",
    ),
    Setting(
        "SCRIPT_MEMORY_MB",
        "256",
        "Memory one diagram expression or script may take, in megabytes (16-4096).",
    ),
    Setting(
        "IMPORT_TIME_LIMIT",
        "30",
        "Seconds reading one uploaded SOP document (DOCX, XLSX, PDF, text) may take (5-300); "
        "over it the upload is refused as too complex.",
    ),
    Setting(
        "IMPORT_MEMORY_MB",
        "1024",
        "Memory (address space) the process reading one uploaded SOP document may take, in "
        "megabytes (256-8192).",
    ),
    Setting(
        "AGENCY_LINES",
        None,
        "Fallback agency name for a diagram without `sopInstansi`, one line per `|`; "
        "empty = the SOP sheet prints no agency line and warns.",
    ),
    Setting("BASE_URL", "http://127.0.0.1:5000", "Public address used in e-mail links."),
    # Read by the deployment connector itself (service_tasks does not import the web app):
    # declared here so that it is documented with the others.
    Setting(
        "DEPLOY_CONFIG",
        None,
        "TOML file of the deployment targets, one `[apps.<id>]` table per application "
        "(see service_tasks/deploy.example.toml); unset, nothing can be deployed.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        "0",
        "Reverse proxies in front of the app (0-5) whose X-Forwarded-For/-Proto are believed: "
        "the client address for log-in limits and the audit log. 0 = none, headers ignored.",
    ),
    # --- Single sign-on (OpenID Connect) ---
    Setting(
        "OIDC_ISSUER",
        "",
        "Single sign-on: the OpenID Connect provider's issuer, e.g. "
        "`https://sso.kantor.go.id/realms/kantor` (its `/.well-known/openid-configuration` is "
        "read); empty = no single sign-on.",
    ),
    Setting("OIDC_CLIENT_ID", "", "sopflow's client id at the provider; required with the issuer."),
    Setting(
        "OIDC_CLIENT_SECRET",
        "",
        "The client's secret (confidential client); empty = a public client (PKCE only). Secret.",
    ),
    Setting("OIDC_SCOPES", "openid profile email", "Scopes asked for; must include `openid`."),
    Setting(
        "OIDC_USERNAME_CLAIM",
        "preferred_username",
        "Claim that gives the sopflow username on first log-in (Google: `email`; Azure AD: "
        "`preferred_username`).",
    ),
    Setting(
        "OIDC_GROUPS_CLAIM",
        "groups",
        "Claim listing the person's groups or roles; a dotted path reaches inside an object "
        "(Keycloak realm roles: `realm_access.roles`); empty = no role mapping.",
    ),
    Setting(
        "OIDC_ROLE_MAP",
        "",
        "Groups to roles: `group=Role,Other role;group2=Role`. Roles the map names follow the "
        "groups at every log-in; roles it never names are left to the administrator.",
    ),
    Setting(
        "OIDC_BUTTON_LABEL",
        "",
        "Text of the log-in page's single sign-on button; empty = `Masuk dengan SSO kantor` "
        "(translated).",
    ),
    Setting(
        "OIDC_TIMEOUT",
        "10",
        "Seconds (1-60) to wait for the provider before telling the person it is unreachable.",
    ),
    # --- Directory log-in (LDAP / Active Directory) ---
    Setting(
        "LOCAL_LOGIN",
        "on",
        "Passwords kept in sopflow: `on` for everyone, `admins` only for members of the admin "
        "role (break-glass), `off` for no one (the form then serves the directory only).",
    ),
    Setting(
        "LDAP_URL",
        "",
        "Directory server(s) for log-in, e.g. `ldaps://dc1.kantor.go.id` (several separated by "
        "spaces: tried in turn); empty = no directory log-in.",
    ),
    Setting("LDAP_START_TLS", "false", "true to upgrade an ldap:// connection with StartTLS."),
    Setting(
        "LDAP_CA_FILE",
        "",
        "CA certificate(s) (PEM) that signed the directory's certificate; empty = the system's.",
    ),
    Setting(
        "LDAP_BIND_DN",
        "",
        "Service account that searches for the person's entry (AD: `sopflow@kantor.go.id` "
        "works too); empty = anonymous search.",
    ),
    Setting("LDAP_BIND_PASSWORD", "", "Password of the service account."),
    Setting(
        "LDAP_BASE_DN", "", "Where people are searched, e.g. `ou=people,dc=kantor,dc=go,dc=id`."
    ),
    Setting(
        "LDAP_USER_FILTER",
        "(uid={username})",
        "Filter finding one person; `{username}` is the typed name, escaped. AD: "
        "`(&(objectClass=user)(sAMAccountName={username}))`.",
    ),
    Setting(
        "LDAP_GROUPS",
        "memberof",
        "Where a person's groups come from: `memberof` (the entry's memberOf, AD and OpenLDAP's "
        "memberof overlay) or `search` (LDAP_GROUP_FILTER under LDAP_GROUP_BASE_DN).",
    ),
    Setting("LDAP_GROUP_BASE_DN", "", "Where groups are searched; empty = LDAP_BASE_DN."),
    Setting(
        "LDAP_GROUP_FILTER",
        "(&(objectClass=groupOfNames)(member={dn}))",
        "Group search filter; `{dn}` is the person's entry DN and `{username}` the typed name, "
        "both escaped.",
    ),
    Setting(
        "LDAP_ROLE_MAP",
        "",
        "Groups to roles: `group=Role,Other role;group2=Role`; a group is named by its cn or "
        "its whole DN. Roles the map names follow the groups at every log-in.",
    ),
    Setting(
        "LDAP_DISABLED_FILTER",
        "",
        "Entries matching this filter are refused, e.g. `(pwdAccountLockedTime=*)` or "
        "`(employeeType=nonaktif)`; AD's userAccountControl disabled bit is always refused.",
    ),
    Setting(
        "LDAP_TIMEOUT",
        "5",
        "Seconds (1-60) to wait for each directory server before passing to the next; the "
        "worst case is this per server for each of a log-in's two connections (the service "
        "search and the person's bind), at every log-in.",
    ),
    # --- WhatsApp and Telegram notifications ---
    Setting(
        "WHATSAPP_PROVIDER",
        "",
        "WhatsApp gateway for notifications: `whatsapp-cloud` (Meta's WhatsApp Cloud API), "
        "`http-form` (a form-posting gateway such as Fonnte, Wablas or Woowa); empty = none.",
    ),
    Setting(
        "WHATSAPP_CLOUD_URL",
        "https://graph.facebook.com/v21.0",
        "Graph API base address, with its version; messages go to "
        "`<this>/<phone-number-id>/messages`.",
    ),
    Setting(
        "WHATSAPP_CLOUD_PHONE_NUMBER_ID", "", "The sending number's id in the WhatsApp Cloud API."
    ),
    Setting(
        "WHATSAPP_CLOUD_TOKEN", "", "Access token (system user) of the WhatsApp Cloud API; secret."
    ),
    Setting(
        "WHATSAPP_CLOUD_TEMPLATE",
        "",
        "Name of an approved message template with one body parameter `{{1}}` that carries the "
        "notification; empty = free text, which Meta delivers only within 24 hours of the "
        "person's last message to the office's number.",
    ),
    Setting(
        "WHATSAPP_CLOUD_TEMPLATE_LANGUAGE", "id", "Language code of that template (`id`, `en`…)."
    ),
    Setting("WHATSAPP_FORM_URL", "", "Address the form gateway is posted to, e.g. its /send."),
    Setting("WHATSAPP_FORM_TOKEN", "", "The form gateway's token; secret."),
    Setting(
        "WHATSAPP_FORM_AUTH_HEADER",
        "Authorization",
        "Header that carries the token as is (Fonnte, Wablas: `Authorization`); empty = none.",
    ),
    Setting(
        "WHATSAPP_FORM_TOKEN_FIELD",
        "",
        "Form field that carries the token (e.g. `token`), for gateways that want it there.",
    ),
    Setting(
        "WHATSAPP_FORM_PHONE_FIELD",
        "target",
        "Form field of the number, 628… (Fonnte: `target`, Wablas: `phone`).",
    ),
    Setting("WHATSAPP_FORM_MESSAGE_FIELD", "message", "Form field of the message text."),
    Setting(
        "WHATSAPP_FORM_CHECK_STATUS",
        "true",
        "true: besides a 2xx answer, success needs a JSON body whose `status` is true (such "
        "gateways answer 200 with `status: false` to a bad token); false: any 2xx is success.",
    ),
    Setting(
        "TELEGRAM_BOT_TOKEN",
        "",
        "Token of the Telegram bot that sends notifications (from @BotFather); empty = none; "
        "secret.",
    ),
    Setting("TELEGRAM_API_URL", "https://api.telegram.org", "Telegram Bot API base address."),
    Setting(
        "TELEGRAM_BOT_NAME",
        "",
        "The bot's @name, shown to people on their notification settings page so they can "
        "open it and press Start (a bot may only write to those who did).",
    ),
    Setting(
        "NOTIFY_TIMEOUT",
        "10",
        "Seconds (1-60) the worker waits for a WhatsApp or Telegram gateway before it counts "
        "the attempt failed.",
    ),
    Setting(
        "NOTIFY_MAX_ATTEMPTS",
        "8",
        "Attempts (1-20) to send a notification by e-mail, WhatsApp or Telegram, 1, 5, 15, 60, "
        "120, 240 … minutes apart, before it is marked failed (it stays in the app).",
    ),
    # --- Object storage (S3-compatible) and health checks ---
    Setting(
        "STORAGE",
        "local",
        "Where attachments, repair reports and SOP sheet PDFs are kept: `local` (the folder "
        "SOPFLOW_ATTACHMENT_DIR) or `s3` (an S3-compatible bucket, the S3 settings below): "
        "several web machines and workers need `s3`.",
    ),
    Setting(
        "S3_ENDPOINT_URL",
        "",
        "Address of the S3-compatible service, e.g. `https://minio.kantor.go.id:9000`; "
        "empty = Amazon S3.",
    ),
    Setting("S3_BUCKET", "", "Bucket (created beforehand); required with STORAGE=s3."),
    Setting("S3_REGION", "us-east-1", "Region of the bucket (MinIO and Ceph accept any)."),
    Setting(
        "S3_ACCESS_KEY_ID",
        "",
        "Access key; empty = boto3's own chain (AWS_* environment, instance role).",
    ),
    Setting("S3_SECRET_ACCESS_KEY", "", "Secret key of that access key; never shown or logged."),
    Setting(
        "S3_PREFIX",
        "",
        "Prefix of every object's key, e.g. `sopflow/` to share a bucket; empty = none.",
    ),
    Setting(
        "S3_ADDRESSING_STYLE",
        "path",
        "`path` (bucket in the path: MinIO, Ceph), `virtual` (bucket in the host name) or `auto`.",
    ),
    Setting(
        "S3_CA_BUNDLE",
        "",
        "CA certificate(s) (PEM) that signed the store's certificate; empty = the system's.",
    ),
    Setting(
        "S3_TIMEOUT",
        "10",
        "Seconds (1-120) to connect to or wait for the object store before a request fails.",
    ),
    Setting(
        "INSTANCE_DIR",
        "",
        "This machine's own folder (development secret key, default SQLite database and local "
        "files); default `instance/` in the checkout.",
    ),
]

MAX_TRUSTED_PROXIES = 5


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the app refuses to start."""


def env(name: str) -> str | None:
    """Read one declared setting from the environment (``SOPFLOW_<NAME>``)."""
    for setting in SETTINGS:
        if setting.name == name:
            return os.environ.get(f"SOPFLOW_{name}", setting.default)
    raise KeyError(f"undeclared setting {name}")


def _bounded(name: str, kind: type[float] | type[int], low: float, high: float, what: str):
    """One numeric setting, read as ``kind`` and within ``low``-``high``, or a ConfigError."""
    raw = env(name) or ""
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigError(f"bad {what} setting: SOPFLOW_{name}={raw!r}: {exc}") from exc
    if not low <= value <= high:
        raise ConfigError(f"SOPFLOW_{name} must be between {low} and {high}")
    return value


def _script_budget() -> tuple[float, int]:
    """The sandbox budget of diagram code, within sane bounds."""
    seconds = _bounded("SCRIPT_TIME_LIMIT", float, 0.1, 60, "script budget")
    memory = _bounded("SCRIPT_MEMORY_MB", int, 16, 4096, "script budget")
    return seconds, memory


def _import_budget() -> tuple[float, int]:
    """What reading one uploaded SOP document may use, within sane bounds."""
    seconds = _bounded("IMPORT_TIME_LIMIT", float, 5, 300, "import budget")
    memory = _bounded("IMPORT_MEMORY_MB", int, 256, 8192, "import budget")
    return seconds, memory


MAX_WORKER_CONCURRENCY = 32


def _worker_pace() -> tuple[float, int]:
    """How often a worker without LISTEN looks again, and how many calls it runs at once."""
    poll = _bounded("WORKER_POLL", float, 0.05, 1, "worker")
    concurrency = _bounded("WORKER_CONCURRENCY", int, 1, MAX_WORKER_CONCURRENCY, "worker")
    return poll, concurrency


LOCAL_LOGIN_MODES = ("on", "admins", "off")
LDAP_GROUP_SOURCES = ("memberof", "search")


def _local_login() -> str:
    mode = (env("LOCAL_LOGIN") or "on").strip().lower()
    if mode not in LOCAL_LOGIN_MODES:
        raise ConfigError(f"SOPFLOW_LOCAL_LOGIN must be on, admins or off, not {mode!r}")
    return mode


def _check_filter(name: str, text: str, needed) -> None:
    """Refuse a malformed LDAP filter setting now rather than at someone's log-in."""
    if not needed:
        return
    from ldap3.core.exceptions import LDAPException
    from ldap3.operation.search import parse_filter

    try:
        sample = text.format(username="budi", dn="uid=budi,dc=kantor")
        parse_filter(sample, None, True, True, None, False)
    except (LDAPException, KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"SOPFLOW_{name}: not a valid LDAP filter: {text!r}") from exc


def _directory() -> dict:
    """The directory log-in settings (``url`` empty: no directory log-in)."""
    urls = (env("LDAP_URL") or "").replace(",", " ").split()
    for url in urls:
        if not url.lower().startswith(("ldap://", "ldaps://")):
            raise ConfigError(f"SOPFLOW_LDAP_URL: {url!r} is not an ldap:// or ldaps:// address")
    start_tls = (env("LDAP_START_TLS") or "").lower() in ("1", "true", "yes")
    if start_tls and any(u.lower().startswith("ldaps://") for u in urls):
        raise ConfigError(
            "SOPFLOW_LDAP_START_TLS is for ldap:// addresses; ldaps:// is TLS already"
        )
    secure = [u.lower().startswith("ldaps://") for u in urls]
    if any(secure) and not all(secure) and not start_tls:
        # Failover passes from a server whose TLS fails to the next: an attacker who breaks
        # TLS to the ldaps:// one would have the passwords sent in clear to the ldap:// one.
        raise ConfigError(
            "SOPFLOW_LDAP_URL mixes ldaps:// with plain ldap:// addresses: a log-in failing "
            "TLS on one would send the password in clear text to the next; use ldaps:// for "
            "every server"
        )
    ca_file = env("LDAP_CA_FILE") or ""
    if ca_file and not Path(ca_file).is_file():
        raise ConfigError(f"SOPFLOW_LDAP_CA_FILE: no such file {ca_file!r}")
    base_dn = (env("LDAP_BASE_DN") or "").strip()
    if urls and not base_dn:
        raise ConfigError("SOPFLOW_LDAP_BASE_DN must be set with SOPFLOW_LDAP_URL")
    user_filter = (env("LDAP_USER_FILTER") or "").strip()
    if urls and "{username}" not in user_filter:
        raise ConfigError("SOPFLOW_LDAP_USER_FILTER must contain {username}")
    groups = (env("LDAP_GROUPS") or "memberof").strip().lower()
    if groups not in LDAP_GROUP_SOURCES:
        raise ConfigError(f"SOPFLOW_LDAP_GROUPS must be memberof or search, not {groups!r}")
    bind_dn = (env("LDAP_BIND_DN") or "").strip()
    bind_password = env("LDAP_BIND_PASSWORD") or ""
    if bind_dn and not bind_password:
        raise ConfigError("SOPFLOW_LDAP_BIND_PASSWORD must be set with SOPFLOW_LDAP_BIND_DN")
    # Not imported at the top: the settings module is read before the app's services.
    from .services.identities import parse_role_map

    try:
        role_map = parse_role_map(env("LDAP_ROLE_MAP") or "")
    except ValueError as exc:
        raise ConfigError(f"SOPFLOW_LDAP_ROLE_MAP: {exc}") from exc
    group_filter = (env("LDAP_GROUP_FILTER") or "").strip()
    disabled_filter = (env("LDAP_DISABLED_FILTER") or "").strip()
    _check_filter("LDAP_USER_FILTER", user_filter, urls)
    _check_filter("LDAP_GROUP_FILTER", group_filter, urls and groups == "search")
    _check_filter("LDAP_DISABLED_FILTER", disabled_filter, urls and disabled_filter)
    return {
        "urls": urls,
        "start_tls": start_tls,
        "ca_file": ca_file,
        "bind_dn": bind_dn,
        "bind_password": bind_password,
        "base_dn": base_dn,
        "user_filter": user_filter,
        "groups": groups,
        "group_base_dn": (env("LDAP_GROUP_BASE_DN") or "").strip() or base_dn,
        "group_filter": group_filter,
        "role_map": role_map,
        "disabled_filter": disabled_filter,
        "timeout": _bounded("LDAP_TIMEOUT", float, 1, 60, "directory"),
    }


STORAGE_BACKENDS = ("local", "s3")
S3_ADDRESSING_STYLES = ("path", "virtual", "auto")


def _storage() -> dict:
    """Where files are kept: ``{"backend": "local"}`` or ``{"backend": "s3", "s3": S3Settings}``
    (the local folder is ATTACHMENT_DIR, which tests override after this runs)."""
    backend = (env("STORAGE") or "local").strip().lower()
    if backend not in STORAGE_BACKENDS:
        raise ConfigError(f"SOPFLOW_STORAGE must be local or s3, not {backend!r}")
    if backend == "local":
        return {"backend": "local"}
    # Not imported at the top: the settings module is read before the app's services.
    from .services.storage import S3Settings

    bucket = (env("S3_BUCKET") or "").strip()
    if not bucket:
        raise ConfigError("SOPFLOW_S3_BUCKET must be set with SOPFLOW_STORAGE=s3")
    endpoint = (env("S3_ENDPOINT_URL") or "").strip()
    if endpoint and not endpoint.lower().startswith(("http://", "https://")):
        raise ConfigError(f"SOPFLOW_S3_ENDPOINT_URL: {endpoint!r} is not an http(s):// address")
    style = (env("S3_ADDRESSING_STYLE") or "path").strip().lower()
    if style not in S3_ADDRESSING_STYLES:
        raise ConfigError(
            f"SOPFLOW_S3_ADDRESSING_STYLE must be path, virtual or auto, not {style!r}"
        )
    key_id = (env("S3_ACCESS_KEY_ID") or "").strip()
    secret = env("S3_SECRET_ACCESS_KEY") or ""
    if bool(key_id) != bool(secret):
        raise ConfigError(
            "SOPFLOW_S3_ACCESS_KEY_ID and SOPFLOW_S3_SECRET_ACCESS_KEY are set together "
            "or not at all"
        )
    ca_bundle = (env("S3_CA_BUNDLE") or "").strip()
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ConfigError(f"SOPFLOW_S3_CA_BUNDLE: no such file {ca_bundle!r}")
    prefix = (env("S3_PREFIX") or "").strip().strip("/")
    return {
        "backend": "s3",
        "s3": S3Settings(
            bucket=bucket,
            endpoint_url=endpoint,
            region=(env("S3_REGION") or "").strip() or "us-east-1",
            access_key_id=key_id,
            secret_access_key=secret,
            prefix=f"{prefix}/" if prefix else "",
            addressing_style=style,
            ca_bundle=ca_bundle,
            timeout=_bounded("S3_TIMEOUT", float, 1, 120, "object store"),
        ),
    }


def instance_dir(default: str) -> str:
    """This machine's own folder: SOPFLOW_INSTANCE_DIR, else ``default`` (instance/)."""
    return (env("INSTANCE_DIR") or "").strip() or default


WHATSAPP_PROVIDERS = ("whatsapp-cloud", "http-form")


def _web_address(name: str) -> str:
    value = (env(name) or "").strip()
    if value and not value.lower().startswith(("http://", "https://")):
        raise ConfigError(f"SOPFLOW_{name} must be an http:// or https:// address")
    return value


def _chat() -> dict:
    """The WhatsApp and Telegram notification settings (empty provider or token: not used)."""
    provider = (env("WHATSAPP_PROVIDER") or "").strip().lower()
    if provider and provider not in WHATSAPP_PROVIDERS:
        raise ConfigError(
            "SOPFLOW_WHATSAPP_PROVIDER must be whatsapp-cloud, http-form or empty, "
            f"not {provider!r}"
        )
    whatsapp = {
        "provider": provider,
        "cloud_url": _web_address("WHATSAPP_CLOUD_URL"),
        "cloud_phone_number_id": (env("WHATSAPP_CLOUD_PHONE_NUMBER_ID") or "").strip(),
        "cloud_token": (env("WHATSAPP_CLOUD_TOKEN") or "").strip(),
        "cloud_template": (env("WHATSAPP_CLOUD_TEMPLATE") or "").strip(),
        "cloud_template_language": (env("WHATSAPP_CLOUD_TEMPLATE_LANGUAGE") or "id").strip(),
        "form_url": _web_address("WHATSAPP_FORM_URL"),
        "form_token": (env("WHATSAPP_FORM_TOKEN") or "").strip(),
        "form_auth_header": (env("WHATSAPP_FORM_AUTH_HEADER") or "").strip(),
        "form_token_field": (env("WHATSAPP_FORM_TOKEN_FIELD") or "").strip(),
        "form_phone_field": (env("WHATSAPP_FORM_PHONE_FIELD") or "").strip(),
        "form_message_field": (env("WHATSAPP_FORM_MESSAGE_FIELD") or "").strip(),
        "form_check_status": (env("WHATSAPP_FORM_CHECK_STATUS") or "").strip().lower()
        in ("1", "true", "yes"),
    }
    if provider == "whatsapp-cloud":
        for key, name in (
            ("cloud_url", "WHATSAPP_CLOUD_URL"),
            ("cloud_phone_number_id", "WHATSAPP_CLOUD_PHONE_NUMBER_ID"),
            ("cloud_token", "WHATSAPP_CLOUD_TOKEN"),
        ):
            if not whatsapp[key]:
                raise ConfigError(
                    f"SOPFLOW_{name} must be set with WHATSAPP_PROVIDER=whatsapp-cloud"
                )
    if provider == "http-form":
        for key, name in (
            ("form_url", "WHATSAPP_FORM_URL"),
            ("form_phone_field", "WHATSAPP_FORM_PHONE_FIELD"),
            ("form_message_field", "WHATSAPP_FORM_MESSAGE_FIELD"),
        ):
            if not whatsapp[key]:
                raise ConfigError(f"SOPFLOW_{name} must be set with WHATSAPP_PROVIDER=http-form")
        if whatsapp["form_token"] and not (
            whatsapp["form_auth_header"] or whatsapp["form_token_field"]
        ):
            raise ConfigError(
                "SOPFLOW_WHATSAPP_FORM_TOKEN needs SOPFLOW_WHATSAPP_FORM_AUTH_HEADER or "
                "SOPFLOW_WHATSAPP_FORM_TOKEN_FIELD to say where it goes"
            )
    telegram = {
        "token": (env("TELEGRAM_BOT_TOKEN") or "").strip(),
        "api_url": _web_address("TELEGRAM_API_URL"),
        "bot_name": (env("TELEGRAM_BOT_NAME") or "").strip(),
    }
    if telegram["token"] and not telegram["api_url"]:
        raise ConfigError("SOPFLOW_TELEGRAM_API_URL must be set with SOPFLOW_TELEGRAM_BOT_TOKEN")
    return {
        "whatsapp": whatsapp,
        "telegram": telegram,
        "timeout": _bounded("NOTIFY_TIMEOUT", float, 1, 60, "notification"),
        "max_attempts": _bounded("NOTIFY_MAX_ATTEMPTS", int, 1, 20, "notification"),
    }


def _oidc(production: bool) -> dict:
    """The single sign-on settings (``issuer`` empty: no single sign-on)."""
    issuer = (env("OIDC_ISSUER") or "").strip().rstrip("/")
    client_id = (env("OIDC_CLIENT_ID") or "").strip()
    scopes = (env("OIDC_SCOPES") or "").split()
    # Not imported at the top: the settings module is read before the app's services.
    from .services.identities import parse_role_map

    try:
        role_map = parse_role_map(env("OIDC_ROLE_MAP") or "")
    except ValueError as exc:
        raise ConfigError(f"SOPFLOW_OIDC_ROLE_MAP: {exc}") from exc
    timeout = _bounded("OIDC_TIMEOUT", float, 1, 60, "single sign-on")
    if issuer:
        if not issuer.lower().startswith(("https://", "http://")):
            raise ConfigError(f"SOPFLOW_OIDC_ISSUER: {issuer!r} is not an https:// address")
        if production and not issuer.lower().startswith("https://"):
            raise ConfigError("SOPFLOW_OIDC_ISSUER must be an https:// address in production")
        if not client_id:
            raise ConfigError("SOPFLOW_OIDC_CLIENT_ID must be set with SOPFLOW_OIDC_ISSUER")
        if "openid" not in scopes:
            raise ConfigError("SOPFLOW_OIDC_SCOPES must include openid")
        if not (env("OIDC_USERNAME_CLAIM") or "").strip():
            raise ConfigError("SOPFLOW_OIDC_USERNAME_CLAIM must name a claim")
    return {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": env("OIDC_CLIENT_SECRET") or "",
        "scopes": " ".join(scopes),
        "username_claim": (env("OIDC_USERNAME_CLAIM") or "").strip(),
        "groups_claim": (env("OIDC_GROUPS_CLAIM") or "").strip(),
        "role_map": role_map,
        "button_label": (env("OIDC_BUTTON_LABEL") or "").strip(),
        "timeout": timeout,
    }


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
    proxies = (env("TRUSTED_PROXIES") or "0").strip()
    if not proxies.isdigit() or int(proxies) > MAX_TRUSTED_PROXIES:
        raise ConfigError(
            f"SOPFLOW_TRUSTED_PROXIES must be a whole number from 0 to {MAX_TRUSTED_PROXIES} "
            f"(how many reverse proxies stand in front of the app), not {proxies!r}"
        )
    # Only a fallback: each diagram names its own agency (sopInstansi).
    raw_agency = (env("AGENCY_LINES") or "").strip()
    agency_lines = tuple(line.strip() for line in raw_agency.split("|")) if raw_agency else ()
    if not all(agency_lines):
        raise ConfigError("SOPFLOW_AGENCY_LINES: lines separated by |, none empty")
    timezone = env("WORK_TIMEZONE") or "Asia/Jakarta"
    try:  # the dashboard and the SOP sheet use it even when time standards count calendar time
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"SOPFLOW_WORK_TIMEZONE: unknown time zone {timezone!r}") from exc
    locale = env("DEFAULT_LOCALE") or "id"
    if locale not in ("id", "en"):
        raise ConfigError("SOPFLOW_DEFAULT_LOCALE must be id or en")
    db_url = env("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'sopflow.db'}"
    try:
        calendar = make_calendar(
            env("SLA_CALENDAR") or "working-hours",
            timezone,
            env("WORK_HOURS"),
            env("CUTI_BERSAMA") or "",
            env("HOLIDAY_COUNTRY") or None,
        )
        smtp_port = int(env("SMTP_PORT") or "25")
        interval = float(env("WORKER_INTERVAL") or "15")
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"bad time-standard or mail setting: {exc}") from exc
    poll, concurrency = _worker_pace()
    script_seconds, script_mb = _script_budget()
    import_seconds, import_mb = _import_budget()
    oidc, local_login, directory = _oidc(production), _local_login(), _directory()
    if local_login == "off" and not oidc["issuer"] and not directory["urls"]:
        # Nobody could log in, the administrators included: refuse to start instead.
        raise ConfigError(
            "SOPFLOW_LOCAL_LOGIN=off needs single sign-on (SOPFLOW_OIDC_ISSUER) or a directory "
            "(SOPFLOW_LDAP_URL): without either, nobody could log in"
        )
    config = {
        "OIDC": oidc,
        "LOCAL_LOGIN": local_login,
        "LDAP": directory,
        "SLA_CALENDAR": calendar,
        "SMTP": {
            "host": env("SMTP_HOST") or "",
            "port": smtp_port,
            "user": env("SMTP_USER") or "",
            "password": env("SMTP_PASSWORD") or "",
            "from": env("SMTP_FROM") or "sopflow@localhost",
            "starttls": (env("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"),
        },
        "CHAT": _chat(),
        "WORKER_INTERVAL": interval,
        "WORKER_POLL": poll,
        "WORKER_CONCURRENCY": concurrency,
        "SCRIPT_TIME_LIMIT": script_seconds,
        "SCRIPT_MEMORY_MB": script_mb,
        "IMPORT_TIME_LIMIT": import_seconds,
        "IMPORT_MEMORY_MB": import_mb,
        "BASE_URL": (env("BASE_URL") or "").rstrip("/"),
        "TRUSTED_PROXIES": int(proxies),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Not an environment setting: the tests lower it (through overrides) for speed.
        "PASSWORD_HASH_METHOD": "scrypt",
        "PROCESSES_DIR": env("PROCESSES_DIR"),
        "ATTACHMENT_DIR": env("ATTACHMENT_DIR") or str(Path(instance_path) / "attachments"),
        # Attachments, reports and SOP sheet PDFs: webapp.services.storage.
        "STORAGE": _storage(),
        "MAX_CONTENT_LENGTH": max_mb * 1024 * 1024 + 64 * 1024,
        "MAX_UPLOAD_BYTES": max_mb * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": locale,
        # Dates on pages, the dashboard's days and the SOP sheet: the office's own time zone.
        "WORK_TIMEZONE": timezone,
        "BABEL_DEFAULT_TIMEZONE": timezone,
        "AGENCY_LINES": agency_lines,
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


SETTINGS_BEGIN = "<!-- settings: generated from webapp/config.py by `make settings-doc` -->"
SETTINGS_END = "<!-- /settings -->"


def _cell(text: str) -> str:
    # A bare | would end the table cell, even inside a code span.
    return text.replace("|", "\\|")


def settings_table() -> str:
    """Render the settings table of the README from the declarations, as markdown."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        if setting.shown is not None:
            default = setting.shown
        elif setting.default:
            default = f"`{setting.default}`"
        else:
            default = "—"
        rows.append(f"| `SOPFLOW_{setting.name}` | {_cell(default)} | {_cell(setting.help)} |")
    return "\n".join(rows) + "\n"


def with_settings_table(readme: str) -> str:
    """Return ``readme`` with the text between the settings markers replaced by the table."""
    start = readme.find(SETTINGS_BEGIN)
    end = readme.find(SETTINGS_END, start)
    if start < 0 or end < 0:
        raise ValueError(f"the README has no {SETTINGS_BEGIN} … {SETTINGS_END} section")
    head = readme[: start + len(SETTINGS_BEGIN)]
    # The blank line ends the table before the closing marker, in every markdown renderer.
    return f"{head}\n{settings_table()}\n{readme[end:]}"


def write_settings_doc(path: str | os.PathLike[str] = README) -> bool:
    """Rewrite the settings table in the README at ``path``; return whether it changed."""
    file = Path(path)
    old = file.read_text(encoding="utf-8")
    new = with_settings_table(old)
    if new != old:
        file.write_text(new, encoding="utf-8")
    return new != old


def _dev_secret(instance_path: str) -> str:
    # Development only: a random key kept in the instance folder so sessions survive restarts.
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
