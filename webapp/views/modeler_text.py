"""The in-browser modeler's own words, for its scripts: Indonesian text -> the reader's language.

The scripts write Indonesian and look each text up in this catalog, which the modeler page
carries as JSON; the entries are here so that the translation catalog knows them.
"""

from __future__ import annotations

from flask_babel import gettext


def N_(text: str) -> str:  # noqa: N802 - the marker name the message extractor knows
    """Mark a text for the translation catalog; it is translated when the page is built."""
    return text


TEXTS = (
    N_("Ada perubahan yang belum disimpan"),
    N_("Semua perubahan tersimpan"),
    N_("Kesalahan"),
    N_("Peringatan"),
    N_("Tampilkan di diagram"),
    N_("Buka formulir"),
    N_("Buat peran “{name}”"),
    N_("Menyimpan draf…"),
    N_("Draf versi {n} tersimpan: {errors} kesalahan, {warnings} peringatan. "),
    N_("Isi sama dengan versi {n}; tidak ada versi baru. "),
    N_("Buka halaman versi {n}"),
    N_("Draf tidak tersimpan: {why}"),
    N_("Tidak ada temuan: diagram siap diterbitkan."),
    # The properties panel.
    N_("Tugas petugas"),
    N_("Tugas otomatis (layanan)"),
    N_("Tugas manual"),
    N_("Tugas skrip"),
    N_("Tugas"),
    N_("Lajur (peran)"),
    N_("Kolam (proses)"),
    N_("Alur"),
    N_("Gerbang eksklusif"),
    N_("Gerbang paralel"),
    N_("Gerbang inklusif"),
    N_("Gerbang berbasis peristiwa"),
    N_("Peristiwa awal"),
    N_("Peristiwa akhir"),
    N_("Peristiwa batas"),
    N_("Peristiwa antara (tunggu)"),
    N_("Peristiwa antara"),
    N_("Subproses"),
    N_("Panggil proses"),
    N_("Anotasi"),
    N_("Objek data"),
    N_("Penyimpanan data"),
    N_("Nomor langkah"),
    N_("Urutan langkah pada lembar SOP, mis. 3."),
    N_("Kelengkapan"),
    N_("Dokumen/bahan yang diperlukan langkah ini."),
    N_("Waktu"),
    N_("Mutu baku waktu seperti tertulis di SOP, mis. 2 jam."),
    N_("Produk"),
    N_("Keluaran langkah ini."),
    N_("Keterangan"),
    N_("Formulir dan pelaksana"),
    N_("Tabel SOP"),
    N_("Layanan otomatis"),
    N_("Timer (mutu baku)"),
    N_("Kondisi alur"),
    N_("Mengikuti Mutu baku waktu di atas."),
    N_(
        "Mutu baku tidak sah: “{text}”. Tulis angka dan satuan, mis. 45 menit, 2 jam, 3 hari "
        "atau 1 jam 30 menit, atau kosongkan untuk menghapus."
    ),
    N_("Belum ada timer mutu baku pada tugas ini."),
    N_("Mutu baku waktu"),
    N_(
        "Mis. 45 menit, 2 jam, 3 hari. Timer batas (tugas tetap berjalan) dan namanya, tugas "
        "eskalasi dan peristiwa akhirnya digambar di bawah tugas, dan kolom Waktu diisi dari "
        "nilai ini; kosongkan untuk menghapus semuanya."
    ),
    N_("Waktu pada lembar SOP: {words}. "),
)


def catalog() -> dict[str, str]:
    """Each text as the scripts write it, and as the reader reads it."""
    return {text: gettext(text) for text in TEXTS}
