"""The modeler's scripts say nothing the page's catalog lacks (issue 14, point 8): every text a
script hands to ``t()`` is in ``webapp.views.modeler_text.TEXTS``, or an English page would show
it in Indonesian."""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.pofile import read_po

from webapp.views.modeler_text import TEXTS

STATIC = Path(__file__).resolve().parents[2] / "webapp" / "static"
LITERAL = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
JOINED = rf"{LITERAL}(?:\s*\+\s*{LITERAL})*"
# t("…"), t("…" + "…"), and section("…"), which hands its title to t().
CALL = re.compile(rf"(?<![\w.$])(?:t|section)\(\s*({JOINED})\s*[,)]")
# Tables whose texts reach t() through an index: {name: the entry positions that are words}.
TABLES = {"SOP_FIELDS": (1, 2), "DOCUMENT_FIELDS": (1, 3)}


def _text(joined: str) -> str:
    parts = []
    for literal in re.findall(LITERAL, joined):
        body = literal[1:-1]
        if literal[0] == "'":
            body = body.replace("\\'", "'").replace('"', '\\"')
        parts.append(json.loads(f'"{body}"'))
    return "".join(parts)


def _scripts() -> list[Path]:
    scripts = sorted(STATIC.rglob("*.js"))
    assert any(p.parent.name == "modeler" for p in scripts), "the modeler's scripts moved"
    return scripts


def said_texts() -> dict[str, str]:
    """Every text the scripts translate, with the file that says it."""
    said = {}
    for script in _scripts():
        source = script.read_text(encoding="utf-8")
        for match in CALL.finditer(source):
            said[_text(match.group(1))] = script.name
        names = re.search(r"const TYPE_NAMES = \{(.*?)\n\};", source, re.S)
        if names:
            for joined in re.findall(rf":\s*({JOINED})", names.group(1)):
                said[_text(joined)] = script.name
        for table, positions in TABLES.items():
            block = re.search(rf"const {table} = \[(.*?)\n\];", source, re.S)
            if not block:
                continue
            for row in re.findall(r"\[([^\[\]]*)\]", block.group(1)):
                cells = re.findall(rf"{LITERAL}|null", row)
                for i in positions:
                    if i < len(cells) and cells[i] != "null" and _text(cells[i]):
                        said[_text(cells[i])] = script.name
    return said


def test_the_scan_finds_the_modelers_words():
    said = said_texts()
    # One of each kind: a plain call, a joined call, a section, a type name, two tables' cells.
    for text in (
        "Semua perubahan tersimpan",
        "Format ISO 8601: PT30M = 30 menit, PT2H = 2 jam, P1D = 1 hari (24 jam), ",
        "Timer (mutu baku)",
        "Gerbang eksklusif",
        "Urutan langkah pada lembar SOP, mis. 3.",
        "Tanggal efektif SOP.",
    ):
        assert any(s.startswith(text) for s in said), text
    assert len(said) > 100


def test_every_text_the_modeler_translates_is_in_its_catalog():
    missing = {text: script for text, script in said_texts().items() if text not in TEXTS}
    assert missing == {}, "add these to webapp/views/modeler_text.py and the English catalog"


def test_every_catalog_text_has_an_english_translation():
    catalog_path = STATIC.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with catalog_path.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        text
        for text in TEXTS
        if catalog.get(text) is None or not catalog.get(text).string or catalog.get(text).fuzzy
    ]
    assert untranslated == []
