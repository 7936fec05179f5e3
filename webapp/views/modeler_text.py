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
    # The rest of the panel, the forms tab, the SOP document's fields, save and load messages.
    N_("{n} elemen dipilih. Pilih satu elemen untuk melihat propertinya."),
    N_("Klik satu elemen pada diagram untuk melihat dan mengubah propertinya."),
    N_("Nama lajur (peran)"),
    N_("Nama"),
    N_("Lajur tanpa nama tidak dapat dipetakan ke peran mana pun."),
    N_(
        "Peran “{name}” belum terdaftar. Tugas di lajur ini tidak dapat ditugaskan sampai "
        "perannya dibuat (simpan draf, lalu gunakan tombol “Buat peran” pada temuan)."
    ),
    N_("Peran terdaftar: anggota peran ini mengerjakan tugas di lajur ini."),
    N_("Lajur pemohon (hanya pengaju kasus)"),
    N_(
        "Tugas di lajur ini hanya diberikan kepada orang yang mengajukan kasus, bukan kepada "
        "semua anggota peran."
    ),
    N_("(tidak ada)"),
    N_("{name} (berkas tidak ada)"),
    N_("Berkas baru…"),
    N_("Nama berkas baru ({label})"),
    N_("Buat"),
    N_("Buka di tab Formulir"),
    N_("Berkas skema formulir"),
    N_("Berkas skema UI"),
    N_("Variabel pelaksana (candidateUsersVariable)"),
    N_("Opsional: nama variabel berisi daftar pengguna yang boleh mengerjakan tugas ini."),
    N_("Dokumentasi"),
    N_("Uraian langkah untuk petugas dan lembar SOP."),
    N_("— pilih operator —"),
    N_("{name} (tidak terdaftar)"),
    N_("Operator"),
    N_("Layanan terdaftar yang dijalankan langkah ini."),
    N_("Operator “{name}” tidak terdaftar di server."),
    N_("Variabel hasil"),
    N_("Nama variabel tempat hasil layanan disimpan."),
    N_("Parameter"),
    N_("Belum ada parameter."),
    N_("Parameter {n}"),
    N_("Jenis"),
    N_("Nilai (ekspresi)"),
    N_("Hapus"),
    N_("Hapus parameter {name}"),
    N_("Tambah parameter"),
    N_(
        "Format ISO 8601; hari = hari kerja, jam = jam kerja: PT30M = 30 menit, PT2H = 2 jam, "
        "P1D = 1 hari kerja (jam yang sama pada hari kerja berikutnya), P3D = 3 hari kerja, P1W "
        "= 5 hari kerja, P1DT2H = 1 hari kerja lalu 2 jam kerja."
    ),
    N_(
        "Format ISO 8601: PT30M = 30 menit, PT2H = 2 jam, P1D = 1 hari (24 jam), P1DT4H = 1 "
        "hari 4 jam."
    ),
    N_("Tanggal (timeDate)"),
    N_("Siklus (timeCycle)"),
    N_("Hanya durasi yang dapat diubah di sini."),
    N_("Durasi"),
    N_("Ekspresi saat ini: {raw}"),
    N_("Menghentikan tugas saat waktu habis?"),
    N_("Ya — tugas dibatalkan (interrupting)"),
    N_("Tidak — tugas tetap berjalan"),
    N_("Mutu baku biasanya “Tidak”: tugas tetap berjalan dan eskalasi dicatat."),
    N_("Isi durasi, mis. PT2H."),
    N_("Durasi tidak sah: “{iso}”. Gunakan format ISO 8601, mis. PT2H atau PT30M."),
    N_("Ini alur bawaan gerbang “{name}”: diambil bila tidak ada kondisi lain yang terpenuhi."),
    N_("Ekspresi kondisi"),
    N_('Ekspresi Python atas data kasus, mis. hasil_uji == "gagal".'),
    N_("Timer “{name}”"),
    N_("eskalasi “{name}”"),
    N_("belum ada eskalasi"),
    N_("akhir “{name}”"),
    N_("Isi nama berkas."),
    N_(
        "Nama berkas harus berakhiran .schema.json atau .uischema.json dan hanya memuat huruf, "
        "angka, _ . -"
    ),
    N_("Nama berkas harus berakhiran {suffix}."),
    N_("Belum ada berkas formulir."),
    N_("skema JSON"),
    N_("skema UI"),
    N_("Perbaiki JSON di editor; pratinjau menampilkan versi terakhir yang sah."),
    N_("Pratinjau gagal (HTTP {status})."),
    N_("Tidak dapat menghubungi server untuk pratinjau."),
    N_("Berkas “{name}” sudah ada."),
    N_("Instansi"),
    N_("Nama instansi seperti kepala SOP, satu baris per baris cetak."),
    N_("Nomor SOP"),
    N_("Nomor SOP persis seperti dokumen yang disahkan."),
    N_("Tanggal Pembuatan"),
    N_("Tanggal Revisi"),
    N_("Kosongkan bila SOP belum pernah direvisi."),
    N_("Tanggal Berlaku"),
    N_("Tanggal efektif SOP."),
    N_("Disahkan oleh"),
    N_("Jabatan, nama, pangkat, NIP; satu baris per baris cetak."),
    N_("Dasar Hukum"),
    N_("Satu butir per baris."),
    N_("Kualifikasi Pelaksana"),
    N_("Keterkaitan"),
    N_("SOP lain yang terkait, satu per baris."),
    N_("Peralatan/Perlengkapan"),
    N_("Peringatan"),
    N_("Pencatatan dan Pendataan"),
    N_("Dokumen SOP"),
    N_("Kepala tabel SOP: dicetak pada lembar SOP dan pada dokumen yang dihasilkan SOP ini."),
    N_("Tanggal tidak sah; pilih tanggal pada kalender."),
    N_("Nilai saat ini “{value}” bukan tanggal YYYY-MM-DD; pilih tanggalnya lagi."),
    N_(
        "Sesi atau token formulir kedaluwarsa. Unduh .bpmn agar pekerjaan Anda aman, lalu muat "
        "ulang halaman."
    ),
    N_("Server menjawab HTTP {status}."),
    N_("Draf tidak tersimpan. {why}"),
    N_(
        "Draf tidak tersimpan: tidak dapat menghubungi server ({why}). Perubahan Anda masih ada "
        "di halaman ini."
    ),
    N_("Tidak dapat mengekspor diagram: {why}"),
    N_("Perubahan yang belum disimpan akan diganti oleh berkas “{name}”. Lanjutkan?"),
    N_("Berkas “{name}” dimuat. Periksa lalu simpan sebagai draf."),
    N_("Berkas “{name}” tidak dapat dibaca sebagai diagram BPMN: {why}"),
    N_("Berkas “{name}” tidak dapat dibaca."),
    N_("Diagram tidak dapat dimuat: {why}"),
    N_("JSON tidak sah (baris {line}, kolom {col}): {why}"),
    N_("JSON tidak sah: {why}"),
)


def catalog() -> dict[str, str]:
    """Each text as the scripts write it, and as the reader reads it."""
    return {text: gettext(text) for text in TEXTS}
