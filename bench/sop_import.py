"""How long importing a 20-step SOP takes in each format an office has.

Usage: .venv/bin/python bench/sop_import.py [--rounds N]

Builds one 20-step SOP (four lanes, marks, a loop back; tests/engine/sop_documents.py) as DOCX,
XLSX, PDF, tab-separated text and HTML, then imports each ``--rounds`` times. Prints per format
the document's size, the median of ``read_document`` (the whole bounded import: guard, a fresh
child process with memory and CPU limits, parse, interpretation, table check) and the median of
the same parse run in this process (``parse.parse``), so the child's start-up cost shows. Then
the corrections a review needs: rows whose lane or kind the owner has to give, for the seed
(against the first SOP's diagram) and for the test SOP in each format. No database is used.
The last line is the slowest format's median import over the fastest's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine.sop_documents import BUILDERS, licence_sop, twenty_steps  # noqa: E402
from webapp.engine.sop_import import read_document  # noqa: E402
from webapp.engine.sop_import.guard import kind_of  # noqa: E402
from webapp.engine.sop_import.parse import parse  # noqa: E402


def median_ms(action, rounds: int) -> float:
    """The median wall-clock time of ``action()`` over ``rounds`` runs, in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seed" / "000_aaf86235defc21c3.txt"
# The first SOP's diagram: who does each step, and what it is (row 4 decides: the failed test
# goes back to row 3; row 5 is the deployment service task).
SEED_TRUTH = [
    ("Unit Kerja/Koordinator", "task"),
    ("Ketua Tim", "task"),
    ("Tim", "task"),
    ("Tim", "decision"),
    ("Tim", "service"),
]


def corrections(table: dict, truth: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(rows whose lane must be given, rows whose kind must be given, rows flagged unsure)."""
    rows = table["rows"]
    lanes = sum(1 for row, (lane, _) in zip(rows, truth, strict=True) if row["lane"] != lane)
    kinds = sum(1 for row, (_, kind) in zip(rows, truth, strict=True) if row["kind"] != kind)
    return lanes, kinds, sum(1 for row in rows if row.get("uncertain"))


def print_corrections() -> None:
    """The review's work per document: lanes and kinds to give, rows the reader flagged."""
    print("corrections a review needs (lane, kind; rows flagged unsure):")
    seed = read_document(SEED.name, SEED.read_bytes())
    lanes, kinds, flagged = corrections(seed, SEED_TRUTH)
    print(f"  seed text: {lanes} lanes, {kinds} kinds ({flagged} rows flagged)")
    sop = licence_sop()
    truth = [
        (row.lane or "Front Office", "decision" if row.keterangan else "task") for row in sop.rows
    ]
    for extension, build in BUILDERS.items():
        table = read_document(f"sop.{extension}", build(sop))
        lanes, kinds, flagged = corrections(table, truth)
        print(f"  test SOP .{extension}: {lanes} lanes, {kinds} kinds ({flagged} rows flagged)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    sop = twenty_steps()
    print(f"20-step SOP, {len(sop.lanes)} lanes; median of {args.rounds} imports per format")
    print(f"{'format':<6} {'bytes':>8} {'rows':>5} {'import ms':>10} {'in-process ms':>14}")
    medians = {}
    for extension, build in BUILDERS.items():
        data = build(sop)
        name = f"sop.{extension}"
        table = read_document(name, data)
        assert len(table["rows"]) == 20, (extension, len(table["rows"]))
        kind = kind_of(name, data)
        medians[extension] = median_ms(lambda: read_document(name, data), args.rounds)  # noqa: B023
        inline = median_ms(lambda: parse(kind, data, name), args.rounds)  # noqa: B023
        print(
            f"{extension:<6} {len(data):>8} {len(table['rows']):>5} "
            f"{medians[extension]:>10.1f} {inline:>14.1f}"
        )
    print_corrections()
    slowest = max(medians, key=medians.__getitem__)
    fastest = min(medians, key=medians.__getitem__)
    print(f"slowest {slowest}, fastest {fastest}")
    print(f"ratio: {medians[slowest] / medians[fastest]:.2f}")


if __name__ == "__main__":
    main()
