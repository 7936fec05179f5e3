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
)


def catalog() -> dict[str, str]:
    """Each text as the scripts write it, and as the reader reads it."""
    return {text: gettext(text) for text in TEXTS}
