"""Phone numbers normalized once (08… → 628…), Telegram chat ids and channel choices checked."""

from __future__ import annotations

import pytest

from webapp.services.contacts import BadPhone, normalize_phone, parse_channels


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("081234567890", "6281234567890"),
        ("0812-3456-7890", "6281234567890"),
        ("0812 3456 7890", "6281234567890"),
        ("0812.3456.7890", "6281234567890"),
        ("(0812) 3456 7890", "6281234567890"),
        ("+62 812-3456-7890", "6281234567890"),
        ("+6281234567890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("0062 812 3456 7890", "6281234567890"),
        ("+62 (0)812 3456 7890", "6281234567890"),  # the 0 dialled only within the country
        ("+62(0)812-3456-7890", "6281234567890"),
        ("+44 (0) 7911 123456", "447911123456"),
        ("0044(0)7911 123456", "447911123456"),
        ("+62 812 (0)3456 789", "6281203456789"),  # a 0 inside the number is one of its digits
        ("+62 812 3456 (0)789", "6281234560789"),
        ("0812345678", "62812345678"),  # the shortest mobile numbers: 10 digits with the 0
        ("0812345678901", "62812345678901"),  # the longest: 13
        ("+31 6 1234 5678", "31612345678"),  # a number abroad keeps its country code
        ("+1 (202) 555-0143", "12025550143"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_a_phone_number_is_stored_in_international_form(raw, stored):
    assert normalize_phone(raw) == stored


@pytest.mark.parametrize(
    "raw, says",
    [
        ("0812-ABC-7890", "angka"),
        ("+62 0812 3456 7890", "diawali 08 atau +628"),  # a 0 after the country code
        ("021 1234 5678", "08"),  # a landline: WhatsApp needs a mobile number
        ("+62 21 1234 5678", "08"),
        ("081234", "10-13"),
        ("08123456789012345", "10-13"),
        ("81234567890", "0 atau +62"),  # no 0, no country code
        ("+12345", "kode negara"),
        ("+1234567890123456", "kode negara"),
        ("0812３４５６７８９０", "angka"),  # full-width digits are not accepted as digits
    ],
)
def test_an_implausible_number_is_refused_with_a_message(app, raw, says):
    with app.test_request_context(), pytest.raises(BadPhone) as refused:
        normalize_phone(raw)
    assert says in str(refused.value)


def test_channels_are_read_in_one_order_and_unknown_ones_dropped():
    assert parse_channels("telegram, email,sms,whatsapp") == ["email", "whatsapp", "telegram"]
    assert parse_channels("") == []
    assert parse_channels(None) == []
