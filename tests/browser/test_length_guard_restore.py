"""app.js's length check around a draft restored from the browser's storage, and on a page
without the wording for the length note: a field is never over its limit without saying so,
and never left with no limit at all."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Route, expect

from tests.conftest import Actions

pytestmark = pytest.mark.browser


def test_a_restored_draft_over_the_limit_says_its_length_at_once(new_page, live_server, live_app):
    """A draft kept in the browser with text longer than the field takes shows the field's
    length note as soon as the page has put it back, before any key is pressed, and the form
    is not sent."""
    actions = Actions(live_app)
    case = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(case, "Task_3_troubleshooting").id
    page = new_page("tim1")
    page.goto(f"{live_server}/tasks/{task}")
    component = "app/Http/Controllers/DaftarController.php " * 6  # 252 characters, takes 200
    draft = json.dumps({"komponen": component})
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, value)", [f"sopflow:draft:task:{task}", draft]
    )
    page.reload()

    box = page.locator("#f_komponen")
    expect(box).to_have_value(component)
    note = page.locator("#f_komponen_length")
    expect(note).to_be_visible()
    expect(note).to_contain_text(f"{len(component)} karakter, paling banyak 200")
    expect(box).to_have_attribute("aria-invalid", "true")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Selesaikan tugas").click()
    expect(box).to_be_focused()
    assert sent == []


def test_a_field_keeps_the_browsers_maxlength_where_no_length_note_can_be_written(
    new_page, live_server
):
    """A page without the wording for the note (its body has no data-length-template): the
    script cannot say the length, so it leaves the browser's maxlength in place rather than
    taking it away and guarding nothing."""
    page = new_page("admin1")

    def without_template(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace("data-length-template=", "data-no-template=")
        route.fulfill(response=response, body=body)

    page.route(f"{live_server}/admin/users/new", without_template)
    page.goto(f"{live_server}/admin/users/new")
    assert page.evaluate("document.body.dataset.lengthTemplate") is None
    expect(page.locator("#f_full_name")).to_have_attribute("maxlength", "200")
    assert page.evaluate("document.getElementById('f_full_name').dataset.maxlength") is None
