"""The modeler in one language at a time (issue 14, point 8): the properties panel's fields of a
user task (forms, performer, time standard), a lane, a service task's operator, a timer and a
gateway's flow condition, and bpmn-js's own palette and context pad, in English and in
Indonesian."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_modeler import select_lane, select_shape
from tests.browser.test_one_language import PROCESS, to_english

pytestmark = pytest.mark.browser

# Words of the Indonesian interface that no English label may hold (the SOP's own data, such as
# a step's name, is not in the labels checked).
INDONESIAN = re.compile(
    r"\b(berkas|skema|nama|lajur|peran|pelaksana|variabel|mutu|baku|durasi|ekspresi|kondisi|"
    r"hasil|tambah|hapus|buat|tugas|menghentikan|dokumentasi|nomor|langkah|kelengkapan|"
    r"produk|keterangan|peristiwa|gerbang|sambung|aktifkan)\b",
    re.IGNORECASE,
)
# English interface words no Indonesian label may hold ("Timer", "ID", "Operator", the
# attribute names in brackets and the word "interrupting" in the BPMN sense are shared).
ENGLISH = re.compile(
    r"\b(file|schema|name|lane|role|variable|standard|duration|expression|condition|result|"
    r"add|remove|create|task|stop|documentation|step|event|gateway|append|activate|tool)\b",
    re.IGNORECASE,
)


def open_modeler(page: Page, base: str) -> None:
    page.goto(f"{base}/processes/{PROCESS}/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "1")


def labels(page: Page) -> list[str]:
    """The panel's labels, legends and options as a person reads them (brackets left out:
    they name BPMN attributes, e.g. "(candidateUsersVariable)"), form files left out."""
    texts = page.locator(
        "#props-body label, #props-body legend, #props-body h3, #props-body option"
    ).all_text_contents()
    # Form files' names are the SOP's data, not the interface.
    return [re.sub(r"\([^)]*\)", "", t).strip() for t in texts if not t.endswith(".json")]


def select_flow(page: Page, flow_id: str) -> None:
    """Click the middle of a sequence flow's line (its box's centre may be off the line)."""
    point = page.evaluate(
        """id => {
            const path = document.querySelector(`g[data-element-id="${id}"] path.djs-hit`);
            const length = path.getTotalLength(), p = path.getPointAtLength(length / 2);
            const m = path.getScreenCTM();
            return { x: m.a * p.x + m.c * p.y + m.e, y: m.b * p.x + m.d * p.y + m.f };
        }""",
        flow_id,
    )
    page.mouse.click(point["x"], point["y"])
    expect(page.locator("#props-body")).to_have_attribute("data-element", flow_id)


def palette_titles(page: Page) -> dict[str, str]:
    """Each palette entry's name as a screen reader and the tooltip say it (its aria-label)."""
    entries = page.locator(".djs-palette .entry[data-action]").all()
    return {e.get_attribute("data-action"): e.get_attribute("aria-label") or "" for e in entries}


def walk_panel(page: Page) -> list[str]:
    """Select a user task, a lane, the upload's service task, a timer and a flow condition;
    return every label seen on the way."""
    seen: list[str] = []
    select_shape(page, "Task_3_troubleshooting")
    seen += labels(page)
    select_lane(page, "Lane_tim")
    seen += labels(page)
    select_shape(page, "Task_5_upload_colocation")
    seen += labels(page)
    select_shape(page, "Timer_3_mutu_baku")
    seen += labels(page)
    select_flow(page, "Flow_uji_gagal")
    seen += labels(page)
    return seen


def test_the_modelers_panel_and_palette_speak_english(new_page, live_server):
    page = new_page("owner1")
    to_english(page)
    open_modeler(page, live_server)
    titles = palette_titles(page)
    assert titles["create.start-event"] == "Create start event"
    assert titles["create.task"] == "Create task"
    assert titles["hand-tool"] == "Activate hand tool"

    seen = walk_panel(page)
    for label in (
        "Form schema file",
        "UI schema file",
        "Assignee variable",
        "Time standard",
        "Documentation",
        "Lane name",
        "Requester's lane",
        "Operator",
        "Result variable",
        "Parameters",
        "Duration",
        "Stop the task when the time is up?",
        "No — the task goes on",
        "Condition expression",
        "Flow condition",
    ):
        assert label in seen, (label, seen)
    leaks = [label for label in seen if INDONESIAN.search(label)]
    assert leaks == []
    props = page.locator("#props-body")
    expect(props).to_contain_text("A Python expression over the case's data")

    # The context pad of the selected flow's target: bpmn-js's own words, in English.
    select_shape(page, "Task_3_troubleshooting")
    expect(
        page.locator(".djs-context-pad .entry[data-action='append.end-event']")
    ).to_have_attribute("title", "Append end event")


def test_the_modelers_panel_and_palette_speak_indonesian(new_page, live_server):
    page = new_page("owner1")
    open_modeler(page, live_server)
    titles = palette_titles(page)
    assert titles["create.start-event"] == "Buat peristiwa awal"
    assert titles["create.task"] == "Buat tugas"
    assert titles["hand-tool"] == "Aktifkan alat geser (tangan)"
    leaks = [t for t in titles.values() if ENGLISH.search(t)]
    assert leaks == []

    seen = walk_panel(page)
    for label in (
        "Berkas skema formulir",
        "Berkas skema UI",
        "Variabel pelaksana",
        "Mutu baku waktu",
        "Nama lajur",
        "Lajur pemohon",
        "Operator",
        "Variabel hasil",
        "Parameter",
        "Durasi",
        "Menghentikan tugas saat waktu habis?",
        "Ekspresi kondisi",
        "Kondisi alur",
    ):
        assert label in seen, (label, seen)
    leaks = [label for label in seen if ENGLISH.search(label)]
    assert leaks == []

    select_shape(page, "Task_3_troubleshooting")
    expect(
        page.locator(".djs-context-pad .entry[data-action='append.end-event']")
    ).to_have_attribute("title", "Sambung peristiwa akhir")
    page.locator(".djs-context-pad .entry[data-action='replace']").click()
    menu = page.locator(".djs-popup")
    expect(menu).to_contain_text("Tugas otomatis (layanan)")
    expect(menu).not_to_contain_text("Service task")
