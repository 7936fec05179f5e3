"""The WhatsApp and Telegram settings: read into config["CHAT"], bad combinations refused."""

from __future__ import annotations

import pytest

from webapp.config import ConfigError, build_config


def _chat(monkeypatch, tmp_path, **settings) -> dict:
    for name, value in settings.items():
        monkeypatch.setenv(f"SOPFLOW_{name}", value)
    return build_config(str(tmp_path))["CHAT"]


def test_nothing_is_sent_by_chat_unless_configured(monkeypatch, tmp_path):
    chat = _chat(monkeypatch, tmp_path)
    assert chat["whatsapp"]["provider"] == "" and chat["telegram"]["token"] == ""
    assert (chat["timeout"], chat["max_attempts"]) == (10.0, 8)
    assert chat["telegram"]["api_url"] == "https://api.telegram.org"


def test_a_form_gateway_is_read_with_its_field_names(monkeypatch, tmp_path):
    chat = _chat(
        monkeypatch,
        tmp_path,
        WHATSAPP_PROVIDER="http-form",
        WHATSAPP_FORM_URL="https://console.wablas.com/api/send-message",
        WHATSAPP_FORM_TOKEN="rahasia",
        WHATSAPP_FORM_PHONE_FIELD="phone",
        WHATSAPP_FORM_CHECK_STATUS="false",
    )["whatsapp"]
    assert (chat["provider"], chat["form_phone_field"], chat["form_message_field"]) == (
        "http-form",
        "phone",
        "message",
    )
    assert (chat["form_auth_header"], chat["form_check_status"]) == ("Authorization", False)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"WHATSAPP_PROVIDER": "twilio"}, "WHATSAPP_PROVIDER must be whatsapp-cloud, http-form"),
        ({"WHATSAPP_PROVIDER": "whatsapp-cloud"}, "WHATSAPP_CLOUD_PHONE_NUMBER_ID must be set"),
        (
            {"WHATSAPP_PROVIDER": "whatsapp-cloud", "WHATSAPP_CLOUD_PHONE_NUMBER_ID": "1"},
            "WHATSAPP_CLOUD_TOKEN must be set",
        ),
        ({"WHATSAPP_PROVIDER": "http-form"}, "WHATSAPP_FORM_URL must be set"),
        (
            {
                "WHATSAPP_PROVIDER": "http-form",
                "WHATSAPP_FORM_URL": "https://gw.example/send",
                "WHATSAPP_FORM_TOKEN": "t",
                "WHATSAPP_FORM_AUTH_HEADER": "",
            },
            "say where it goes",
        ),
        ({"WHATSAPP_FORM_URL": "ftp://gw.example/send"}, "http:// or https://"),
        ({"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL must be an http"),
        ({"NOTIFY_TIMEOUT": "0"}, "NOTIFY_TIMEOUT must be between 1 and 60"),
        ({"NOTIFY_MAX_ATTEMPTS": "many"}, "bad notification setting"),
    ],
)
def test_a_bad_chat_setting_stops_the_app(monkeypatch, tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        _chat(monkeypatch, tmp_path, **settings)
