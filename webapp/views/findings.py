"""The words of lint findings: each code (and case) is a catalog template with named placeholders.

The engine returns a code with JSON-able parameters; the reader's language is chosen here, at
render time. Findings stored before codes had parameters carry their Indonesian ``message``,
which is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_babel.speaklater import LazyString

from ..services import sla

_TIMER_EXAMPLE = {
    "timeDuration": _l('"PT2H" (2 jam) atau "P1D" (1 hari)'),
    "timeDate": _l('"2026-12-01T08:00:00+07:00"'),
    "timeCycle": _l('"R3/PT1H" (3 kali setiap jam)'),
}
# Under the working-hours calendar a duration's days are working days and its hours working time.
_WORKING_DURATION_EXAMPLE = _l(
    '"PT2H" (2 jam kerja) atau "P1D" (1 hari kerja: jam yang sama pada hari kerja berikutnya)'
)
_TIMER_WHAT = {"timeDuration": _l("durasi"), "timeDate": _l("tanggal"), "timeCycle": _l("siklus")}
_SOP_FIELD = {
    "sopKelengkapan": _l("kelengkapan"),
    "sopWaktu": _l("waktu"),
    "sopProduk": _l("produk"),
}

# One sentence for several cases; the word that differs is chosen in _derived.
_FORM_NOT_FOUND = _l(
    "Tugas “%(label)s” merujuk berkas %(form_kind)s “%(file)s”, tetapi berkas itu tidak "
    "diunggah. Unggah berkas tersebut atau perbaiki namanya."
)
_FORM_NOT_JSON = _l(
    "%(form_title)s “%(file)s” bukan JSON yang sah (%(detail)s). Perbaiki berkas atau unggah "
    "ulang hasil ekspor pembuat formulir."
)
_SCRIPT_REFUSED = _l(
    "%(script)s pada “%(label)s” ditolak: %(detail)s. Perbaiki skrip; impor, atribut berawalan "
    "garis bawah, dan perulangan while tidak diizinkan."
)

# (code, case) -> template; the case tells apart the wordings of one code.
_TEMPLATES: dict[tuple[str, str], LazyString] = {
    ("timer-normalized", ""): _l(
        "Ekspresi timer “%(label)s” ditulis %(from)s (format Camunda Modeler) dan telah diubah "
        "menjadi %(to)s agar dapat dievaluasi. Periksa hasilnya lalu simpan draf."
    ),
    ("xml-invalid", ""): _l(
        "Berkas tidak dapat dibaca sebagai XML yang aman (%(detail)s). Ekspor ulang diagram dari "
        "Camunda Modeler sebagai .bpmn (tanpa DTD/entitas, maksimal 5 MB) lalu unggah lagi."
    ),
    ("bpmn-invalid", "not-bpmn"): _l(
        "Berkas ini XML tetapi bukan diagram BPMN 2.0 (elemen akarnya “%(tag)s”, seharusnya "
        "bpmn:definitions). Unggah berkas .bpmn yang diekspor dari Camunda Modeler."
    ),
    ("bpmn-invalid", "spiff"): _l(
        "Diagram tidak lolos validasi BPMN/SpiffWorkflow pada “%(where)s”: %(detail)s. Perbaiki "
        "elemen tersebut di Camunda Modeler lalu unggah ulang."
    ),
    ("bpmn-invalid", "spiff-file"): _l(
        "Diagram tidak lolos validasi BPMN/SpiffWorkflow: %(detail)s. Perbaiki elemen tersebut "
        "di Camunda Modeler lalu unggah ulang."
    ),
    ("bpmn-invalid", "unreadable"): _l(
        "Diagram tidak dapat dibaca (%(detail)s). Periksa diagram di Camunda Modeler lalu unggah "
        "ulang."
    ),
    ("lint-failed", ""): _l(
        "Diagram tidak dapat diperiksa (%(detail)s). Periksa diagram di Camunda Modeler lalu "
        "unggah ulang."
    ),
    ("no-executable-process", "not-executable"): _l(
        "Proses “%(label)s” tidak ditandai dapat dijalankan. Centang “Executable” pada proses di "
        "Camunda Modeler."
    ),
    ("no-executable-process", "none"): _l(
        "Diagram tidak memuat proses yang dapat dijalankan. Pilih proses di Camunda Modeler lalu "
        "centang “Executable”."
    ),
    ("process-not-found", ""): _l(
        "Diagram tidak memuat proses dengan id “%(process_id)s”. Ubah id proses (Process ID) di "
        "Camunda Modeler menjadi “%(process_id)s”."
    ),
    ("reserved-id", ""): _l(
        "Elemen “%(label)s” memakai id “%(id)s”, yang dicadangkan oleh mesin alur kerja. Ganti "
        "id elemen (misalnya “%(id)sEvent_1”)."
    ),
    ("unknown-extension", ""): _l(
        "Tag ekstensi “%(tag)s” pada “%(label)s” tidak dikenal (salah ketik atau namespace "
        "keliru) sehingga isinya diabaikan. Perbaiki nama tag, misalnya spiffworkflow:properties "
        "atau spiffworkflow:serviceTaskOperator."
    ),
    ("task-no-name", ""): _l(
        "Tugas “%(id)s” tidak bernama, sehingga petugas dan lembar SOP hanya melihat id-nya. "
        "Beri nama tugas sesuai uraian langkahnya."
    ),
    ("not-connected", ""): _l(
        "“%(label)s” tidak terhubung dengan alur mana pun, sehingga tidak pernah dijalankan. "
        "Hubungkan dengan alur masuk dan keluar, atau hapus elemen itu."
    ),
    ("unreachable", ""): _l(
        "“%(label)s” tidak dapat dicapai dari peristiwa awal mana pun, sehingga tidak pernah "
        "dijalankan. Tambahkan alur menuju elemen itu dari langkah sebelumnya, atau hapus."
    ),
    ("task-no-lane", ""): _l(
        "Tugas “%(label)s” tidak berada di lane mana pun. Seret tugas ke dalam lane pelaksananya."
    ),
    ("lane-no-role", "unnamed"): _l(
        "Lane “%(id)s” tidak bernama, sehingga tugasnya tidak dapat diberikan kepada peran mana "
        "pun. Beri nama lane sesuai peran pelaksananya."
    ),
    ("lane-no-role", "unknown"): _l(
        "Lane “%(lane)s” tidak sesuai dengan peran mana pun. Buat peran “%(lane)s” atau ganti "
        "nama lane menjadi peran yang sudah ada."
    ),
    ("timer-invalid", "no-definition"): _l(
        "Timer “%(label)s” tidak memiliki durasi, tanggal, atau siklus. Isi “Timer definition”, "
        "misalnya %(example)s."
    ),
    ("timer-invalid", "empty"): _l(
        "Timer “%(label)s” kosong. Isi ekspresi timer, misalnya %(example)s."
    ),
    ("timer-invalid", "unevaluable"): _l(
        "Ekspresi timer “%(label)s” (%(expression)s) tidak dapat dievaluasi: %(detail)s. Tulis "
        "nilai ISO-8601 di antara tanda kutip, misalnya %(example)s."
    ),
    ("timer-invalid", "not-iso"): _l(
        "Timer “%(label)s” bernilai %(value)s, yang bukan %(what)s ISO-8601 yang sah "
        "(%(detail)s). Gunakan misalnya %(example)s."
    ),
    ("timer-unquoted", ""): _l(
        "Timer “%(label)s” ditulis %(expression)s tanpa tanda kutip (format Camunda Modeler); "
        'mesin alur kerja membutuhkan "%(expression)s". Jalankan normalisasi timer atau tulis '
        "nilainya di antara tanda kutip."
    ),
    ("timer-interrupting", ""): _l(
        "Timer “%(label)s” membatalkan tugas “%(task)s” saat waktunya habis. Mutu baku waktu SOP "
        "seharusnya hanya mencatat keterlambatan: ubah timer menjadi non-interrupting "
        "(hilangkan centang “Interrupting”)."
    ),
    ("operator-missing", ""): _l(
        "Tugas layanan “%(label)s” tidak memiliki operator. Pilih operator layanan pada tugas ini "
        "(tersedia: %(known)s) atau ubah menjadi tugas pengguna."
    ),
    ("operator-unknown", ""): _l(
        "Tugas layanan “%(label)s” memakai operator “%(operator)s” yang tidak tersedia di server. "
        "Pilih salah satu operator: %(known)s."
    ),
    ("parameter-undeclared", ""): _l(
        "Tugas layanan “%(label)s” memberi parameter “%(parameter)s” yang tidak dideklarasikan "
        "oleh operator “%(operator)s” (parameter yang diizinkan: %(allowed)s). Hapus parameter "
        "itu; skrip, berkas konfigurasi, host, path dan perintah hanya diatur oleh administrator."
    ),
    ("parameter-type", ""): _l(
        "Parameter “%(parameter)s” pada tugas layanan “%(label)s” bernilai %(value)s, padahal "
        "operator “%(operator)s” memerlukan %(type)s. Ubah nilainya."
    ),
    ("parameter-missing", ""): _l(
        "Tugas layanan “%(label)s” tidak mengisi parameter wajib “%(parameter)s”%(hint)s untuk "
        "operator “%(operator)s”. Tambahkan parameter itu pada tugas."
    ),
    ("form-missing-ref", ""): _l(
        "Tugas “%(label)s” tidak merujuk berkas formulir, sehingga pelaksana hanya dapat menekan "
        "“Selesai”. Isi properti formJsonSchemaFilename dengan nama berkas formulir JSON."
    ),
    ("form-not-found", "form"): _FORM_NOT_FOUND,
    ("form-not-found", "ui"): _FORM_NOT_FOUND,
    ("form-invalid", "json"): _FORM_NOT_JSON,
    ("form-invalid", "json-ui"): _FORM_NOT_JSON,
    ("form-invalid", "object"): _FORM_NOT_JSON,
    ("form-invalid", "object-ui"): _FORM_NOT_JSON,
    ("form-invalid", "schema"): _l(
        "Formulir “%(file)s” bukan JSON Schema (Draft 2020-12) yang sah di %(path)s: "
        "%(detail)s. Perbaiki bagian tersebut pada berkas formulir."
    ),
    ("form-invalid", "unchecked"): _l(
        "Formulir “%(file)s” tidak dapat diperiksa (%(detail)s). Perbaiki berkas formulir."
    ),
    ("form-too-deep", ""): _l(
        "Formulir “%(file)s” menyatakan isian bersarang lebih dari %(depth)s tingkat (objek "
        "dalam objek atau daftar), padahal kiriman paling dalam %(depth)s tingkat. Sederhanakan "
        "struktur formulir."
    ),
    ("form-pattern", ""): _l(
        "Pola isian “%(pattern)s” di %(path)s pada formulir “%(file)s” tidak dapat dicocokkan "
        "dalam waktu linear (%(detail)s). Rujukan balik (\\1) dan lookahead/lookbehind tidak "
        "didukung; tulis ulang polanya tanpa itu."
    ),
    ("form-unsupported", ""): _l(
        "Tugas “%(label)s”: isian “%(property)s” pada formulir “%(file)s” tidak dapat ditampilkan "
        "oleh formulir tugas (yang didukung: teks, angka, ya/tidak, tanggal, surel, pilihan, "
        "daftar pilihan, dan berkas). Ubah isian itu menjadi salah satu jenis tersebut."
    ),
    ("gateway-condition", "one"): _l(
        "Gerbang “%(label)s” memiliki alur keluar tanpa kondisi yang bukan alur bawaan: %(ids)s. "
        "Tambahkan kondisi pada alur %(ids)s atau jadikan alur itu alur bawaan (default) gerbang."
    ),
    ("gateway-condition", "many"): _l(
        "Gerbang “%(label)s” memiliki alur keluar tanpa kondisi yang bukan alur bawaan: %(ids)s. "
        "Tambahkan kondisi pada setiap alur tersebut; paling banyak satu alur boleh tanpa "
        "kondisi, dan alur itu harus menjadi alur bawaan (default)."
    ),
    ("expression-invalid", "condition"): _l(
        "Kondisi alur “%(label)s” (%(expression)s) tidak sah: %(detail)s. Tulis kondisi Python "
        'sederhana, misalnya hasil_uji == "gagal".'
    ),
    ("expression-invalid", "script"): _SCRIPT_REFUSED,
    ("expression-invalid", "pre-script"): _SCRIPT_REFUSED,
    ("expression-invalid", "post-script"): _SCRIPT_REFUSED,
    ("expression-invalid", "parameter-empty"): _l(
        "Parameter “%(parameter)s” pada tugas layanan “%(label)s” kosong. Isi dengan ekspresi, "
        'misalnya nama variabel atau "teks".'
    ),
    ("expression-invalid", "parameter"): _l(
        "Parameter “%(parameter)s” pada tugas layanan “%(label)s” (%(expression)s) bukan "
        'ekspresi yang sah: %(detail)s. Tulis teks di antara tanda kutip ("teks") atau nama '
        "variabel."
    ),
    ("sop-data-missing", ""): _l(
        "Tugas “%(label)s” belum memiliki data tabel SOP: %(fields)s. Isi properti tersebut agar "
        "lembar SOP lengkap."
    ),
    ("sop-document-missing", ""): _l(
        "Proses “%(label)s” belum memuat %(fields)s: kepala lembar SOP akan kosong di sana. "
        "Isi di panel properti (klik latar diagram) sebagai properti proses."
    ),
    ("no-time-standard", ""): _l(
        "Tugas “%(label)s” tidak memiliki mutu baku waktu. Tempelkan timer batas "
        '(non-interrupting) pada tugas, misalnya "PT2H" untuk 2 jam.'
    ),
    ("step-no-time-standard", ""): _l(
        "Langkah %(nomor)s “%(label)s” tidak memiliki mutu baku waktu, sehingga kolom Waktu pada "
        "lembar SOP akan kosong. Isi “Mutu baku waktu” pada panel properti, misalnya PT2H untuk "
        "2 jam."
    ),
    ("step-no-time-standard", "written"): _l(
        "Langkah %(nomor)s “%(label)s” hanya bertuliskan waktu “%(written)s”: tidak ada timer yang "
        "mengawasinya, sehingga lembar SOP tidak lengkap untuk pelampauan mutu baku. Isi “Mutu "
        "baku waktu” pada panel properti, misalnya PT2H untuk 2 jam."
    ),
    ("step-not-numbered", ""): _l(
        "Tugas “%(label)s” tidak memiliki nomor langkah (sopNomor), sehingga tidak akan tercantum "
        "pada lembar SOP. Isi “Nomor langkah” pada panel properti."
    ),
    ("step-not-numbered", "none-numbered"): _l(
        "Tugas “%(label)s” tidak memiliki nomor langkah (sopNomor); karena tidak ada langkah yang "
        "bernomor, lembar SOP mengurutkan langkah menurut alur dan bisa keliru. Isi “Nomor "
        "langkah” pada setiap langkah."
    ),
    # What an imported SOP table could not express (webapp/engine/sop_import/plan.py).
    ("import-date-unread", ""): _l(
        "%(name)s “%(value)s” dari dokumen bukan tanggal YYYY-MM-DD; disimpan apa adanya. Ubah "
        "menjadi tanggal (misalnya 2023-06-27) pada properti proses."
    ),
    ("import-lane-assumed", ""): _l(
        "Langkah %(row)s tidak bertanda pelaksana; ditempatkan di lane “%(lane)s” (lane langkah "
        "sebelumnya). Periksa pelaksananya dan pindahkan bila perlu."
    ),
    ("import-lane-empty", ""): _l(
        "Lane “%(lane)s” dari kolom Pelaksana tidak memiliki langkah. Hapus lane itu atau "
        "pindahkan langkah yang dilakukannya ke sana."
    ),
    ("import-service-operator", ""): _l(
        "Langkah %(row)s dikerjakan sistem (tugas layanan) tetapi belum memiliki operator. Pilih "
        "operator layanan pada langkah ini di modeler atau ubah menjadi tugas pengguna."
    ),
    ("import-branch-repeated", ""): _l(
        "Keputusan langkah %(row)s memiliki dua cabang berlabel “%(label)s”; yang kedua diberi "
        "nomor. Beri setiap cabang label yang berbeda."
    ),
    ("import-duration-invalid", ""): _l(
        "Waktu langkah %(row)s “%(value)s” bukan durasi ISO-8601 yang dapat dijalankan; langkah "
        "ini belum memiliki timer mutu baku. Isi mutu baku waktu, misalnya PT2H untuk 2 jam."
    ),
    ("import-waktu-unread", ""): _l(
        "Waktu langkah %(row)s “%(waktu)s” tidak terbaca sebagai lama waktu; disimpan sebagai teks "
        "tanpa timer mutu baku. Isi mutu baku waktu, misalnya PT2H untuk 2 jam."
    ),
    ("import-end-row-data", ""): _l(
        "Langkah %(row)s mengakhiri proses; kelengkapan, waktu, produk dan keterangannya hanya "
        "disimpan sebagai dokumentasi peristiwa akhir. Jadikan tugas sebelum akhir bila perlu."
    ),
    ("import-starter-lane", ""): _l(
        "Lane “%(lane)s” dianggap lane pemohon: langkahnya diberikan kepada orang yang memulai "
        "kasus. Bila lane itu petugas kantor, hapus properti sopStarterLane pada lane tersebut."
    ),
    ("import-row-unreachable", ""): _l(
        "Langkah %(row)s tidak dicapai alur mana pun (tidak ada langkah atau cabang yang menuju "
        "ke sana), sehingga tidak akan pernah dijalankan. Arahkan cabang ke langkah ini atau "
        "hapus langkahnya."
    ),
    # Why a document was refused, and what the reader was unsure of (sop_import readers).
    ("import-too-large", ""): _l(
        "Berkas %(size_mb)s MB lebih besar dari batas %(limit_mb)s MB untuk dokumen SOP. Simpan "
        "ulang dokumen tanpa gambar atau pisahkan tabel SOP-nya, lalu unggah lagi."
    ),
    ("import-empty", ""): _l("Dokumen kosong. Unggah dokumen SOP atau tempel tabelnya."),
    ("import-legacy-office", ""): _l(
        "Berkas .%(extension)s adalah format Office lama atau dokumen yang dilindungi kata "
        "sandi. Buka di Word/Excel, hapus kata sandinya, simpan sebagai .docx atau .xlsx, lalu "
        "unggah lagi."
    ),
    ("import-macro-document", ""): _l(
        "Dokumen .%(extension)s berisi makro (VBA) dan tidak dibuka demi keamanan. Simpan ulang "
        "sebagai dokumen tanpa makro (.docx atau .xlsx), lalu unggah lagi."
    ),
    ("import-damaged", ""): _l(
        "Berkas tidak dapat dibaca sebagai %(format)s: rusak atau bukan %(format)s sungguhan. "
        "Buka dan simpan ulang dokumennya, lalu unggah lagi."
    ),
    ("import-format-unknown", ""): _l(
        "Jenis berkas .%(extension)s tidak dapat diimpor. Unggah DOCX, XLSX, PDF digital, atau "
        "tempel tabel SOP sebagai teks/HTML."
    ),
    ("import-zip-bomb", ""): _l(
        "Isi dokumen akan mengembang melebihi %(limit_mb)s MB saat dibuka (berkas zip yang "
        "dimanipulasi), sehingga ditolak. Simpan ulang dokumen dari Word/Excel, lalu unggah lagi."
    ),
    ("import-pdf-encrypted", ""): _l(
        "PDF ini dikunci dengan kata sandi sehingga isinya tidak dapat dibaca. Unggah PDF tanpa "
        "kata sandi atau dokumen aslinya (DOCX/XLSX)."
    ),
    ("import-pdf-no-text", ""): _l(
        "PDF ini tidak memiliki teks (hasil pindaian/gambar), jadi tabelnya tidak dapat dibaca. "
        "Unggah dokumen aslinya (DOCX/XLSX), PDF yang dicetak dari dokumen, atau tempel tabelnya."
    ),
    ("import-too-many-pages", ""): _l(
        "PDF memiliki %(pages)s halaman; paling banyak %(limit)s. Unggah hanya halaman SOP-nya."
    ),
    ("import-not-sop-table", ""): _l(
        "Tidak ditemukan tabel prosedur SOP (kolom No dan Uraian/Kegiatan, lalu kolom Pelaksana) "
        "dengan langkah bernomor. Periksa bahwa dokumen memuat tabel SOP bentuk Permenpan-RB "
        "35/2012, atau tempel tabelnya."
    ),
    ("import-no-lanes", ""): _l(
        "Tabel SOP tidak memiliki kolom Pelaksana di antara Uraian dan Mutu Baku. Tambahkan satu "
        "kolom untuk setiap pelaksana, lalu impor lagi."
    ),
    ("import-too-many-lanes", ""): _l(
        "Tabel memiliki %(count)s kolom pelaksana; paling banyak %(limit)s. Gabungkan pelaksana "
        "yang sama atau pisahkan SOP-nya."
    ),
    ("import-too-many-rows", ""): _l(
        "Tabel memiliki %(count)s langkah; paling banyak %(limit)s. Pisahkan SOP menjadi beberapa "
        "SOP yang saling terkait."
    ),
    ("import-too-complex", "time"): _l(
        "Membaca dokumen ini memakan waktu terlalu lama dan dihentikan. Simpan ulang dokumen "
        "hanya dengan tabel SOP-nya, lalu unggah lagi."
    ),
    ("import-too-complex", "memory"): _l(
        "Membaca dokumen ini memerlukan memori terlalu besar dan dihentikan. Simpan ulang dokumen "
        "hanya dengan tabel SOP-nya (tanpa gambar besar), lalu unggah lagi."
    ),
    ("import-lane-asked", ""): _l(
        "Pelaksana langkah %(row)s tidak bertanda di kolom Pelaksana dan tidak disebut di "
        "uraiannya. Pilih lane-nya."
    ),
    ("import-lane-from-uraian", ""): _l(
        "Pelaksana langkah %(row)s tidak bertanda; “%(lane)s” diambil dari uraiannya. Periksa "
        "lane-nya."
    ),
    ("import-lane-several", ""): _l(
        "Langkah %(row)s bertanda di beberapa kolom pelaksana (%(lanes)s); yang pertama dipakai. "
        "Pilih lane yang benar."
    ),
    ("import-waktu-range", ""): _l(
        "Waktu langkah %(row)s “%(waktu)s” berupa rentang; batas atasnya dipakai sebagai mutu "
        "baku. Periksa waktunya."
    ),
    ("import-branches-guessed", ""): _l(
        "Langkah %(row)s berupa pertanyaan tetapi cabangnya tidak tertulis; “ya” diteruskan ke "
        "langkah berikutnya dan “tidak” mengakhiri proses. Tentukan tujuan setiap cabang."
    ),
    ("import-kind-service", ""): _l(
        "Langkah %(row)s tampaknya dikerjakan sistem, jadi diusulkan sebagai tugas layanan. "
        "Periksa jenisnya."
    ),
    ("import-uraian-missing", ""): _l(
        "Langkah %(row)s tidak memiliki uraian. Tuliskan uraian kegiatannya."
    ),
    ("import-row-unread", ""): _l(
        "Baris tabel “%(text)s” tidak bernomor langkah yang terbaca dan tidak diimpor. Tambahkan "
        "langkahnya bila baris itu sebuah kegiatan."
    ),
    ("import-row-missing", ""): _l(
        "Sesudah langkah %(after)s, langkah berikutnya yang terbaca adalah %(next)s: ada langkah "
        "yang hilang (misalnya terpotong antarhalaman PDF) atau penomoran tidak urut. Periksa "
        "dokumen dan tambahkan langkah yang hilang."
    ),
    ("import-cell-too-long", ""): _l(
        "Isi %(column)s langkah %(row)s terlalu panjang (%(length)s karakter) dan dipotong. "
        "Ringkas isinya."
    ),
    ("import-flow-unread", ""): _l(
        "Langkah %(row)s menulis alur “%(text)s” yang tidak dapat dinyatakan dalam tabel (hanya "
        "keputusan yang bercabang). Jadikan langkah ini keputusan atau tambahkan alurnya di "
        "modeler."
    ),
}


def _names(values: Any, empty: str) -> str:
    names = [str(v) for v in values or ()]
    return ", ".join(names) if names else empty


def _derived(params: Mapping[str, Any]) -> dict[str, Any]:
    """The placeholders worded here from the engine's parameters (lists, kinds, empty paths)."""
    words: dict[str, Any] = {}
    kind = str(params.get("kind", ""))
    if kind in _TIMER_EXAMPLE:
        working = kind == "timeDuration" and has_app_context() and sla.counts_working_days()
        words["example"] = str(_WORKING_DURATION_EXAMPLE if working else _TIMER_EXAMPLE[kind])
        words["what"] = str(_TIMER_WHAT[kind])
    if "operators" in params:
        words["known"] = _names(params["operators"], _("(belum ada)"))
    if "allowed" in params:
        words["allowed"] = _names(params["allowed"], _("(tidak ada)"))
    if "help" in params:
        words["hint"] = f" ({params['help']})" if params["help"] else ""
    if "flows" in params:
        words["ids"] = _names(params["flows"], "")
    if "missing" in params:
        words["fields"] = ", ".join(
            f"{_SOP_FIELD[p]} ({p})" if p in _SOP_FIELD else str(p) for p in params["missing"]
        )
    if params.get("path") == "":
        words["path"] = _("(akar)")
    words.update(_case_words(str(params.get("case", ""))))
    return words


def _case_words(case: str) -> dict[str, str]:
    """The words that tell apart the cases sharing one sentence."""
    if case in ("script", "pre-script", "post-script"):
        scripts = {
            "script": pgettext("finding", "Skrip"),
            "pre-script": pgettext("finding", "Pra-skrip"),
            "post-script": pgettext("finding", "Pasca-skrip"),
        }
        return {"script": scripts[case]}
    if case not in ("form", "ui", "json", "json-ui", "object", "object-ui"):
        return {}
    ui = case == "ui" or case.endswith("-ui")
    words = {
        "form_kind": pgettext("finding", "UI formulir") if ui else pgettext("finding", "formulir"),
        "form_title": pgettext("finding", "UI formulir") if ui else pgettext("finding", "Formulir"),
    }
    if case.startswith("object"):
        words["detail"] = _("isi berkas harus berupa objek JSON { … }")
    return words


def message(finding: Mapping[str, Any]) -> str:
    """Word one finding (a stored dict) in the request's language."""
    params = finding.get("params")
    if not isinstance(params, Mapping):
        # Stored before findings were codes: the engine's Indonesian words, kept as they were.
        return str(finding.get("message") or finding.get("code") or "")
    template = _TEMPLATES.get((str(finding.get("code")), str(params.get("case", ""))))
    if template is None:
        return str(finding.get("message") or finding.get("code") or "")
    try:
        return str(template) % {**params, **_derived(params)}
    except (KeyError, TypeError, ValueError):
        return str(finding.get("message") or finding.get("code") or "")


def worded(findings: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The findings as dicts with their ``message`` in the request's language."""
    return [{**f, "message": message(f)} for f in findings or ()]
