"""The English catalog: complete, no guessed (fuzzy) entries, placeholders kept.

The interface is written in Indonesian; English comes from the catalog, and a string missing
there shows up in Indonesian to an English reader. ``make messages`` re-extracts the strings;
these tests fail until every new or changed one has a checked translation.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
CATALOG = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"

# %(name)s, %s, %5.2f …, and the literal %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]")


def _texts(value: str | tuple | list) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _key(message: Message) -> tuple:
    return (message.context, message.id)


def _where(message: Message) -> str:
    places = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{message.id!r} ({places or 'no source reference'})"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with CATALOG.open("rb") as f:
        return read_po(f, locale="en")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """The strings in the code and templates now, extracted as ``make messages`` does."""
    pot = tmp_path_factory.mktemp("babel") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract"]
    command += ["-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l", "-o", str(pot), "."]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with pot.open("rb") as f:
        return read_po(f)


def test_no_entry_is_empty_or_fuzzy(catalog):
    bad = [
        f"{'fuzzy' if m.fuzzy else 'empty'}: {_where(m)}"
        for m in catalog
        if m.id and (m.fuzzy or not all(_texts(m.string)))
    ]
    assert not bad, "Translate these in messages.po (and drop '#, fuzzy'):\n" + "\n".join(bad)


def test_translations_keep_the_placeholders_of_their_msgid(catalog):
    bad = []
    for m in catalog:
        if not m.id:
            continue
        wanted = Counter(PLACEHOLDER.findall(_texts(m.id)[0]))
        # A plural msgstr may drop the count (e.g. "one case"), but never invent one.
        plural_ok = Counter(p for text in _texts(m.id) for p in PLACEHOLDER.findall(text))
        for i, text in enumerate(_texts(m.string)):
            if not text:
                continue
            found = Counter(PLACEHOLDER.findall(text))
            if isinstance(m.id, str) and found != wanted:
                bad.append(f"{_where(m)}: {sorted(found.elements())} ≠ {sorted(wanted.elements())}")
            elif not isinstance(m.id, str) and not set(found) <= set(plural_ok):
                bad.append(f"{_where(m)} [{i}]: {sorted(found.elements())}")
    assert not bad, "Placeholders differ from the msgid:\n" + "\n".join(bad)


def test_every_string_in_the_code_is_in_the_catalog(catalog, extracted):
    known = {_key(m) for m in catalog if m.id}
    missing = [_where(m) for m in extracted if m.id and _key(m) not in known]
    assert not missing, (
        "Strings in the code are missing from messages.po; run `make messages` and translate:\n"
        + "\n".join(missing)
    )


# Wording settled in review: the pages' button says "Log in", so a message does too; English
# keeps its articles; the Indonesian says "ini" once; a file's name is quoted “ ” as on the
# SOP import page.
REVIEWED = {
    "Anda perlu masuk lebih dulu.": "Please log in first.",
    "Pilih SOP dan periode": "Choose an SOP and a period",
    "PDF lembar SOP belum dapat dibuat di server ini. Buka lembarnya lalu cetak dari peramban "
    "(A4 lanskap).": "The SOP sheet's PDF cannot be made on this server right now. Open the "
    "sheet and print it from the browser (A4 landscape).",
    "Berkas “%(name)s” belum tersimpan karena formulir belum diterima: pilih berkas itu lagi "
    "sebelum mengirim.": "The file “%(name)s” was not saved because the form was not accepted: "
    "choose it again before sending.",
}


@pytest.mark.parametrize("msgid", REVIEWED)
def test_reviewed_wording_is_what_the_code_says_and_the_catalog_translates(
    catalog, extracted, msgid
):
    assert extracted.get(msgid) is not None, f"not in the code: {msgid!r}"
    assert catalog.get(msgid).string == REVIEWED[msgid]
