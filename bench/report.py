"""Milliseconds per repair report: the HTML page, then its PDF (WeasyPrint), in one worker process.

Usage: .venv/bin/python bench/report.py [--reports N] [--loops L]

Renders N reports of a finished case (five steps with their form fields, a deployment with a
40-line log; ``--loops`` failed-test rounds add steps) through the connector the worker calls,
``generate_repair_report``, in one process as the worker does: the first report (cold: fonts,
template) and the median of the rest (warm). Then the same pages printed as sopflow printed them
before issue 13: tables in automatic layout (WeasyPrint measures every cell's text to size the
columns) and nothing kept between renders. Prints both and ``ratio:`` now over before (warm
medians). No database is needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weasyprint import HTML  # noqa: E402

from service_tasks import report  # noqa: E402

FIELDS = [
    ("Aplikasi", "perizinan_online"),
    ("Judul", "Halaman pendaftaran izin tidak dapat dibuka"),
    ("Deskripsi", "Sejak pagi halaman pendaftaran menampilkan galat 500.\n" * 3),
    ("Langkah reproduksi", "1. Buka halaman pendaftaran\n2. Muncul galat 500"),
]
STEPS = [
    ("Mengajukan pesan perbaikan sistem", "Unit Kerja/Koordinator", "10 menit"),
    ("Menerima dan menganalisa", "Ketua Tim", "30 menit"),
    ("Troubleshooting", "Tim", "2 jam"),
    ("Uji implementasi", "Tim", "1 jam"),
]


def case(number: int, loops: int) -> dict:
    """A finished case as the worker hands it to the connector (``reports.case_context``):
    one row per SOP step, the troubleshooting and test steps once more per failed test."""
    steps = [
        {
            "number": n,
            "name": name,
            "lane": lane,
            "standard": standard,
            "rounds": [
                {
                    "by": "Sari Anggota Tim",
                    "completed_at": "02-03-2026 10:00",
                    "duration": "25 m",
                    "met": (n + r) % 3 != 2,
                    "fields": FIELDS,
                    "images": [],
                }
                for r in range(1 + (loops if n > 2 else 0))
            ],
        }
        for n, (name, lane, standard) in enumerate(STEPS, start=1)
    ]
    return {
        "id": number,
        "title": f"Halaman pendaftaran izin tidak dapat dibuka ({number})",
        "agency_lines": ["PEMERINTAH DAERAH PROVINSI JAWA BARAT", "DPMPTSP"],
        "process_name": "Pemeliharaan Sistem Informasi",
        "sop_number": "62/1671/DATIN/2023",
        "requester": "Rina Unit Kerja",
        "started_at": "02-03-2026 09:00",
        "finished_at": "02-03-2026 13:10",
        "application": "perizinan_online",
        "release": "v2.4.1",
        "target": "colo:/var/www/perizinan",
        "steps": steps,
        "deployment": {
            "name": "Mengunggah ke server colocation",
            "result": "Berhasil",
            "attempt": 1,
            "started_at": "02-03-2026 13:00",
            "finished_at": "02-03-2026 13:02",
            "exit_code": 0,
            "reason": "",
            "log": "".join(
                f"[{i}/40] sending incremental file list public/f{i}.php\n" for i in range(40)
            ),
        },
        "signers": [("Ketua Tim", "Budi Ketua Tim"), ("Tim", "Sari Anggota Tim")],
        "generated_at": "02-03-2026 13:10",
        "records": ["Disimpan secara elektronik di sopflow"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--loops", type=int, default=0)
    options = parser.parse_args()
    html_ms, total_ms, before_ms, pages = [], [], [], 0
    # Now and before take turns on each report, so that a busy machine weighs on both alike.
    for number in range(1, options.reports + 1):
        data = case(number, options.loops)
        t0 = time.perf_counter()
        report.render_html(data)
        t1 = time.perf_counter()
        result = report.generate_repair_report(case=data)
        t2 = time.perf_counter()
        html_ms.append((t1 - t0) * 1000)
        total_ms.append((t2 - t1) * 1000)
        assert result["pdf"].startswith(b"%PDF")
        pages = result["pdf"].count(b"/Type /Page\n") or pages
        html = report.render_html(data).replace("table-layout: fixed", "table-layout: auto")
        assert "table-layout: auto" in html
        t0 = time.perf_counter()
        HTML(string=html).write_pdf()
        before_ms.append((time.perf_counter() - t0) * 1000)
    before = statistics.median(before_ms[1:]) if len(before_ms) > 1 else before_ms[0]
    warm = statistics.median(total_ms[1:]) if len(total_ms) > 1 else total_ms[0]
    warm_html = statistics.median(html_ms[1:]) if len(html_ms) > 1 else html_ms[0]
    print(f"reports={options.reports} loops={options.loops} pdf bytes={len(result['pdf'])}")
    print(f"first report (cold): {total_ms[0]:.1f} ms")
    print(f"per report (warm median): {warm:.1f} ms, of which HTML {warm_html:.2f} ms")
    print(f"reports per second (warm): {1000 / warm:.1f}")
    print(f"before: automatic table layout, nothing reused (warm median): {before:.1f} ms")
    print(f"ratio: {warm / before:.2f}")


if __name__ == "__main__":
    main()
