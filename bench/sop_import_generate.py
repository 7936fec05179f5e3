"""Milliseconds to turn an SOP table into its draft: generate the diagram, then lint it.

Usage: .venv/bin/python bench/sop_import_generate.py [--repeat N]

Builds tables of 20 rows (an ordinary SOP) and of ``MAX_ROWS`` rows (the largest table an import
accepts), each with a decision every fifth row (a loop back to the row before it) and a time
standard on every row, then times ``table_to_diagram`` and the lint the draft goes through when
it is saved (``webapp.engine.lint`` with the registered connectors), median of N runs. Prints
both and ``ratio:`` the per-row time of the largest table over that of the 20-row one (about 1
when the work grows in proportion to the rows). No database is needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import service_tasks  # noqa: E402
from webapp.engine import lint  # noqa: E402
from webapp.engine.sop_import.generate import table_to_diagram  # noqa: E402
from webapp.engine.sop_import.table import MAX_ROWS, table_errors  # noqa: E402

LANES = ["Front Office", "Seksi Survei", "Seksi Perizinan", "Kepala Bidang"]


def table(rows: int) -> dict:
    """A sound table of ``rows`` steps across four lanes."""
    result = []
    for no in range(1, rows + 1):
        row = {
            "no": no,
            "uraian": f"Memeriksa berkas permohonan tahap {no} dan mencatat hasilnya",
            "lane": LANES[no % len(LANES)],
            "kind": "task",
            "waktu": "30 menit",
            "duration": "PT30M",
            "kelengkapan": f"Berkas tahap {no}",
            "output": f"Hasil pemeriksaan tahap {no}",
            "keterangan": "",
        }
        if no % 5 == 0 and no < rows:
            row["kind"] = "decision"
            row["branches"] = [
                {"label": "Lengkap", "target": no + 1},
                {"label": "Tidak lengkap", "target": no - 1},
            ]
        result.append(row)
    found = {"name": f"SOP {rows} langkah", "header": {}, "lanes": LANES, "rows": result}
    assert table_errors(found) == [], table_errors(found)
    return found


def timed(rows: int, repeat: int) -> tuple[float, float]:
    """Median milliseconds to generate, then to lint, a table of ``rows`` rows."""
    source = table(rows)
    generating, linting = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        bpmn, forms, _findings = table_to_diagram(source)
        middle = time.perf_counter()
        found = lint.lint(bpmn, forms, service_tasks.REGISTRY, set(LANES), None)
        end = time.perf_counter()
        assert not lint.has_errors(found), [f for f in found if f.level == lint.ERROR][:3]
        generating.append((middle - start) * 1000)
        linting.append((end - middle) * 1000)
    return statistics.median(generating), statistics.median(linting)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    per_row = {}
    for rows in (20, MAX_ROWS):
        generate_ms, lint_ms = timed(rows, args.repeat)
        per_row[rows] = generate_ms / rows
        print(
            f"{rows:4d} rows: generate {generate_ms:8.1f} ms ({per_row[rows]:.2f} ms/row), "
            f"lint {lint_ms:8.1f} ms, total {generate_ms + lint_ms:8.1f} ms"
        )
    print(f"ratio: {per_row[MAX_ROWS] / per_row[20]:.2f}")


if __name__ == "__main__":
    main()
