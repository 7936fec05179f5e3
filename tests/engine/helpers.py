"""Shared paths, sample form data and small helpers for the engine tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests import conftest
from webapp.engine.spec import ParsedProcess, parse_process

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
DATA = ROOT / "tests" / "data"

SOP_ID = "pemeliharaan_sistem_informasi"
SOP_DIR = PROCESSES / SOP_ID
SOP_BPMN = SOP_DIR / f"{SOP_ID}.bpmn"
SOP_FORMS = SOP_DIR / "forms"

# Every diagram shipped with the app: processes/<id>/<id>.bpmn (a new one is covered automatically).
DIAGRAMS = sorted(p for p in PROCESSES.glob("*/*.bpmn") if p.stem == p.parent.name)

TASK_1 = "Task_1_pesan_perbaikan"
TASK_2 = "Task_2_analisa"
TASK_3 = "Task_3_troubleshooting"
TASK_4 = "Task_4_uji_implementasi"
TASK_5 = "Task_5_upload_colocation"

LANE_UNIT = "Unit Kerja/Koordinator"
LANE_KETUA = "Ketua Tim"
LANE_TIM = "Tim"

# The shared sample data, with the optional fields filled in too.
STEP1 = {**conftest.STEP1, "kontak": "ext. 1234"}
STEP2 = conftest.STEP2
STEP3 = {**conftest.STEP3, "perkiraan_jam": 1.5}
STEP4_PASS = {**conftest.STEP4_PASS, "lulus_regresi": True}
STEP4_FAIL = {
    **conftest.STEP4_FAIL,
    "catatan_uji": "Masih galat 500 pada NIB lama.",
    "lulus_regresi": False,
}


@cache
def sop_process() -> ParsedProcess:
    """The SOP parsed once with validation on (a ParsedProcess is shared by its instances)."""
    return parse_process(SOP_BPMN.read_bytes(), SOP_ID)


def data_process(name: str) -> ParsedProcess:
    """A test-only diagram from tests/data/<name>.bpmn, whose process id is <name>."""
    return parse_process((DATA / f"{name}.bpmn").read_bytes(), name)
