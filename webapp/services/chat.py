"""Senders of chat messages: WhatsApp (Meta's Cloud API or an HTTP form gateway) and Telegram.

Plain functions of the settings (``config["CHAT"]``) and one message; each raises
:class:`SendError` when the message did not go out. Only the worker calls them (the outbox,
services/outbox.py), never a web request. A ``SendError``'s text is kept on the delivery row and
shown to administrators, so it never carries a token: URLs that hold one (Telegram's) are not
quoted, and a gateway's answer is cut short.
"""

from __future__ import annotations

from typing import Any

import requests

# WhatsApp and Telegram both cap one text message at 4096 characters.
MAX_TEXT = 4096
TEMPLATE_PARAMETER = 900  # a template's body, parameters included, holds 1024 characters
ANSWER_SHOWN = 200  # characters of a gateway's refusal kept in the error


class SendError(Exception):
    """The message did not go out; the text says why, without secrets. ``unreachable``: the
    gateway did not answer at all (no connection, or no answer in time)."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text[:ANSWER_SHOWN] + ("…" if len(text) > ANSWER_SHOWN else "")


def _post(url: str, timeout: float, what: str, **kwargs: Any) -> requests.Response:
    """POST, turning a network failure into a SendError that names ``what`` (not the URL)."""
    try:
        return requests.post(url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout:
        raise SendError(f"{what}: no answer within {timeout:g} s", unreachable=True) from None
    except requests.RequestException as exc:
        # The exception's text can quote the URL (Telegram's holds the bot token): name the kind.
        raise SendError(
            f"{what}: could not connect ({type(exc).__name__})", unreachable=True
        ) from None


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _refused(what: str, response: requests.Response) -> SendError:
    return SendError(f"{what}: HTTP {response.status_code} {_short(response.text)}".rstrip())


def send_whatsapp(settings: dict, phone: str, text: str, timeout: float) -> None:
    """Send ``text`` to the WhatsApp number ``phone`` (628…) through the configured gateway."""
    provider = settings.get("provider")
    text = text[:MAX_TEXT]
    if provider == "whatsapp-cloud":
        _whatsapp_cloud(settings, phone, text, timeout)
    elif provider == "http-form":
        _http_form(settings, phone, text, timeout)
    else:
        raise SendError("no WhatsApp gateway configured")


def cloud_message(settings: dict, phone: str, text: str) -> dict:
    """The Cloud API's message: free text, or the approved template named in the settings.

    Meta delivers free text only within 24 hours of the person's last message to the office's
    number; a notification is usually outside that window and needs a template (one body
    parameter, ``{{1}}``, which gets the text on one line: parameters may hold no line breaks).
    """
    message = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": phone}
    if not settings.get("cloud_template"):
        return message | {"type": "text", "text": {"preview_url": False, "body": text}}
    line = " ".join(text.split())[:TEMPLATE_PARAMETER]
    return message | {
        "type": "template",
        "template": {
            "name": settings["cloud_template"],
            "language": {"code": settings["cloud_template_language"]},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": line}]}],
        },
    }


def _whatsapp_cloud(settings: dict, phone: str, text: str, timeout: float) -> None:
    """Meta's WhatsApp Cloud API: POST <base>/<phone-number-id>/messages with a bearer token."""
    url = f"{settings['cloud_url'].rstrip('/')}/{settings['cloud_phone_number_id']}/messages"
    response = _post(
        url,
        timeout,
        "WhatsApp Cloud API",
        headers={"Authorization": f"Bearer {settings['cloud_token']}"},
        json=cloud_message(settings, phone, text),
    )
    if not 200 <= response.status_code < 300:
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):  # Graph API errors: {"error": {"message", "code", …}}
            raise SendError(
                f"WhatsApp Cloud API: HTTP {response.status_code} "
                f"{_short(str(error.get('message', '')))} (code {error.get('code', '?')})"
            )
        raise _refused("WhatsApp Cloud API", response)
    body = _json(response)
    if not isinstance(body, dict) or not body.get("messages"):
        raise SendError(f"WhatsApp Cloud API: unexpected answer {_short(response.text)}")


def _http_form(settings: dict, phone: str, text: str, timeout: float) -> None:
    """A form gateway (Fonnte, Wablas, Woowa…): POST the number and the message as form fields.

    The token goes in a header (``form_auth_header``, e.g. ``Authorization``) and/or a form
    field (``form_token_field``). Success is a 2xx answer and, when ``form_check_status`` is on,
    a JSON body whose ``status`` is true (these gateways answer 200 with ``status: false`` to a
    bad token or an unknown number).
    """
    data = {settings["form_phone_field"]: phone, settings["form_message_field"]: text}
    headers = {}
    if settings["form_auth_header"]:
        headers[settings["form_auth_header"]] = settings["form_token"]
    if settings["form_token_field"]:
        data[settings["form_token_field"]] = settings["form_token"]
    response = _post(settings["form_url"], timeout, "WhatsApp gateway", data=data, headers=headers)
    if not 200 <= response.status_code < 300:
        raise _refused("WhatsApp gateway", response)
    if settings["form_check_status"]:
        body = _json(response)
        status = body.get("status") if isinstance(body, dict) else None
        if status is not True and str(status).lower() not in ("true", "1", "success", "ok"):
            raise SendError(f"WhatsApp gateway: refused: {_short(response.text)}")


def send_telegram(settings: dict, chat_id: str, text: str, timeout: float) -> None:
    """Send ``text`` to the Telegram chat ``chat_id`` through the Bot API's sendMessage."""
    if not settings.get("token"):
        raise SendError("no Telegram bot configured")
    url = f"{settings['api_url'].rstrip('/')}/bot{settings['token']}/sendMessage"
    response = _post(
        url,
        timeout,
        "Telegram",
        json={
            "chat_id": chat_id,
            "text": text[:MAX_TEXT],
            "disable_web_page_preview": True,
        },
    )
    body = _json(response)
    if isinstance(body, dict) and body.get("ok") is True and 200 <= response.status_code < 300:
        return
    if isinstance(body, dict) and "description" in body:  # {"ok": false, "error_code", …}
        raise SendError(f"Telegram: HTTP {response.status_code} {_short(str(body['description']))}")
    raise _refused("Telegram", response)
