"""Importing an SOP pasted as text or HTML: the seed's text export, and HTML tables with marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.engine.sop_import import ImportRefused, read_document
from webapp.engine.sop_import.table import table_errors

SEED = Path(__file__).resolve().parents[1] / "data" / "seed" / "000_aaf86235defc21c3.txt"


@pytest.fixture(scope="module")
def seed_table():
    return read_document(SEED.name, SEED.read_bytes())


def test_the_seed_reads_into_a_sound_table(seed_table):
    assert table_errors(seed_table) == []
    assert seed_table["name"] == "Pemeliharaan Sistem Informasi"
    assert seed_table["process_id"] == "pemeliharaan_sistem_informasi"
    assert seed_table["findings"] == []


def test_the_seed_header_is_written_as_the_first_sop_keeps_it(seed_table):
    header = seed_table["header"]
    assert header["sopInstansi"] == (
        "PEMERINTAH PROVINSI JAWA BARAT\n"
        "DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU PROVINSI JAWA BARAT"
    )
    assert header["sopNomor"] == "62/ 1671 / DATIN /2023"
    assert header["sopTanggalPembuatan"] == "2023-06-27"
    assert header["sopTanggalRevisi"] == ""
    assert header["sopTanggalBerlaku"] == "2023-06-27"
    assert header["sopDisahkan"].splitlines() == [
        "Ditandatangani secara elektronik oleh :",
        "KEPALA DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU",
        "NINING YULIASTIANI, S.T., M.Sc.",
        "Pembina Utama Muda",
    ]
    assert header["sopDasarHukum"].splitlines()[0] == (
        "Undang-undang Nomor 11 thn 2008 Tentang Informasi dan Transaksi Elektronik"
    )
    assert len(header["sopDasarHukum"].splitlines()) == 6
    assert header["sopPeralatan"] == "Server\nKomputer\nsmartphone\nPrinter"
    assert header["sopKeterkaitan"] == "SOP Pelayanan perizinan"
    assert header["sopPencatatan"] == "Disimpan sebagai data fisik dan elektronik"


def test_the_seed_rows_keep_their_words_and_time_standards(seed_table):
    # The lanes as a role can carry them: "Unit Kerja/ Koordinator" loses its blank.
    assert seed_table["lanes"] == ["Unit Kerja/Koordinator", "Tim", "Ketua Tim"]
    rows = seed_table["rows"]
    assert [r["no"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["duration"] for r in rows] == ["PT10M", "PT30M", "PT2H", "PT1H", "PT30M"]
    assert rows[1]["uraian"] == (
        "- Menerima dan menganalisa permasalahan\n- Meneruskan ke Tim untuk di troubleshooting"
    )
    assert rows[4]["output"] == "Laporan Hasil perbaikan"
    assert rows[0]["kelengkapan"] == "Web dan Aplikasi DPMPSTP"


def test_the_seed_has_no_marks_so_every_lane_is_asked(seed_table):
    # "Meneruskan ke Tim" names the Tim as whom the work goes to, not who does row 2.
    for row in seed_table["rows"]:
        assert row["lane"] is None
        assert row["uncertain"] == [
            {"field": "lane", "code": "import-lane-asked", "params": {"row": row["no"]}}
        ]
        assert row["kind"] == "task"


def _tr(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


HTML = "\n".join(
    [
        "<html><body><table>",
        '<tr><td rowspan="2">PEMERINTAH KOTA CONTOH DINAS PERIZINAN</td>'
        "<td>Nomor SOP</td><td>12/SOP/2024</td></tr>",
        _tr("Tanggal Pembuatan", "3 Januari 2024"),
        _tr("", "Nama SOP", "Penerbitan Izin Contoh"),
        "</table>",
        "<h2>Penerbitan Izin Contoh</h2>",
        "<table>",
        '<tr><th rowspan="2">No</th><th rowspan="2">Uraian Kegiatan</th>'
        '<th colspan="3">Pelaksana</th><th colspan="3">Mutu Baku</th>'
        '<th rowspan="2">Keterangan</th></tr>',
        "<tr><th>Pemohon</th><th>Front Office</th><th>Kepala Seksi</th>"
        "<th>Persyaratan</th><th>Waktu</th><th>Output</th></tr>",
        _tr("1", "Mengajukan permohonan", "√", "", "", "Formulir", "15'", "Berkas", ""),
        _tr(
            "2.",
            "Front Office memeriksa kelengkapan berkas",
            *("", "", ""),
            *("Berkas", "30 menit", "Tanda terima"),
            "Jika tidak lengkap, berkas dikembalikan kepada pemohon dan proses selesai",
        ),
        _tr("3", "Menyusun draf izin", "", "X", "", "Berkas", "1 x 24 jam", "Draf", ""),
        _tr(
            "4",
            "Memeriksa draf",
            *("", "", "•"),
            *("Draf", "2 jam", "Draf terparaf"),
            "Jika ada perbaikan kembali ke langkah 3",
        ),
        _tr(
            "5",
            "Apakah izin disetujui?",
            *("", "", "v"),
            *("Draf terparaf", "3 hari kerja", "Keputusan"),
            "Ya: lanjut ke langkah 6; Tidak: proses selesai",
        ),
        _tr(
            "6",
            "Menyerahkan izin oleh Front Office",
            *("", "", ""),
            *("Izin", "1 hari", "Izin diterima"),
            "",
        ),
        "</table></body></html>",
    ]
)


@pytest.fixture(scope="module")
def html_table():
    return read_document("sop.html", HTML.encode())


def test_html_tables_read_with_their_spans(html_table):
    assert table_errors(html_table) == []
    assert html_table["name"] == "Penerbitan Izin Contoh"
    assert html_table["header"]["sopNomor"] == "12/SOP/2024"
    assert html_table["header"]["sopTanggalPembuatan"] == "2024-01-03"
    assert html_table["header"]["sopInstansi"] == "PEMERINTAH KOTA CONTOH\nDINAS PERIZINAN"
    assert html_table["lanes"] == ["Pemohon", "Front Office", "Kepala Seksi"]


def test_lanes_come_from_marks_then_from_the_uraian(html_table):
    rows = {r["no"]: r for r in html_table["rows"]}
    assert rows[1]["lane"] == "Pemohon" and "uncertain" not in rows[1]
    assert rows[3]["lane"] == "Front Office"
    assert rows[4]["lane"] == "Kepala Seksi"
    assert rows[5]["lane"] == "Kepala Seksi"
    # No mark: the actor the Uraian opens with, or names after "oleh"; said to be a guess.
    assert rows[2]["lane"] == "Front Office"
    assert rows[2]["uncertain"] == [
        {
            "field": "lane",
            "code": "import-lane-from-uraian",
            "params": {"row": 2, "lane": "Front Office"},
        }
    ]
    assert rows[6]["lane"] == "Front Office"


def test_time_words_become_iso_durations(html_table):
    rows = {r["no"]: r for r in html_table["rows"]}
    assert [rows[n]["duration"] for n in range(1, 7)] == [
        "PT15M", "PT30M", "P1D", "PT2H", "P3D", "P1D"
    ]  # fmt: skip


def test_decisions_and_loop_backs_come_from_the_keterangan(html_table):
    rows = {r["no"]: r for r in html_table["rows"]}
    # An early exit: the other answer goes on to the next row.
    assert rows[2]["kind"] == "decision"
    assert rows[2]["branches"] == [
        {"label": "lengkap", "target": 3},
        {"label": "tidak lengkap", "target": "end"},
    ]
    # A loop back to an earlier step.
    assert rows[4]["kind"] == "decision"
    assert {"label": "ada perbaikan", "target": 3} in rows[4]["branches"]
    assert {"label": "tidak ada perbaikan", "target": 5} in rows[4]["branches"]
    # A question with its answers written "Ya: …; Tidak: …".
    assert rows[5]["kind"] == "decision"
    assert rows[5]["branches"] == [
        {"label": "ya", "target": 6},
        {"label": "tidak", "target": "end"},
    ]
    assert rows[1]["kind"] == rows[3]["kind"] == rows[6]["kind"] == "task"


def test_a_question_without_written_answers_is_a_guessed_decision():
    text = (
        "No\tUraian\tPetugas\tKepala\tWaktu\n"
        "1\tMenerima berkas\t√\t\t10 menit\n"
        "2\tApakah berkas lengkap?\t√\t\t5'\n"
        "3\tMenandatangani\t\t√\t1 jam\n"
    )
    table = read_document("sop.txt", text.encode())
    decision = table["rows"][1]
    assert decision["kind"] == "decision"
    assert decision["branches"] == [
        {"label": "ya", "target": 3},
        {"label": "tidak", "target": "end"},
    ]
    assert decision["uncertain"] == [
        {"field": "branches", "code": "import-branches-guessed", "params": {"row": 2}}
    ]


def test_mulai_and_selesai_rows_are_the_start_and_end_events():
    text = (
        "No\tUraian\tPetugas\tWaktu\n"
        "1\tMulai\t\t\n"
        "2\tMenerima berkas\t√\t10 menit\n"
        "3\tSelesai\t\t\n"
    )
    table = read_document("sop.txt", text.encode())
    assert [r["no"] for r in table["rows"]] == [2]


def test_unreadable_waktu_is_asked_not_guessed():
    text = "No\tUraian\tPetugas\tWaktu\n1\tMenerima berkas\t√\tsegera\n2\tMemeriksa\t√\t1-2 hari\n"
    rows = read_document("sop.txt", text.encode())["rows"]
    assert rows[0]["duration"] is None
    assert rows[0]["uncertain"] == [
        {"field": "waktu", "code": "import-waktu-unread", "params": {"row": 1, "waktu": "segera"}}
    ]
    assert rows[1]["duration"] == "P2D"
    assert rows[1]["uncertain"][0]["code"] == "import-waktu-range"


def test_text_that_is_not_an_sop_table_is_refused():
    with pytest.raises(ImportRefused) as refused:
        read_document("notes.txt", b"Rapat koordinasi hari Senin\npukul 09.00\n")
    assert refused.value.code == "import-not-sop-table"


def test_a_table_without_pelaksana_columns_is_refused():
    with pytest.raises(ImportRefused) as refused:
        read_document("x.txt", b"No\tUraian\tWaktu\n1\tMenerima\t10 menit\n")
    assert refused.value.code == "import-no-lanes"


def test_a_row_lost_between_pages_is_a_finding_not_silence():
    text = "No\tUraian\tPetugas\n1\tMenerima\t√\n2\tMemeriksa\t√\n4\tMenyerahkan\t√\n"
    table = read_document("sop.txt", text.encode())
    assert table["findings"] == [{"code": "import-row-missing", "params": {"after": 2, "next": 4}}]


def test_a_row_whose_number_cannot_be_read_is_a_finding():
    text = "No\tUraian\tPetugas\n1\tMenerima\t√\nII\tMemeriksa\t√\n"
    table = read_document("sop.txt", text.encode())
    assert [r["no"] for r in table["rows"]] == [1]
    assert table["findings"] == [
        {"code": "import-row-unread", "params": {"text": "II Memeriksa √"}}
    ]


@pytest.mark.parametrize(
    ("keterangan", "branches", "guessed"),
    [
        (
            "Tidak lengkap dikembalikan ke pemohon",
            [{"label": "lengkap", "target": 3}, {"label": "tidak lengkap", "target": "end"}],
            False,
        ),
        (
            "tidak sesuai kembali ke langkah 1",
            [{"label": "sesuai", "target": 3}, {"label": "tidak sesuai", "target": 1}],
            False,
        ),
        ("Ya/Tidak", [{"label": "ya", "target": 3}, {"label": "tidak", "target": "end"}], True),
    ],
)
def test_decisions_written_without_jika(keterangan, branches, guessed):
    text = (
        "No\tUraian\tPetugas\tKeterangan\n"
        "1\tMenerima berkas\t√\t\n"
        f"2\tMemeriksa berkas\t√\t{keterangan}\n"
        "3\tMenyerahkan izin\t√\t\n"
    )
    row = read_document("sop.txt", text.encode())["rows"][1]
    assert row["kind"] == "decision"
    assert row["branches"] == branches
    assert ("uncertain" in row) is guessed


def test_labels_with_their_values_in_one_cell_and_a_unit_in_the_waktu_heading():
    text = (
        "PEMERINTAH KOTA CONTOH DINAS PERIZINAN\tNomor SOP : 7/SOP/2024\n"
        "\tTanggal Pembuatan: 5 Mei 2024\n"
        "No\tUraian\tPetugas\tWaktu (menit)\n"
        "1\tMenerima berkas\t√\t15\n"
        "2\tMemeriksa berkas\t√\t1 jam\n"
    )
    table = read_document("sop.txt", text.encode())
    assert table["header"]["sopNomor"] == "7/SOP/2024"
    assert table["header"]["sopInstansi"] == "PEMERINTAH KOTA CONTOH\nDINAS PERIZINAN"
    assert table["header"]["sopTanggalPembuatan"] == "2024-05-05"
    assert [(r["waktu"], r["duration"]) for r in table["rows"]] == [
        ("15 menit", "PT15M"),
        ("1 jam", "PT1H"),
    ]


def test_a_row_that_ends_the_process_midway_is_an_end_row():
    text = (
        "No\tUraian\tPetugas\tKepala\tKeterangan\n"
        "1\tMenerima berkas\t√\t\t\n"
        "2\tApakah berkas lengkap?\t√\t\tTidak: ke langkah 3; Ya: ke langkah 4\n"
        "3\tMengembalikan berkas kepada pemohon, proses selesai\t√\t\t\n"
        "4\tMenerbitkan izin\t\t√\t\n"
    )
    rows = read_document("sop.txt", text.encode())["rows"]
    assert [r["kind"] for r in rows] == ["task", "decision", "end", "task"]
    assert rows[1]["branches"] == [{"label": "tidak", "target": 3}, {"label": "ya", "target": 4}]


def test_flows_the_table_cannot_hold_are_findings():
    text = (
        "No\tUraian\tPetugas\tKeterangan\n"
        "1\tMenerima berkas\t√\t\n"
        "2\tMemeriksa berkas\t√\tJika gagal kembali ke langkah 9\n"
        "3\tMemperbaiki berkas\t√\tKembali ke langkah 2\n"
        "4\tMenyerahkan izin\t√\t\n"
    )
    table = read_document("sop.txt", text.encode())
    assert table["findings"] == [
        {"code": "import-flow-unread", "row": 2, "params": {"row": 2, "text": "gagal: langkah 9"}},
        {
            "code": "import-flow-unread",
            "row": 3,
            "params": {"row": 3, "text": "Kembali ke langkah 2"},
        },
    ]
