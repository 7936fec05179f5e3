"""Where a person is reached besides the app: WhatsApp number, Telegram chat, chosen channels.

Phone numbers are normalized here and only here (``normalize_phone``): stored as digits in
international form without "+" (``628…``), the form WhatsApp gateways want. Both the person's
own settings page and the administrator's user page save through :func:`save_channels`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Notification, NotificationDelivery, User
from . import audit
from .errors import Invalid

CHANNELS = ("email", "whatsapp", "telegram")
# E.164 allows 15 digits at most; an Indonesian mobile number is 08… (10-13 digits), 628… here.
MIN_DIGITS, MAX_DIGITS = 10, 15
_SEPARATORS = re.compile(r"[\s\-.()/]")
# "(0)" straight after the country code (1 to 3 digits), nowhere else.
_TRUNK_ZERO = re.compile(r"^(\+|00)(\s*[0-9]{1,3})\s*\(\s*0\s*\)")
# A Telegram chat id: a number (negative for groups and channels) or a channel's @name.
TELEGRAM_CHAT_RE = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}")
# The longest a number may be typed (spaces, dashes, "(0)" included) and the longest chat id
# the pattern above allows ("@" and 32 characters).
PHONE_TYPED_MAX = 40
TELEGRAM_CHAT_MAX = 33


class BadPhone(ValueError):
    """The text is not a plausible phone number; ``str()`` is the message for the form."""


def normalize_phone(raw: str) -> str:
    """Return ``raw`` as digits in international form (``08…`` → ``628…``); "" stays "".

    Spaces, dashes, dots, slashes and brackets are dropped; a leading ``+`` or ``00`` marks an
    international number (a ``(0)`` right after its country code is the domestic trunk prefix,
    dropped), a leading ``0`` an Indonesian one. Raises :class:`BadPhone`.
    """
    raw = (raw or "").strip()
    if raw.startswith(("+", "00")):
        # "+62 (0)812…", as business cards write it: the 0 is dialled only from inside the
        # country, so it is no part of the international number.
        # Elsewhere in the number a bracketed 0 is a digit like the others.
        raw = _TRUNK_ZERO.sub(r"\1\2", raw, count=1)
    text = _SEPARATORS.sub("", raw)
    if not text:
        return ""
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("0"):
        digits = "62" + text[1:]
    else:
        digits = text
    if not digits.isdigit() or not digits.isascii():
        raise BadPhone(_("Nomor telepon hanya boleh berisi angka (boleh diawali +)."))
    if digits.startswith("0"):
        raise BadPhone(_("Nomor telepon tidak sah: setelah kode negara tidak boleh ada 0."))
    if digits.startswith("62"):
        if not digits.startswith("628"):
            raise BadPhone(
                _("Nomor WhatsApp Indonesia diawali 08 atau +628 (nomor seluler), contoh 0812…")
            )
        if not 11 <= len(digits) <= 14:
            raise BadPhone(_("Nomor seluler Indonesia terdiri atas 10-13 angka, diawali 08."))
    elif digits.startswith("8"):
        # 812… without a 0 or country code is how many people write a mobile number.
        raise BadPhone(_("Tulis nomor lengkap diawali 0 atau +62, contoh 081234567890."))
    elif not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise BadPhone(_("Nomor telepon tidak sah: tulis dengan kode negara, contoh +6281…"))
    return digits


def parse_channels(text: str | None) -> list[str]:
    """The chosen channels of a stored ``notify_channels`` value, in the canonical order."""
    chosen = {part.strip() for part in (text or "").split(",")}
    return [channel for channel in CHANNELS if channel in chosen]


def channels_available() -> dict[str, bool]:
    """Which channels this installation can send through at all (SMTP, gateway, bot)."""
    chat = current_app.config.get("CHAT") or {}
    return {
        "email": bool(current_app.config["SMTP"]["host"]),
        "whatsapp": bool(chat.get("whatsapp", {}).get("provider")),
        "telegram": bool(chat.get("telegram", {}).get("token")),
    }


def reachable_channels(user: User, available: dict[str, bool] | None = None) -> list[str]:
    """The channels a notification to ``user`` goes out on: chosen, configured and addressed."""
    available = available if available is not None else channels_available()
    address = {
        "email": user.email,
        "whatsapp": user.phone,
        "telegram": user.telegram_chat_id,
    }
    return [
        channel
        for channel in parse_channels(user.notify_channels)
        if available[channel] and address[channel]
    ]


def save_channels(
    actor: User, user: User, phone: str, telegram_chat_id: str, channels: Iterable[str]
) -> dict:
    """Check and store ``user``'s phone, Telegram chat id and chosen channels; audit; commit.

    Raises :class:`Invalid` with one message per field. Returns the changes (empty: none).
    """
    errors: dict[str, str] = {}
    number = ""
    if len(phone.strip()) > PHONE_TYPED_MAX:
        errors["phone"] = _("Paling banyak %(n)s karakter.", n=PHONE_TYPED_MAX)
    else:
        try:
            number = normalize_phone(phone.strip())
        except BadPhone as exc:
            errors["phone"] = str(exc)
    chat = telegram_chat_id.strip()
    if len(chat) > TELEGRAM_CHAT_MAX:
        errors["telegram_chat_id"] = _("Paling banyak %(n)s karakter.", n=TELEGRAM_CHAT_MAX)
    elif chat and not TELEGRAM_CHAT_RE.fullmatch(chat):
        errors["telegram_chat_id"] = _(
            "ID obrolan Telegram berupa angka (misalnya 123456789) atau @nama_kanal."
        )
    chosen = [c for c in CHANNELS if c in set(channels)]
    if "email" in chosen and not user.email:
        errors.setdefault(
            "channels", _("Surel tidak dapat dipilih: belum ada alamat surel untuk akun ini.")
        )
    if "whatsapp" in chosen and not number and "phone" not in errors:
        errors["phone"] = _("Isi nomor WhatsApp untuk menerima notifikasi lewat WhatsApp.")
    if "telegram" in chosen and not chat and "telegram_chat_id" not in errors:
        errors["telegram_chat_id"] = _(
            "Isi ID obrolan Telegram untuk menerima notifikasi lewat Telegram."
        )
    if errors:
        raise Invalid(_("Periksa kembali isian yang ditandai."), errors)
    after = {"phone": number, "telegram_chat_id": chat, "notify_channels": ",".join(chosen)}
    changes = {
        key: {"before": getattr(user, key), "after": value}
        for key, value in after.items()
        if getattr(user, key) != value
    }
    if changes:
        for key, value in after.items():
            setattr(user, key, value)
        audit.record(
            "user.channels_changed", actor, user_id=user.id, username=user.username, **changes
        )
    db.session.commit()
    return changes


def recent_deliveries(user: User, limit: int = 10) -> list[NotificationDelivery]:
    """The person's latest deliveries by e-mail, WhatsApp or Telegram, newest first."""
    return list(
        db.session.scalars(
            select(NotificationDelivery)
            .join(NotificationDelivery.notification)
            .options(contains_eager(NotificationDelivery.notification))
            .where(Notification.user_id == user.id)
            .order_by(NotificationDelivery.id.desc())
            .limit(limit)
        )
    )
