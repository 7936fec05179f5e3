"""Shared paths, sample form data and small helpers for the engine tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from webapp.engine.spec import ParsedProcess, parse_process

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
DATA = ROOT / "tests" / "data"

SOP_ID = "pemeliharaan_sistem_informasi"
SOP_DIR = PROCESSES / SOP_ID
SOP_BPMN = SOP_DIR / f"{SOP_ID}.bpmn"
SOP_FORMS = SOP_DIR / "forms"

# Every diagram shipped with the app: processes/<id>/<id>.bpmn (a new one is covered automatically).
DIAGRAMS = sorted(p for p in PROCESSES.glob("*/*.bpmn") if p.stem == p.parent.name)

TASK_1 = "Task_1_pesan_perbaikan"
TASK_2 = "Task_2_analisa"
TASK_3 = "Task_3_troubleshooting"
TASK_4 = "Task_4_uji_implementasi"
TASK_5 = "Task_5_upload_colocation"

LANE_UNIT = "Unit Kerja/Koordinator"
LANE_KETUA = "Ketua Tim"
LANE_TIM = "Tim"

STEP1 = {
    "aplikasi": "perizinan_online",
    "judul": "Halaman pendaftaran izin tidak dapat dibuka",
    "deskripsi": "Sejak pagi halaman pendaftaran menampilkan galat 500.",
    "urgensi": "tinggi",
    "langkah_reproduksi": "1. Buka halaman pendaftaran\n2. Muncul galat 500",
    "kontak": "ext. 1234",
}
STEP2 = {
    "kategori": "bug",
    "prioritas": "p1",
    "analisis": "Galat pada validasi NIB setelah pembaruan pustaka.",
    "arahan_pengembangan": "Perbaiki validasi NIB dan tambahkan uji.",
    "anggota_tim": ["tim1"],
}
STEP3 = {
    "akar_masalah": "Fungsi validasi NIB memakai format lama.",
    "komponen": "app/Http/Controllers/DaftarController.php",
    "bahasa_pemrograman": "laravel",
    "rekomendasi_perbaikan": "Ganti regex validasi NIB ke format 13 digit.",
    "rilis": "v2.4.1",
    "perkiraan_jam": 1.5,
}
STEP4_PASS = {
    "hasil_uji": "berhasil",
    "tanggal_uji": "2026-11-25",
    "catatan_uji": "Semua uji lulus.",
    "lulus_regresi": True,
}
STEP4_FAIL = {
    "hasil_uji": "gagal",
    "tanggal_uji": "2026-11-25",
    "catatan_uji": "Masih galat 500 pada NIB lama.",
    "lulus_regresi": False,
}


@cache
def sop_process() -> ParsedProcess:
    """The SOP parsed once with validation on (a ParsedProcess is shared by its instances)."""
    return parse_process(SOP_BPMN.read_bytes(), SOP_ID)


def data_process(name: str) -> ParsedProcess:
    """A test-only diagram from tests/data/<name>.bpmn, whose process id is <name>."""
    return parse_process((DATA / f"{name}.bpmn").read_bytes(), name)
