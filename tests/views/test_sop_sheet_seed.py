"""The first SOP's generated sheet reproduces its signed document, field by field, row by row.

The seed (tests/data/seed/000_aaf86235defc21c3.txt, a copy of the office's text export in
../shared/seed/) is read here by a small reader of its own: tab-separated cells, HTML
fragments where the export kept them. Only whitespace is normalised. Two things the text export
cannot carry are said by the test instead: the lane marks (a flowchart's symbols are lost in a
text export, SOP-FORMAT.md) and the space inside "Unit Kerja/ Koordinator", which the diagram
cannot keep because the lane's name is the role people log in with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

SEED = Path(__file__).resolve().parents[1] / "data" / "seed" / "000_aaf86235defc21c3.txt"
URL = "/processes/pemeliharaan_sistem_informasi/sop"
HEADER_LABELS = (
    "Nomor SOP",
    "Tanggal Pembuatan",
    "Tanggal Revisi",
    "Tanggal Berlaku",
    "Disahkan",
    "Nama SOP",
)
# Who does each row: the signed PDF marks it in the lane's column; the text export lost it.
ACTORS = {
    "1": "Unit Kerja/Koordinator",
    "2": "Ketua Tim",
    "3": "Tim",
    "4": "Tim",
    "5": "Tim",
}


def norm(value: str) -> str:
    """Collapse every run of whitespace to one space (the only normalisation)."""
    return " ".join(value.split())


def plain(cell: str) -> str:
    """The text of a cell that may hold an HTML fragment."""
    if "<" not in cell:
        return norm(cell)
    return norm(lxml.html.fragment_fromstring(cell, create_parent="div").text_content())


def bullet_items(cell: str) -> list[str]:
    """A block's items: '- a - b' inside a list, or the cell as one item."""
    text = plain(cell)
    if "<ul" not in cell:
        return [text] if text else []
    return [norm(part) for part in re.split(r"(?:^|\s)-\s+", text) if part.strip()]


@dataclass
class SeedDocument:
    agency: str = ""
    header: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, list[str]] = field(default_factory=dict)
    title: str = ""
    lanes: list[str] = field(default_factory=list)
    mutu_baku: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


def read_seed(path: Path) -> SeedDocument:
    """Read the header, the blocks and the table rows of the seed's text export."""
    lines = path.read_text(encoding="utf-8").splitlines()
    doc = SeedDocument()
    i = 0
    while not lines[i].startswith("DASAR HUKUM"):
        cells = lines[i].split("\t")
        for j, cell in enumerate(cells):
            if cell.strip() in HEADER_LABELS:
                doc.header[cell.strip()] = plain(cells[j + 1]) if j + 1 < len(cells) else ""
            elif cell.strip() and j == 0 and not doc.agency:
                doc.agency = plain(cell)
        i += 1
    while lines[i].strip():  # the blocks, two by two: a label line, then a content line
        labels, contents = lines[i].split("\t"), lines[i + 1].split("\t")
        for column in (0, 2):
            label = labels[column].strip().rstrip(":").strip()
            doc.blocks[label] = bullet_items(contents[column] if column < len(contents) else "")
        i += 2
    while not lines[i].strip():
        i += 1
    doc.title = norm(lines[i])
    while not lines[i].startswith("No\t"):
        i += 1
    sub = lines[i + 1].split("\t")
    doc.lanes = [norm(c) for c in sub[2:5]]
    doc.mutu_baku = [norm(c) for c in sub[5:8]]
    for line in lines[i + 2 :]:
        cells = (line.split("\t") + [""] * 9)[:9]
        if not cells[0].strip():
            continue
        doc.rows.append(
            {
                "no": norm(cells[0]),
                "uraian": norm(cells[1]),
                "marks": [norm(c) for c in cells[2:5]],
                "kelengkapan": norm(cells[5]),
                "waktu": norm(cells[6]),
                "produk": norm(cells[7]),
                "keterangan": norm(cells[8]),
            }
        )
    return doc


def page_of(html: str):
    """Parse the sheet; a line break reads as whitespace, as it does on paper."""
    page = lxml.html.fromstring(html)
    for br in page.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return page


def cell_text(node) -> str:
    return norm(node.text_content())


def one(node, xpath: str):
    found = node.xpath(xpath)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def test_the_reader_reads_the_whole_seed():
    seed = read_seed(SEED)
    assert seed.header["Nomor SOP"] == "62/ 1671 / DATIN /2023"
    assert seed.header["Tanggal Revisi"] == ""
    assert list(seed.blocks) == [
        "DASAR HUKUM",
        "KUALIFIKASI PELAKSANA",
        "KETERKAITAN",
        "PERALATAN/PERLENGKAPAN",
        "PERINGATAN",
        "PENCATATAN DAN PENDATAAN",
    ]
    assert len(seed.blocks["DASAR HUKUM"]) == 6 and len(seed.blocks["KUALIFIKASI PELAKSANA"]) == 7
    assert [r["no"] for r in seed.rows] == ["1", "2", "3", "4", "5"]


def test_the_sheet_header_and_blocks_are_the_seeds_field_by_field(actions):
    seed = read_seed(SEED)
    response = actions.client("tim1").get(URL)
    assert response.status_code == 200
    page = page_of(response.get_data(as_text=True))
    head = one(page, "//table[@class='head']")
    assert cell_text(one(head, f".//td[{cls('agency')}]")) == seed.agency
    sheet_header = {
        cell_text(one(tr, "./th")): cell_text(tr.xpath("./td")[-1]) for tr in head.xpath(".//tr")
    }
    assert sheet_header == seed.header
    meta = one(page, "//table[@class='meta']")
    labels = [cell_text(th).upper() for th in meta.xpath(".//th")]  # CSS prints them upper
    cells = meta.xpath(".//td")
    blocks = {}
    for label, td in zip(labels, cells, strict=True):
        listed = td.xpath(".//li")
        blocks[label] = [cell_text(li) for li in listed] if listed else [cell_text(td)]
    assert blocks == seed.blocks
    assert cell_text(one(page, "//h2")) == seed.title
    assert not page.xpath(f"//*[{cls('warnings')}]")  # the diagram lacks nothing


def test_the_sheet_table_is_the_seeds_row_by_row(actions):
    seed = read_seed(SEED)
    page = page_of(actions.client("tim1").get(URL).get_data(as_text=True))
    table = one(page, f"//table[{cls('steps')}]")
    lanes = [cell_text(th) for th in table.xpath(f".//th[{cls('lane-head')}]")]
    # The role names cannot carry the export's stray space after the slash.
    assert sorted(lane.replace(" ", "") for lane in lanes) == sorted(
        lane.replace(" ", "") for lane in seed.lanes
    )
    sub = [cell_text(th) for th in table.xpath(".//thead/tr[2]/th")][len(lanes) :]
    assert sub == seed.mutu_baku
    rows = table.xpath(".//tbody/tr[@data-step]")
    assert len(rows) == len(seed.rows)
    for tr, want in zip(rows, seed.rows, strict=True):

        def td(name: str, tr=tr) -> str:
            return cell_text(one(tr, f"./td[{cls(name)}]"))

        got = {c: td(c) for c in ("no", "uraian", "kelengkapan", "waktu", "produk", "keterangan")}
        assert got == {k: v for k, v in want.items() if k != "marks"}
        marked = [
            lane
            for lane, cell in zip(lanes, tr.xpath(f"./td[{cls('lane')}]"), strict=True)
            if cell_text(cell)
        ]
        assert marked == [ACTORS[want["no"]]], want["no"]
        assert not any(want["marks"])  # nothing in the export contradicts the marks above
