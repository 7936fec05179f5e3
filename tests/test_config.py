"""Settings: every one documented, bad values refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.config import SETTINGS, ConfigError, build_config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented_in_the_readme(setting):
    assert f"`SOPFLOW_{setting.name}`" in README


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("SLA_CALENDAR", "lunar", "bad time-standard"),
        ("WORK_HOURS", "mon 09:00-08:00", "bad time-standard"),
        ("CUTI_BERSAMA", "2026-13-01", "bad time-standard"),
        ("SMTP_PORT", "twenty-five", "bad time-standard or mail"),
        ("MAX_UPLOAD_MB", "ten", "MAX_UPLOAD_MB"),
        ("DEFAULT_LOCALE", "fr", "DEFAULT_LOCALE"),
    ],
)
def test_a_wrong_setting_stops_the_app_with_a_clear_message(
    monkeypatch, tmp_path, name, value, message
):
    monkeypatch.setenv(f"SOPFLOW_{name}", value)
    with pytest.raises(ConfigError, match=message):
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
