"""The notification outbox: one delivery per chosen channel, sent by the worker to a real HTTP
gateway that the test starts (WhatsApp Cloud API, a form gateway, Telegram's Bot API), retried
with back-off when the gateway fails, given up after the attempts run out, never twice with two
workers racing, and never at the cost of the in-app notification."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.chat_recorder import (
    CHAT_ID,
    CLOUD_TOKEN,
    FORM_TOKEN,
    PHONE,
    TOKEN,
    RecorderServer,
    chat_settings,
)
from webapp.extensions import db
from webapp.models import Notification, NotificationDelivery
from webapp.services import chat, outbox, wakeup
from webapp.services.notifications import notify, unread_count

from .test_wakeup import NOTIFY_LIMIT, _hear_all
from .worker_support import Worker, free_port, user, worker_env

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def gateway():
    server = RecorderServer()
    try:
        yield server.recorder
    finally:
        server.close()


@pytest.fixture
def chat_app(app, gateway):
    """The app with WhatsApp (form gateway) and Telegram pointed at the recorder; no SMTP."""
    app.config["CHAT"] = chat_settings(gateway.url)
    app.config["SMTP"] = {**app.config["SMTP"], "host": ""}
    return app


def _reachable(username: str, channels: str, phone: str = PHONE, chat_id: str = CHAT_ID) -> None:
    person = user(username)
    person.phone, person.telegram_chat_id, person.notify_channels = phone, chat_id, channels
    db.session.commit()


def _notify(username: str = "ketua1", title: str = "Batas waktu terlewati") -> int:
    [row] = notify([user(username)], "sla_breach", title, "Langkah 2 melewati baku mutu.")
    db.session.commit()
    return row.id


def _deliveries(notification_id: int | None = None) -> list[NotificationDelivery]:
    db.session.rollback()
    query = select(NotificationDelivery).order_by(NotificationDelivery.channel)
    if notification_id is not None:
        query = query.where(NotificationDelivery.notification_id == notification_id)
    return list(db.session.scalars(query))


def test_a_delivery_per_channel_the_person_chose_and_can_receive(chat_app):
    with chat_app.app_context():
        chat_app.config["SMTP"] = {**chat_app.config["SMTP"], "host": "mail.invalid"}
        user("ketua1").email = "ketua1@dinas.example"
        _reachable("ketua1", "email,whatsapp,telegram")
        _reachable("tim1", "telegram")
        _reachable("tim2", "whatsapp,telegram", phone="", chat_id="")  # no address: nothing
        people = [user("ketua1"), user("tim1"), user("tim2")]
        rows = notify(people, "sla_breach", "Judul", "Isi")
        db.session.commit()
        channels = {row.user.username: [d.channel for d in _deliveries(row.id)] for row in rows}
    assert channels == {
        "ketua1": ["email", "telegram", "whatsapp"],
        "tim1": ["telegram"],
        "tim2": [],
    }


def test_a_channel_the_installation_cannot_send_on_is_not_queued(app):
    with app.app_context():
        app.config["SMTP"] = {**app.config["SMTP"], "host": ""}
        _reachable("ketua1", "email,whatsapp,telegram")  # no gateway, no bot, no SMTP
        notification_id = _notify()
        assert _deliveries(notification_id) == []
        assert unread_count(user("ketua1")) == 1


def test_the_deliveries_commit_or_roll_back_with_the_notification(chat_app):
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp,telegram")
        notify([user("ketua1")], "sla_breach", "Judul", "Isi")
        db.session.rollback()  # the case change that caused it failed
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
        assert _deliveries() == []
        assert outbox.send_due() == 0


def test_the_form_gateway_receives_number_message_and_token(chat_app, gateway):
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp")
        notification_id = _notify()
        assert outbox.send_due() == 1
        [request] = gateway.requests()
        assert request.path == "/send"
        assert request.headers["Authorization"] == FORM_TOKEN
        form = request.form()
        assert form["target"] == PHONE
        assert form["message"].startswith("Batas waktu terlewati\n\nLangkah 2 melewati baku mutu.")
        [row] = _deliveries(notification_id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
        assert row.sent_at is not None
        assert outbox.send_due() == 0  # sent once
        assert len(gateway.requests()) == 1


def test_a_form_gateway_with_its_own_field_names_and_the_token_in_a_field(chat_app, gateway):
    chat_app.config["CHAT"] = chat_settings(
        gateway.url, form_phone_field="phone", form_auth_header="", form_token_field="token"
    )
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp")
        _notify()
        assert outbox.send_due() == 1
        [request] = gateway.requests()
        assert "Authorization" not in request.headers
        form = request.form()
        assert (form["phone"], form["token"]) == (PHONE, FORM_TOKEN)


def test_a_form_gateway_that_answers_status_false_has_not_sent_it(chat_app, gateway):
    gateway.mode = "refuse"  # 200 {"status": false}
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp")
        notification_id = _notify()
        assert outbox.send_due() == 0
        [row] = _deliveries(notification_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "refused" in row.last_error and "invalid token" in row.last_error


def test_whatsapp_cloud_api_receives_the_graph_api_message(chat_app, gateway):
    chat_app.config["CHAT"] = chat_settings(gateway.url, provider="whatsapp-cloud")
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp")
        _notify()
        assert outbox.send_due() == 1
        [request] = gateway.requests()
        assert request.path == "/v21.0/1055551234/messages"
        assert request.headers["Authorization"] == f"Bearer {CLOUD_TOKEN}"
        body = request.json()
        assert body["messaging_product"] == "whatsapp"
        assert (body["to"], body["type"]) == (PHONE, "text")
        assert body["text"]["body"].startswith("Batas waktu terlewati")


def test_whatsapp_cloud_api_with_a_template_carries_the_text_as_its_parameter(chat_app, gateway):
    chat_app.config["CHAT"] = chat_settings(
        gateway.url, provider="whatsapp-cloud", cloud_template="notifikasi_sopflow"
    )
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp")
        _notify()
        assert outbox.send_due() == 1
    body = gateway.requests()[0].json()
    assert (body["to"], body["type"]) == (PHONE, "template")
    template = body["template"]
    assert (template["name"], template["language"]) == ("notifikasi_sopflow", {"code": "id"})
    [parameter] = template["components"][0]["parameters"]
    # One line: a template parameter may hold no line breaks.
    assert parameter == {
        "type": "text",
        "text": "Batas waktu terlewati Langkah 2 melewati baku mutu.",
    }


def test_telegram_bot_api_receives_send_message(chat_app, gateway):
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        _notify()
        assert outbox.send_due() == 1
        [request] = gateway.requests()
        assert request.path == f"/bot{TOKEN}/sendMessage"
        body = request.json()
        assert body["chat_id"] == CHAT_ID
        assert body["text"].startswith("Batas waktu terlewati")


def test_a_case_notification_carries_the_case_address(chat_app, gateway):
    from .worker_support import start_cases

    [instance_id] = start_cases(chat_app, 1, T0)
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        from webapp.models import ProcessInstance

        notify(
            [user("ketua1")], "case", "Berkas", "Isi", db.session.get(ProcessInstance, instance_id)
        )
        db.session.commit()
        outbox.send_due()
    [request] = gateway.requests()
    assert request.json()["text"].endswith(f"/cases/{instance_id}")


def test_a_failing_gateway_is_retried_with_back_off_until_it_recovers(chat_app, gateway):
    gateway.mode = "error"
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        with time_machine.travel(T0, tick=False):
            notification_id = _notify()
            assert outbox.send_due() == 0
        [row] = _deliveries(notification_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == T0 + timedelta(minutes=1)
        assert "HTTP 500" in row.last_error and "gateway down" in row.last_error
        assert TOKEN not in row.last_error  # the bot token is in the URL: never in the error
        # The in-app notification is there, unread, whatever the gateway does.
        assert unread_count(user("ketua1")) == 1

        with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
            assert outbox.send_due() == 0
        assert len(gateway.requests()) == 1  # not due yet: not tried

        with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
            assert outbox.send_due() == 0
        [row] = _deliveries(notification_id)
        assert row.attempts == 2
        assert row.next_attempt_at == T0 + timedelta(minutes=1 + 5)

        gateway.mode = "ok"  # the gateway is back
        with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
            assert outbox.send_due() == 1
        [row] = _deliveries(notification_id)
        assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
        assert row.sent_at == T0 + timedelta(minutes=6)
    assert len(gateway.requests()) == 3


# Tokens of the shapes the services issue: a Bot API token (bot id, colon, 35 characters) and
# a Meta access token; neither is any real account's.
BOT_TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BEARER = "EAAJZBqZCzTbwBO7vZAxZBhZCVqZAbZCsZBv9XbdmZC0ZBZA1ZB3tZCfZAZBxY2Lk"


@pytest.mark.parametrize(
    ("channel", "provider", "secret"),
    [
        ("telegram", "http-form", BOT_TOKEN),  # in the URL's path: /bot<token>/sendMessage
        ("whatsapp", "whatsapp-cloud", BEARER),  # in the Authorization header
        ("whatsapp", "http-form", FORM_TOKEN),  # in a form field of the body
    ],
)
def test_a_gateway_error_is_kept_with_tokens_removed(
    chat_app, gateway, caplog, monkeypatch, channel, provider, secret
):
    """The gateway fails and its error page quotes the request back, token and all: the row
    keeps that answer with the token starred out, and no log line carries the token."""
    chat_app.config["CHAT"] = chat_settings(
        gateway.url,
        provider=provider,
        cloud_token=BEARER,
        form_auth_header="",
        form_token_field="token",
    )
    chat_app.config["CHAT"]["telegram"]["token"] = BOT_TOKEN
    gateway.mode = "echo"
    # Alembic's logging set-up (the suite migrates first) disables loggers made before it.
    monkeypatch.setattr(outbox.log, "disabled", False)
    caplog.set_level(logging.DEBUG, logger="webapp")
    with chat_app.app_context():
        _reachable("ketua1", channel)
        notification_id = _notify()
        assert outbox.send_due() == 0
        [row] = _deliveries(notification_id)
    [request] = gateway.requests()
    sent = request.path + request.headers.get("Authorization", "") + request.body.decode()
    assert secret in sent  # the failing request did carry the token
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 500" in row.last_error and "cannot serve POST" in row.last_error
    assert "***" in row.last_error, row.last_error  # the quoted token, starred out
    assert secret not in row.last_error and secret.split(":")[-1] not in row.last_error
    assert f"notification {notification_id}: {channel} failed" in caplog.text
    assert secret not in caplog.text and secret.split(":")[-1] not in caplog.text


def test_an_unexpected_error_quoting_the_token_is_logged_and_kept_without_it(
    chat_app, gateway, caplog, monkeypatch
):
    """Not a gateway's answer but a fault on our side whose message quotes the bot's URL (as a
    library's error may): the row keeps it and the log has its trace, both without the token."""

    def fails_while_building(settings, chat_id, text, timeout):
        url = f"{settings['api_url']}/bot{settings['token']}/sendMessage"
        raise TypeError(f"cannot prepare the request to {url}")

    monkeypatch.setattr(chat, "send_telegram", fails_while_building)
    chat_app.config["CHAT"]["telegram"]["token"] = BOT_TOKEN
    monkeypatch.setattr(outbox.log, "disabled", False)
    caplog.set_level(logging.DEBUG, logger="webapp")
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        notification_id = _notify()
        assert outbox.send_due() == 0
        [row] = _deliveries(notification_id)
    assert row.last_error.startswith("TypeError: cannot prepare the request to ")
    assert "/bot***/sendMessage" in row.last_error and BOT_TOKEN not in row.last_error
    assert "Traceback" in caplog.text and "fails_while_building" in caplog.text
    assert "/bot***/sendMessage" in caplog.text
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN.split(":")[1] not in caplog.text


def test_an_unreachable_gateway_counts_an_attempt_and_keeps_the_notification(chat_app):
    chat_app.config["CHAT"] = chat_settings(f"http://127.0.0.1:{free_port()}")  # closed port
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp,telegram")
        with time_machine.travel(T0, tick=False):
            notification_id = _notify()
            assert outbox.send_due() == 0
        rows = _deliveries(notification_id)
        assert [(r.channel, r.status, r.attempts) for r in rows] == [
            ("telegram", "pending", 1),
            ("whatsapp", "pending", 1),
        ]
        assert all("could not connect" in r.last_error for r in rows)
        assert all(TOKEN not in r.last_error and FORM_TOKEN not in r.last_error for r in rows)
        assert unread_count(user("ketua1")) == 1


def test_a_gateway_that_does_not_answer_times_out(chat_app, gateway):
    gateway.mode = "hang"
    chat_app.config["CHAT"]["timeout"] = 0.3
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        notification_id = _notify()
        assert outbox.send_due() == 0
        [row] = _deliveries(notification_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "no answer within 0.3 s" in row.last_error


def test_a_gateway_that_does_not_answer_holds_the_sweep_once_not_per_message(chat_app, gateway):
    gateway.mode = "hang"
    chat_app.config["CHAT"]["timeout"] = 0.3
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp,telegram")
        first, second = _notify(), _notify()
        assert outbox.send_due() == 0
        # One Telegram and one WhatsApp request timed out; the other two rows wait untouched.
        assert sorted(r.path.split("/")[-1] for r in gateway.requests()) == [
            "send",
            "sendMessage",
        ]
        assert [(r.channel, r.attempts) for r in _deliveries(first)] == [
            ("telegram", 1),
            ("whatsapp", 1),
        ]
        assert [(r.channel, r.attempts, r.status) for r in _deliveries(second)] == [
            ("telegram", 0, "pending"),
            ("whatsapp", 0, "pending"),
        ]


def test_a_delivery_fails_for_good_after_the_last_attempt(chat_app, gateway):
    gateway.mode = "error"
    chat_app.config["CHAT"]["max_attempts"] = 3
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        with time_machine.travel(T0, tick=False):
            notification_id = _notify()
        for minutes in (0, 1, 6, 21, 120):
            with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
                outbox.send_due()
        [row] = _deliveries(notification_id)
        assert (row.status, row.attempts) == ("failed", 3)
        assert "HTTP 500" in row.last_error
        assert db.session.get(Notification, notification_id).read_at is None
    assert len(gateway.requests()) == 3


def test_a_retry_is_not_sent_once_the_person_left_the_channel_or_the_office(chat_app, gateway):
    gateway.mode = "error"
    with chat_app.app_context():
        _reachable("ketua1", "whatsapp,telegram")
        with time_machine.travel(T0, tick=False):
            notification_id = _notify()
            outbox.send_due()  # both fail once
        assert len(gateway.requests()) == 2
        user("ketua1").notify_channels = "whatsapp"  # Telegram ticked off meanwhile
        db.session.commit()
        gateway.mode = "ok"
        with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
            assert outbox.send_due() == 1
        rows = {r.channel: r for r in _deliveries(notification_id)}
        assert (rows["telegram"].status, rows["telegram"].last_error) == (
            "cancelled",
            "channel no longer chosen",
        )
        assert rows["whatsapp"].status == "sent"
        assert [r.path for r in gateway.requests()][2:] == ["/send"]

        _reachable("tim1", "telegram")
        with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
            other = _notify("tim1")
            user("tim1").active = False  # deactivated before the worker came round
            db.session.commit()
            assert outbox.send_due() == 0
        [row] = _deliveries(other)
        assert (row.status, row.last_error) == ("cancelled", "account deactivated")
    assert len(gateway.requests()) == 3


def test_the_worker_wakes_for_the_next_due_delivery(chat_app, gateway):
    gateway.mode = "error"
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        with time_machine.travel(T0, tick=False):
            _notify()
            assert wakeup.earliest_due() == T0  # new: due at once
            outbox.send_due()
        # Retried in a minute: the worker sleeps until then, not its whole interval.
        assert wakeup.earliest_delivery() == T0 + timedelta(minutes=1)


@pytest.fixture
def listening(chat_app):
    """A worker's LISTEN connection on PostgreSQL (the other databases poll instead)."""
    with chat_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite and MariaDB are polled")
        waker = wakeup.waker_for(db.engine, poll=1.0)
        waker.poll = NOTIFY_LIMIT  # one bounded wait: a working NOTIFY ends it at once
        waker.wait(0)  # LISTEN before anything is written
        try:
            yield waker
        finally:
            waker.close()


def test_a_queued_delivery_notifies_a_listening_worker(chat_app, listening):
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        _notify()
        _reachable("tim1", "")  # in-app only: no delivery, nothing to wake the worker for
        _notify("tim1")
    assert _hear_all(chat_app, listening) == ["delivery"]


def test_back_off_grows_and_is_bounded():
    minutes = [outbox.backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 5, 15, 60, 120, 240, 240, 240, 240]


@pytest.mark.slow
def test_two_worker_processes_send_each_message_exactly_once(
    chat_app, gateway, database_url, tmp_path
):
    count = 40
    with chat_app.app_context():
        _reachable("ketua1", "telegram")
        for i in range(count):
            _notify(title=f"Pesan {i}")
        db.session.remove()
    env = worker_env(database_url, tmp_path)
    env.update(SOPFLOW_TELEGRAM_BOT_TOKEN=TOKEN, SOPFLOW_TELEGRAM_API_URL=gateway.url)
    # Both processes exist before either is waited on: they take due rows at the same time.
    workers = [Worker(env, tmp_path, name, "--once") for name in ("a", "b")]
    try:
        sweeps = [w.sweep() for w in workers]
    finally:
        for w in workers:
            w.stop()
    titles = sorted(r.json()["text"].split("\n")[0] for r in gateway.requests())
    assert titles == sorted(f"Pesan {i}" for i in range(count)), "a message sent twice or lost"
    assert sum(s["deliveries"] for s in sweeps) == count
    with chat_app.app_context():
        rows = _deliveries()
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
        assert len(rows) == count
