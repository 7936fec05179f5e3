"""One language at a time, page by page (issue 14, point 8): every page of the admin, the owner
and the staff, the modeler and the SOP sheet, walked in English and in Indonesian; the
interface's own words (menus, headings, table heads, buttons, labels, notes) hold no word of
the other language, no raw role code and no "imported from processes/"; dates have four-digit
years. The SOP's own data (step names, form fields, the sheet's official table) is left out:
it is Indonesian in both."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.test_one_language import PROCESS, TWO_DIGIT_YEAR, to_english
from tests.browser.test_report_story import finished_after_one_failed_test
from tests.conftest import Actions

pytestmark = pytest.mark.browser

# Indonesian interface words an English page must not show.
INDONESIAN = re.compile(
    r"\b(dan|atau|yang|belum|sudah|tidak|untuk|dengan|dari|pada|simpan|batal|kembali|keluar|"
    r"tugas|kasus|langkah|terlambat|selesai|dasbor|pengguna|unduh|cari|masuk|buka|lihat|peran|"
    r"menit|jam|hari|versi|diterbitkan|draf|oleh|mulai|berjalan|semua|tanggal|pelaksana|"
    r"halaman|catatan|hasil|judul|diajukan|dipegang|batas|waktu|pustaka|kepatuhan|mutu|baku|"
    r"dihasilkan|lembar|berkas|formulir|kata sandi|ubah|tambah|hapus|perbesar|sesuaikan)\b",
    re.IGNORECASE,
)
# English interface words an Indonesian page must not show.
ENGLISH = re.compile(
    r"(?<![/@])\b(the|and|or|not|yet|for|with|from|this|save|cancel|back|sign out|tasks?|"
    r"cases?|steps?|late|done|finished|completed|running|waiting|dashboard|users?|download|search|open|view|"
    r"roles?|minutes?|hours?|days?|version|published|draft|by|start|all|date|page|note|result|"
    r"library|generated|sheet|file|password|edit|add|remove|zoom|fit)\b",
    re.IGNORECASE,
)
ROLE_CODES = re.compile(r"\b(unit_kerja|ketua_tim|process_owner)\b")
# The interface's own text: the menu, headings, table heads, buttons, labels, notes, the
# sheet's source line. Not: table cells, the case's data, the forms built from the SOP's schemas.
INTERFACE = (
    "header nav, header button, footer, main h1, main h2, main th[scope=col], main button, "
    "main summary, main caption, main .stat-label, main legend, main .breadcrumbs, "
    "main p.muted, main p.small, main .help:not([id$=_help]), main .empty, p.source, "
    ".djs-palette .entry, #props-body label, #props-body h3"
)
DATA = re.compile(
    # The SOP's and the case's own words, as they appear inside an interface element.
    r"#\d+ .*|Pemeliharaan Sistem Informasi|Halaman pendaftaran izin tidak dapat dibuka|"
    r"Menyampaikan pesan perbaikan sistem informasi|Unit Kerja/Koordinator|Ketua Tim|"
    r"Sari Anggota Tim|Budi Ketua Tim|Rina Unit Kerja|pemeliharaan_sistem_informasi|"
    r"Melakukan pemecahan masalah sistem sesuai bahasa pemrograman eksisting|Tim\b|"
    # A step's Waktu as the SOP writes it.
    r"\b\d+ (menit|jam|hari|minggu)( kerja)?\b"
)
# The SOP sheet is the office's official document, Indonesian in both languages; only its
# source line (marked with its own lang) follows the reader.
OFFICIAL = "/sop"


def pages(live_app) -> dict[str, list[str]]:
    done = finished_after_one_failed_test(live_app)
    actions = Actions(live_app)
    case = actions.run_to("Task_3_troubleshooting")
    task = actions.open_task(case, "Task_3_troubleshooting").id
    return {
        "admin1": [
            "/admin/dashboard/",
            "/admin/users/",
            "/admin/users/new",
            "/admin/users/roles",
            "/admin/users/1",
            "/admin/cases/",
            "/sla",
            "/notifications",
            "/account/password",
        ],
        "owner1": [
            "/processes/",
            f"/processes/{PROCESS}/",
            f"/processes/{PROCESS}/v/1",
            f"/processes/{PROCESS}/sop",
            f"/processes/{PROCESS}/modeler",
            "/processes/import",
        ],
        "tim1": ["/", "/cases/", f"/cases/{done}", f"/cases/{case}", f"/tasks/{task}"],
        "unit1": ["/start", f"/start/{PROCESS}"],
    }


def interface_text(page: Page) -> list[str]:
    texts = page.locator(INTERFACE).evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('aria-label') && !n.textContent.trim()"
        " ? n.getAttribute('aria-label') : n.textContent)"
    )
    lines = [" ".join(t.split()) for t in texts]
    return [DATA.sub("", line) for line in lines if line]


def leaks(page: Page, words: re.Pattern) -> list[str]:
    found = []
    for line in interface_text(page):
        if (
            words.search(line)
            or ROLE_CODES.search(line)
            or "processes/"
            in line.replace("the processes/ folder", "").replace("folder processes/", "")
        ):
            found.append(line)
    body = page.locator("body").inner_text()
    found += [f"two-digit year: {m}" for m in TWO_DIGIT_YEAR.findall(body)]
    return found


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_page_speaks_one_language(new_page, live_server, live_app, deployment, language):
    found: dict[str, list[str]] = {}
    for user, urls in pages(live_app).items():
        page = new_page(user)
        if language == "en":
            to_english(page)
        for url in urls:
            page.goto(live_server + url)
            page.wait_for_load_state("networkidle")
            lang = page.locator("html").get_attribute("lang")
            if url.endswith(OFFICIAL):
                lang = page.locator("p.source").get_attribute("lang")
            if lang != language:
                found.setdefault(url, []).append(f"<html lang={lang}>")
            wrong = leaks(page, INDONESIAN if language == "en" else ENGLISH)
            if wrong:
                found.setdefault(url, []).extend(wrong)
    assert found == {}, "\n".join(f"{url}: {lines}" for url, lines in found.items())
