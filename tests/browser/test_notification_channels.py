"""A person chooses where notifications reach them, in a real browser: the number refused with
a message next to its field, then accepted in its stored form; the next notification reaches
the recording WhatsApp and Telegram gateways through the worker's outbox, and the page shows
it sent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.chat_recorder import RecorderServer, chat_settings
from webapp.extensions import db
from webapp.models import User
from webapp.services import outbox
from webapp.services.notifications import notify

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(live_app):
    server = RecorderServer()
    live_app.config["CHAT"] = chat_settings(server.recorder.url)
    try:
        yield server.recorder
    finally:
        server.close()


def test_a_person_chooses_whatsapp_and_telegram_and_gets_the_next_notification(
    new_page, live_server, live_app, gateway
):
    from playwright.sync_api import expect

    page = new_page("tim1")
    page.goto(f"{live_server}/notifications")
    page.get_by_role("link", name="Saluran notifikasi").click()
    expect(page.locator("h1")).to_have_text("Saluran notifikasi")
    expect(page.locator("#f_telegram_chat_id_help")).to_contain_text("@dinas_sopflow_bot")

    phone = page.get_by_label("Nomor WhatsApp")
    phone.fill("021 555 1234")  # a landline: WhatsApp needs a mobile number
    page.get_by_label("WhatsApp", exact=True).check()
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f_phone_error")).to_contain_text("08")
    expect(phone).to_have_value("021 555 1234")  # kept to be corrected

    phone.fill("0812-3456-7890")
    page.get_by_label("ID obrolan Telegram").fill("987654321")
    page.get_by_label("Telegram", exact=True).check()
    page.locator("input[name=channels][value=email]").uncheck()
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.locator("[role=status]").first).to_contain_text("disimpan")
    expect(phone).to_have_value("6281234567890")
    expect(page.get_by_label("WhatsApp", exact=True)).to_be_checked()
    expect(page.locator("input[name=channels][value=email]")).not_to_be_checked()

    with live_app.app_context():
        tim1 = db.session.scalar(select(User).where(User.username == "tim1"))
        notify([tim1], "sla_breach", "Langkah 3 terlambat", "Perbaikan melewati baku mutu.")
        db.session.commit()
        assert outbox.send_due() == 2  # what the worker's sweep does
    paths = sorted(r.path for r in gateway.requests())
    assert paths == ["/bot123456:SECRET-bot-token/sendMessage", "/send"]
    [form] = [r.form() for r in gateway.requests("/send")]
    assert form["target"] == "6281234567890"

    page.reload()
    deliveries = page.locator("#deliveries")
    expect(deliveries).to_contain_text("Langkah 3 terlambat")
    expect(deliveries.locator("tbody tr")).to_have_count(2)
    expect(deliveries.locator("tbody")).to_contain_text(re.compile("terkirim.*terkirim", re.S))
