"""An owner's change cannot be lost or half-made: the modeler opens the newest draft, a save
built on an older version shows what it would drop, the time standard is typed in words, and
lint names a nameless, unconnected or unreachable step before "siap diterbitkan"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_modeler import (
    PROCESS,
    SOP_BPMN,
    drawn_standard,
    exported,
    props_field,
    saved_draft,
    select_shape,
    set_standard,
    timer_expression,
    watch_errors,
)
from webapp.extensions import db
from webapp.models import User
from webapp.services import versions

pytestmark = pytest.mark.browser

STEP2 = "Menerima dan menganalisa permasalahan, meneruskan ke Tim untuk troubleshooting"
STEP3 = "Melakukan pemecahan masalah sistem sesuai bahasa pemrograman eksisting"


def other_owner_saves_draft(live_app, xml: str, note: str) -> int:
    """Another owner (admin1) saves a draft of the SOP, as from another browser."""
    with live_app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin1"))
        version, _findings, is_new = versions.save_draft(admin, PROCESS, xml.encode(), None, note)
        assert is_new
        return version.version


def ready(page: Page) -> None:
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "1")


def owner_in_modeler(new_page, base: str) -> tuple[Page, list[str]]:
    """owner1 with the modeler open as "Buka modeler" opens it, and the page's script errors."""
    page = new_page("owner1")
    errors = watch_errors(page)
    page.goto(f"{base}/processes/{PROCESS}/modeler")
    ready(page)
    return page, errors


def test_buka_modeler_opens_the_newest_draft_and_offers_the_other_versions(
    new_page, live_server, live_app
):
    xml = SOP_BPMN.read_text(encoding="utf-8").replace(STEP2, "Analisa (draf admin)")
    assert other_owner_saves_draft(live_app, xml, "draf admin") == 2

    page = new_page("owner1")
    errors = watch_errors(page)
    page.goto(f"{live_server}/processes/{PROCESS}/")
    page.get_by_role("link", name="Buka modeler").click()
    ready(page)

    expect(page.locator("#modeler")).to_have_attribute("data-version", "2")
    choice = page.locator("#version-choice")
    expect(choice).to_contain_text("Dibuka: draf versi 2, yang terbaru.")
    expect(choice.get_by_role("link", name="v1 (terbit)")).to_be_visible()
    select_shape(page, "Task_2_analisa")
    expect(props_field(page, "Nama")).to_have_value("Analisa (draf admin)")

    # Opening the published version on purpose says it is not the newest.
    choice.get_by_role("link", name="v1 (terbit)").click()
    ready(page)
    expect(page.locator("#modeler")).to_have_attribute("data-version", "1")
    expect(page.locator("#version-choice")).to_contain_text("Versi 1 bukan yang terbaru")
    assert errors == []


def test_saving_on_an_older_base_warns_and_shows_what_the_newest_draft_would_lose(
    new_page, live_server, live_app
):
    page, errors = owner_in_modeler(new_page, live_server)
    expect(page.locator("#modeler")).to_have_attribute("data-version", "1")

    # Meanwhile another owner saves a draft that renames step 2.
    xml = SOP_BPMN.read_text(encoding="utf-8").replace(STEP2, "Analisa (draf admin)")
    assert other_owner_saves_draft(live_app, xml, "draf admin") == 2

    select_shape(page, "Task_3_troubleshooting")
    name = props_field(page, "Nama")
    name.fill("Pemecahan masalah (owner1)")
    name.press("Tab")
    page.get_by_role("button", name="Simpan draf").click()

    warning = page.locator("#stale-warning")
    expect(warning).to_be_visible()
    expect(warning).to_be_focused()
    expect(warning).to_contain_text("Versi 2 sudah disimpan setelah versi 1")
    dropped = warning.locator("#stale-changes li", has_text="Analisa (draf admin)")
    expect(dropped).to_have_count(1)
    expect(dropped).to_contain_text("Dikembalikan")
    # The owner's own change is not something "dropped".
    expect(warning.locator("#stale-changes li")).to_have_count(1)
    expect(page.get_by_role("link", name="Buka versi terbaru (v2)")).to_have_attribute(
        "href", f"/processes/{PROCESS}/modeler?v=2"
    )
    expect(page.locator("#save-result")).to_be_hidden()
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")
    with live_app.app_context():
        with pytest.raises(Exception, match="tidak ditemukan"):
            versions.get_version(PROCESS, 3)

    # Saving anyway is the owner's choice, made after seeing the list.
    page.get_by_role("button", name="Tetap simpan sebagai draf baru").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 3 tersimpan")
    expect(warning).to_be_hidden()
    assert "Pemecahan masalah (owner1)" in saved_draft(live_app, 3).bpmn_xml

    # The next save builds on version 3, the one just saved: no warning.
    name = props_field(page, "Nama")
    name.fill("Pemecahan masalah (owner1, lagi)")
    name.press("Tab")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 4 tersimpan")
    expect(warning).to_be_hidden()
    # The browser logs the held-back save's answer (409) itself; nothing else went wrong.
    assert [e for e in errors if "409 (CONFLICT)" not in e] == []


def test_time_standard_in_words_sets_timer_its_name_escalation_and_waktu(
    new_page, live_server, tmp_path
):
    page, errors = owner_in_modeler(new_page, live_server)

    select_shape(page, "Task_3_troubleshooting")
    expect(props_field(page, "Mutu baku waktu")).to_have_value("2 jam")
    waktu = props_field(page, "Waktu")
    expect(waktu).not_to_be_editable()  # it follows the standard; it cannot say otherwise

    props_field(page, "Mutu baku waktu").fill("2 jem")
    expect(page.locator("#props-body .field.has-error .error")).to_contain_text("45 menit")

    for typed, iso, words in (
        ("45 menit", '"PT45M"', "45 menit"),
        ("3 hari", '"P3D"', "3 hari"),
        ("1 jam 30 menit", '"PT1H30M"', "1 jam 30 menit"),
    ):
        set_standard(page, typed)
        expect(props_field(page, "Mutu baku waktu")).to_have_value(words)
        expect(props_field(page, "Waktu")).to_have_value(words)
        expect(page.locator("#props-body")).to_contain_text(f"Timer “Melewati {words}”")
        drawn = drawn_standard(exported(page, tmp_path), "Task_3_troubleshooting")
        [timer] = drawn["timers"]
        assert timer_expression(timer) == iso
        assert timer.get("name") == f"Melewati {words}"
        assert drawn["params"]["batas"] == f'"{words}"'
        assert drawn["props"]["sopWaktu"] == words
    assert errors == []


def test_lint_names_nameless_unconnected_and_unreachable_steps_before_ready_to_publish(
    new_page, live_server, tmp_path
):
    xml = SOP_BPMN.read_text(encoding="utf-8")
    lonely = (
        '<bpmn:task id="Task_lupa" name="Langkah terlupa" />'
        '<bpmn:task id="Task_tanpa_nama" />'
        '<bpmn:task id="Task_buntu" name="Tak tercapai" />'
        '<bpmn:endEvent id="End_buntu" />'
        '<bpmn:sequenceFlow id="Flow_buntu" sourceRef="Task_buntu" targetRef="End_buntu" />'
    )
    broken = xml.replace("</bpmn:process>", lonely + "</bpmn:process>", 1)
    local = tmp_path / "rusak.bpmn"
    local.write_text(broken, encoding="utf-8")

    page, _errors = owner_in_modeler(new_page, live_server)
    page.locator("#upload-bpmn").set_input_files(str(local))
    expect(page.locator("#dirty-state")).to_have_text("Ada perubahan yang belum disimpan")
    page.get_by_role("button", name="Simpan draf").click()

    findings = page.locator("#save-findings")
    expect(page.locator("#save-result")).to_contain_text("Draf versi 2 tersimpan")
    expect(findings).to_contain_text("“Langkah terlupa” tidak terhubung dengan alur mana pun")
    expect(findings).to_contain_text("Tugas “Task_tanpa_nama” tidak bernama")
    expect(findings).to_contain_text("“Tak tercapai” tidak dapat dicapai dari peristiwa awal")
    expect(findings).not_to_contain_text("siap diterbitkan")

    # The same diagram cleaned up is ready again.
    page.locator("#upload-bpmn").set_input_files(str(SOP_BPMN))
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("0 kesalahan, 0 peringatan")
    expect(findings).to_contain_text("siap diterbitkan")


def test_a_draft_note_too_long_shows_its_length_and_is_not_sent(new_page, live_server, live_app):
    page, errors = owner_in_modeler(new_page, live_server)
    sent: list[str] = []

    def record(request) -> None:
        if request.method == "POST" and request.url.endswith("/drafts"):
            sent.append(request.post_data_json["note"])

    page.on("request", record)
    select_shape(page, "Task_3_troubleshooting")
    name = props_field(page, "Nama")
    name.fill("Pemecahan masalah (owner1)")
    name.press("Tab")

    note = page.locator("#draft-note")
    # Pasted whole, not cut by the browser.
    note.fill("n" * 2001)
    expect(note).to_have_value("n" * 2001)
    said = page.locator("#draft-note_length")
    expect(said).to_be_visible()
    expect(said).to_have_text(
        "Terlalu panjang: 2001 karakter, paling banyak 2000. "
        "Persingkat isian ini; tidak ada yang dipotong."
    )
    expect(note).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Simpan draf").click()
    expect(note).to_be_focused()
    expect(page.locator("#save-result")).to_be_hidden()
    assert sent == []
    with live_app.app_context():
        with pytest.raises(Exception, match="tidak ditemukan"):
            versions.get_version(PROCESS, 2)

    # Shortened, it says nothing more and the draft saves with the note as typed.
    note.press("Backspace")
    expect(said).to_be_hidden()
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#save-result")).to_contain_text("Draf versi 2 tersimpan")
    assert saved_draft(live_app, 2).note == "n" * 2000
    # A save held back would be sent only once the diagram is exported, after the click
    # returned: with the good save answered, the good note is the only one that went out.
    assert sent == ["n" * 2000]
    assert errors == []
