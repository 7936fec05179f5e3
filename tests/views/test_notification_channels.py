"""The person's notification channel page (/account/notifications) and the administrator's
section of the user page: server-side checks, one stored form of the number, audit."""

from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, User


def _user(app, username: str) -> User:
    with app.app_context():
        found = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(found)
        return found


def test_the_page_asks_for_number_chat_id_and_channels(app, actions):
    page = actions.client("tim1").get("/account/notifications").get_data(as_text=True)
    assert 'name="phone"' in page and 'name="telegram_chat_id"' in page
    assert 'value="whatsapp"' in page and 'value="telegram"' in page and 'value="email"' in page
    assert "/start" in page and "@userinfobot" in page  # how to find one's chat id
    assert "belum disiapkan di kantor ini" in page  # no gateway in the test app


def test_the_page_is_for_signed_in_people(client):
    response = client.get("/account/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_saving_normalizes_the_number_and_keeps_the_choice(app, actions):
    response = actions.client("tim1").post(
        "/account/notifications",
        data={
            "phone": "0812-3456-7890",
            "telegram_chat_id": " 987654321 ",
            "channels": ["whatsapp", "telegram"],
        },
    )
    assert response.status_code == 302
    tim1 = _user(app, "tim1")
    assert (tim1.phone, tim1.telegram_chat_id) == ("6281234567890", "987654321")
    assert tim1.notify_channels == "whatsapp,telegram"
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "user.channels_changed")
        )
        assert event.detail["phone"] == {"before": "", "after": "6281234567890"}
    page = actions.client("tim1").get("/account/notifications").get_data(as_text=True)
    assert 'value="6281234567890"' in page


def test_a_bad_number_is_refused_next_to_its_field_and_nothing_is_saved(app, actions):
    response = actions.client("tim1").post(
        "/account/notifications",
        data={"phone": "021 555 1234", "channels": ["whatsapp"]},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="f_phone_error"' in page and "08" in page
    assert 'value="021 555 1234"' in page  # what was typed stays to be corrected
    tim1 = _user(app, "tim1")
    assert (tim1.phone, tim1.notify_channels) == ("", "email")


def test_a_channel_without_its_address_is_refused(app, actions):
    response = actions.client("tim1").post(
        "/account/notifications", data={"phone": "", "channels": ["whatsapp", "telegram"]}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="f_phone_error"' in page and 'id="f_telegram_chat_id_error"' in page
    response = actions.client("tim1").post(
        "/account/notifications", data={"telegram_chat_id": "tim; drop", "channels": []}
    )
    assert response.status_code == 422
    assert _user(app, "tim1").telegram_chat_id == ""


def test_an_empty_choice_leaves_only_in_app_notifications(app, actions):
    response = actions.client("tim1").post("/account/notifications", data={"phone": ""})
    assert response.status_code == 302
    assert _user(app, "tim1").notify_channels == ""


def test_an_administrator_sets_someone_elses_channels(app, actions):
    tim1 = _user(app, "tim1")
    response = actions.client("admin1").post(
        f"/admin/users/{tim1.id}/channels",
        data={"phone": "+62 811 2222 3333", "telegram_chat_id": "-100123", "channels": "telegram"},
    )
    assert response.status_code == 302
    tim1 = _user(app, "tim1")
    assert (tim1.phone, tim1.telegram_chat_id, tim1.notify_channels) == (
        "6281122223333",
        "-100123",
        "telegram",
    )
    page = actions.client("admin1").get(f"/admin/users/{tim1.id}").get_data(as_text=True)
    assert 'value="6281122223333"' in page


def test_an_administrator_sees_the_refusal_on_the_user_page(app, actions):
    tim1 = _user(app, "tim1")
    response = actions.client("admin1").post(
        f"/admin/users/{tim1.id}/channels", data={"phone": "12", "channels": "whatsapp"}
    )
    assert response.status_code == 422
    assert 'id="f_phone_error"' in response.get_data(as_text=True)


def test_only_administrators_set_someone_elses_channels(app, actions):
    tim2 = _user(app, "tim2")
    response = actions.client("tim1").post(
        f"/admin/users/{tim2.id}/channels", data={"phone": "081234567890"}
    )
    assert response.status_code == 403
    assert _user(app, "tim2").phone == ""


def test_an_administrator_sees_why_a_delivery_failed(app, actions):
    from webapp.models import NotificationDelivery
    from webapp.services.notifications import notify

    tim1 = _user(app, "tim1")
    with app.app_context():
        person = db.session.get(User, tim1.id)
        [note] = notify([person], "sla_breach", "Langkah terlambat", "Isi")
        db.session.add(
            NotificationDelivery(
                notification=note,
                channel="telegram",
                attempts=2,
                last_error="Telegram: HTTP 400 Bad Request: chat not found",
            )
        )
        db.session.commit()
    page = actions.client("admin1").get(f"/admin/users/{tim1.id}").get_data(as_text=True)
    assert "Langkah terlambat" in page and "chat not found" in page
    own = actions.client("tim1").get("/account/notifications").get_data(as_text=True)
    assert "Langkah terlambat" in own and "chat not found" not in own


def test_a_too_long_number_or_chat_id_is_shown_back_whole_and_the_limit_named(app, actions):
    phone = "0812 3456 7890 " + "1" * 60
    chat = "@" + "k" * 100
    response = actions.client("tim1").post(
        "/account/notifications",
        data={"phone": phone, "telegram_chat_id": chat, "channels": ["whatsapp"]},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'value="{phone}"' in page and f'value="{chat}"' in page
    assert "Paling banyak 40 karakter." in page
    assert "Paling banyak 33 karakter." in page
    tim1 = _user(app, "tim1")
    assert (tim1.phone, tim1.telegram_chat_id, tim1.notify_channels) == ("", "", "email")


def test_an_administrator_sees_a_too_long_number_shown_back_whole(app, actions):
    phone = "0812-3456-7890" + "-" * 60
    target = _user(app, "tim2")
    response = actions.client("admin1").post(
        f"/admin/users/{target.id}/channels", data={"phone": phone}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'value="{phone}"' in page and "Paling banyak 40 karakter." in page
