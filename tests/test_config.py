"""Settings: every one declared, the README's table generated from them, bad values refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service_tasks.deploy import CONFIG_ENV
from webapp.config import (
    README,
    ROOT,
    SETTINGS,
    SETTINGS_BEGIN,
    SETTINGS_END,
    ConfigError,
    build_config,
    settings_table,
    with_settings_table,
    write_settings_doc,
)

SOURCES = sorted(
    p for package in ("webapp", "service_tasks") for p in (ROOT / package).rglob("*.py")
)
DECLARED = {f"SOPFLOW_{s.name}" for s in SETTINGS}


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_readme_settings_table_is_the_one_the_declarations_generate():
    readme = README.read_text(encoding="utf-8")

    assert with_settings_table(readme) == readme, "run `make settings-doc` and commit README.md"


def test_every_setting_has_its_own_row_in_the_generated_table():
    rows = settings_table().splitlines()[2:]

    assert [row.split(" | ")[0] for row in rows] == [f"| `SOPFLOW_{s.name}`" for s in SETTINGS]
    assert len({s.name for s in SETTINGS}) == len(SETTINGS), "a setting is declared twice"


def test_the_table_shows_no_path_of_the_machine_that_generated_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SOPFLOW_PROCESSES_DIR", raising=False)

    assert str(ROOT) not in settings_table()
    assert "| `SOPFLOW_PROCESSES_DIR` | `processes/` in the checkout |" in settings_table()
    # At run time the default is still the checkout's own folder.
    assert build_config(str(tmp_path))["PROCESSES_DIR"] == str(ROOT / "processes")


def test_make_settings_doc_rewrites_a_stale_table_and_only_that(tmp_path):
    readme = tmp_path / "README.md"
    stale = "| `SOPFLOW_GONE` | `1` | A setting that no longer exists. |\n"
    readme.write_text(f"# Judul\n\n{SETTINGS_BEGIN}\n{stale}{SETTINGS_END}\n\nSisanya.\n")

    assert write_settings_doc(readme) is True
    text = readme.read_text()
    assert stale not in text
    assert text == f"# Judul\n\n{SETTINGS_BEGIN}\n{settings_table()}\n{SETTINGS_END}\n\nSisanya.\n"
    assert write_settings_doc(readme) is False  # already current: nothing to write


def test_a_readme_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="settings"):
        with_settings_table("# Judul\n\n| variable | default | meaning |\n")


def test_every_sopflow_variable_the_code_names_is_declared():
    named = {
        (name, path.relative_to(ROOT).as_posix())
        for path in SOURCES
        for name in re.findall(r"SOPFLOW_[A-Z][A-Z0-9_]*", _source(path))
    }

    assert sorted(item for item in named if item[0] not in DECLARED) == []


def test_the_environment_is_read_through_the_settings_helper_or_the_deployment_config():
    # The deployment connector reads its own variable: service_tasks does not import webapp.
    readers = {
        path.relative_to(ROOT).as_posix()
        for path in SOURCES
        if re.search(r"os\.environ|getenv\(", _source(path))
    }

    assert readers <= {
        "webapp/config.py",
        "service_tasks/deploy/config.py",
        # Passes its own environment on to the deploy script, minus any DEPLOY_* variable.
        "service_tasks/deploy/connector.py",
    }
    assert CONFIG_ENV in DECLARED


def test_every_config_key_the_code_reads_is_built_from_the_settings(tmp_path):
    read = {
        (key, path.relative_to(ROOT).as_posix())
        for path in SOURCES
        if path.name != "config.py" or path.parent.name != "webapp"
        for key in re.findall(r"config(?:\[|\.get\()\s*[\"']([A-Z][A-Z0-9_]*)[\"']", _source(path))
    }
    built = build_config(str(tmp_path))

    assert read, "the pattern finds the reads"
    assert sorted(item for item in read if item[0] not in built) == []


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("SLA_CALENDAR", "lunar", "bad time-standard"),
        ("WORK_HOURS", "mon 09:00-08:00", "bad time-standard"),
        ("CUTI_BERSAMA", "2026-13-01", "bad time-standard"),
        ("SMTP_PORT", "twenty-five", "bad time-standard or mail"),
        ("MAX_UPLOAD_MB", "ten", "MAX_UPLOAD_MB"),
        ("DEFAULT_LOCALE", "fr", "DEFAULT_LOCALE"),
        ("WORK_TIMEZONE", "Asia/Atlantis", "WORK_TIMEZONE"),
        ("TRUSTED_PROXIES", "6", "TRUSTED_PROXIES"),
        ("AGENCY_LINES", "PEMERINTAH||DINAS", "AGENCY_LINES"),
        ("SCRIPT_TIME_LIMIT", "120", "SCRIPT_TIME_LIMIT"),
        ("SCRIPT_MEMORY_MB", "many", "bad script budget"),
        ("WORKER_POLL", "5", "WORKER_POLL must be between 0.05 and 1"),
        ("WORKER_CONCURRENCY", "0", "WORKER_CONCURRENCY must be between 1 and 32"),
        ("WORKER_CONCURRENCY", "two", "bad worker setting"),
    ],
)
def test_a_wrong_setting_stops_the_app_with_a_clear_message(
    monkeypatch, tmp_path, name, value, message
):
    monkeypatch.setenv(f"SOPFLOW_{name}", value)
    with pytest.raises(ConfigError, match=message):
        build_config(str(tmp_path))


def test_an_unknown_time_zone_is_refused_even_when_time_standards_count_calendar_time(
    monkeypatch, tmp_path
):
    # The dashboard and the SOP sheet read it whatever the calendar.
    monkeypatch.setenv("SOPFLOW_SLA_CALENDAR", "calendar")
    monkeypatch.setenv("SOPFLOW_WORK_TIMEZONE", "Asia/Atlantis")
    with pytest.raises(ConfigError, match="WORK_TIMEZONE"):
        build_config(str(tmp_path))


def test_production_needs_a_secret_key_and_sets_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SOPFLOW_ENV", "production")
    monkeypatch.delenv("SOPFLOW_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SOPFLOW_SECRET_KEY", "x" * 40)
    config = build_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    "urls", ["ldaps://dc1.kantor.test ldap://dc2.kantor.test", "ldap://dc1.kantor.test,LDAPS://dc2"]
)
def test_directory_servers_mixing_tls_with_plain_ldap_are_refused(monkeypatch, tmp_path, urls):
    # Failover would carry a password refused TLS on one server to the next in clear text.
    monkeypatch.setenv("SOPFLOW_LDAP_URL", urls)
    monkeypatch.setenv("SOPFLOW_LDAP_BASE_DN", "dc=kantor,dc=test")
    monkeypatch.setenv("SOPFLOW_LDAP_USER_FILTER", "(uid={username})")
    with pytest.raises(ConfigError, match="mixes ldaps:// with plain ldap://"):
        build_config(str(tmp_path))


@pytest.mark.parametrize(
    "urls, start_tls",
    [
        ("ldaps://dc1.kantor.test ldaps://dc2.kantor.test", "false"),
        ("ldap://dc1.kantor.test ldap://dc2.kantor.test", "true"),
        ("ldap://127.0.0.1:3890", "false"),  # a directory on this host, as the tests' slapd
    ],
)
def test_directory_servers_all_alike_are_accepted(monkeypatch, tmp_path, urls, start_tls):
    monkeypatch.setenv("SOPFLOW_LDAP_URL", urls)
    monkeypatch.setenv("SOPFLOW_LDAP_START_TLS", start_tls)
    monkeypatch.setenv("SOPFLOW_LDAP_BASE_DN", "dc=kantor,dc=test")
    monkeypatch.setenv("SOPFLOW_LDAP_USER_FILTER", "(uid={username})")
    assert build_config(str(tmp_path))["LDAP"]["urls"] == urls.split()
