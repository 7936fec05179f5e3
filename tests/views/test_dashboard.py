"""The administrators' dashboard: access, exact figures at frozen times, CSV export, the page."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event, select, update

from tests.conftest import STEP1, STEP2
from webapp.extensions import db
from webapp.models import HumanTask, InstanceStatus, ProcessInstance
from webapp.services import dashboard, service_calls, sla
from webapp.services.processes import parsed, published_version
from webapp.services.sla_service_steps import late_call_counts, late_calls, timed_service_steps

PAGE = "/admin/dashboard/"
DATA = "/admin/dashboard/data.json"
EXPORT = "/admin/dashboard/export.csv"
PROCESS = "pemeliharaan_sistem_informasi"
STEP_1 = "Task_1_pesan_perbaikan"
STEP_2 = "Task_2_analisa"
STEP_3 = "Task_3_troubleshooting"
STEP_4 = "Task_4_uji_implementasi"
STEP_5 = "Task_5_upload_colocation"
UPLOAD = "Task_5_upload_colocation"

# Week A is ISO week 2026-W47: Monday 16 to Sunday 22 November 2026 in Jakarta (UTC+7).
T0 = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB
NOW = T0 + timedelta(hours=2)  # Tuesday 11:00 WIB
SUNDAY_2000_UTC = datetime(2026, 11, 15, 20, 0, tzinfo=UTC)  # Monday 03:00 WIB: week A
LAST_WEEK = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)  # Thursday of 2026-W46
FORMULA = '=HYPERLINK("x")'


def _start(actions, at: datetime, **data) -> int:
    with time_machine.travel(at, tick=False):
        return actions.start(data=dict(STEP1, **data))["id"]


def _complete(actions, instance_id: int, step: str, username: str, data: dict, at: datetime):
    task = actions.open_task(instance_id, step)
    with time_machine.travel(at, tick=False):
        response = actions.complete(username, task.id, data)
    assert response.status_code == 200, response.get_json()


def _get(actions, url: str, at: datetime = NOW, username: str = "admin1"):
    with time_machine.travel(at, tick=False):
        return actions.client(username).get(url)


@pytest.fixture
def week_a(app, actions, deployment) -> dict[str, int]:
    """Five cases with known times; see the comments for what each one is."""
    ids = {}
    # Started last week, every step done at once (all within standard: the upload too, run as
    # soon as it was queued, since its standard counts from then), finished in week A when the
    # report is written.
    with time_machine.travel(LAST_WEEK, tick=False):
        ids["finished"] = actions.run_to("end")
        with app.app_context():
            assert service_calls.run_queued(limit=1) == 1
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        with app.app_context():
            assert service_calls.run_queued() == 1
            assert db.session.get(ProcessInstance, ids["finished"]).status == "completed"
    # Started Sunday 20:00 UTC, which is Monday 03:00 in Jakarta: counted in week A.
    ids["edge"] = _start(actions, SUNDAY_2000_UTC, judul="Kasus tepi minggu")
    # Step 2 still open, past its 30-minute standard since T0 + 30 m.
    ids["overdue"] = _start(actions, T0, judul=FORMULA)
    # Step 2 done in 10 minutes (met), and 40 minutes (late); both now wait at step 3.
    ids["met"] = _start(actions, T0 + timedelta(hours=1), judul="Selesai tepat waktu")
    ids["late"] = _start(actions, T0 + timedelta(hours=1), judul="Selesai terlambat")
    _complete(actions, ids["met"], STEP_2, "ketua1", STEP2, T0 + timedelta(hours=1, minutes=10))
    _complete(actions, ids["late"], STEP_2, "ketua1", STEP2, T0 + timedelta(hours=1, minutes=40))
    return ids


@pytest.mark.parametrize("username", ["unit1", "ketua1", "tim1", "owner1"])
@pytest.mark.parametrize("url", [PAGE, DATA, f"{EXPORT}?kind=overdue", f"{EXPORT}?kind=steps"])
def test_only_administrators_may_see_the_dashboard(actions, username, url):
    assert actions.client(username).get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_log_in(client):
    for url in (PAGE, DATA, EXPORT):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_figures_are_exact_for_cases_at_known_times(actions, week_a):
    response = _get(actions, DATA)
    assert response.status_code == 200
    body = response.get_json()
    assert body["process"]["id"] == "pemeliharaan_sistem_informasi"
    # The default period: the current ISO week (in Jakarta) and the eleven before it.
    assert body["period"] == {"from": "2026-08-31", "to": "2026-11-17"}
    assert [w["week"] for w in body["weekly"]][0] == "2026-W36"
    assert [w["week"] for w in body["weekly"]][-2:] == ["2026-W46", "2026-W47"]
    assert len(body["weekly"]) == 12

    cards = body["cards"]
    assert cards["running"] == 4
    assert cards["overdue"] == 2
    assert cards["started_this_week"] == 4
    assert cards["finished_this_week"] == 1
    # November: the finished case's four steps and its upload (step 5) and four first steps
    # (all met), step 2 1 of 2.
    assert (cards["tasks_completed_this_month"], cards["tasks_met_this_month"]) == (11, 10)
    assert (cards["service_steps_this_month"], cards["service_steps_met_this_month"]) == (1, 1)
    assert cards["compliance_this_month"] == 90.9

    running = {r["bpmn_id"]: r for r in body["running_by_step"]}
    assert [r["bpmn_id"] for r in body["running_by_step"]] == [STEP_1, STEP_2, STEP_3, STEP_4]
    assert (running[STEP_1]["open"], running[STEP_1]["overdue"]) == (0, 0)
    assert (running[STEP_2]["open"], running[STEP_2]["overdue"]) == (2, 2)
    assert (running[STEP_3]["open"], running[STEP_3]["overdue"]) == (2, 0)
    assert running[STEP_2]["lane"] == "Ketua Tim"

    weeks = {w["week"]: w for w in body["weekly"]}
    assert (weeks["2026-W46"]["started"], weeks["2026-W46"]["finished"]) == (1, 0)
    assert (weeks["2026-W47"]["started"], weeks["2026-W47"]["finished"]) == (4, 1)
    assert sum(w["started"] for w in body["weekly"]) == 5
    # People's steps only: the finished case's upload (step 5) ran last week.
    assert (weeks["2026-W47"]["tasks_completed"], weeks["2026-W47"]["tasks_met"]) == (6, 5)
    assert weeks["2026-W47"]["compliance"] == 83.3
    assert (weeks["2026-W46"]["tasks_completed"], weeks["2026-W46"]["tasks_met"]) == (5, 5)

    compliance = {s["bpmn_id"]: s for s in body["compliance"]}
    assert compliance[STEP_2]["completed"][-2:] == [1, 2]
    assert compliance[STEP_2]["met"][-2:] == [1, 1]
    assert compliance[STEP_2]["percent"][-2:] == [100.0, 50.0]
    assert compliance[STEP_1]["percent"][-2:] == [100.0, 100.0]
    assert compliance[STEP_3]["percent"][-2:] == [100.0, None]
    assert compliance[STEP_3]["percent"][0] is None
    assert compliance[STEP_5]["completed"][-2:] == [1, 0]
    assert compliance[STEP_5]["percent"][-2:] == [100.0, None]

    overdue = body["overdue"]
    assert [(t["instance_id"], t["bpmn_id"]) for t in overdue] == [
        (week_a["edge"], STEP_2),
        (week_a["overdue"], STEP_2),
    ]
    assert overdue[1]["title"] == FORMULA and overdue[1]["lane"] == "Ketua Tim"
    assert overdue[1]["overdue_seconds"] == 90 * 60

    durations = {d["bpmn_id"]: d for d in body["durations"]}
    assert durations[STEP_2]["completed"] == 3
    # Working time of step 2: 0 s (finished case), 600 s and 2400 s; standard 30 minutes.
    assert durations[STEP_2]["median_seconds"] == 600
    assert durations[STEP_2]["standard_seconds"] == 1800
    assert durations[STEP_2]["standard"] == "30 menit"


def test_dashboard_and_sla_page_count_met_and_overdue_alike(app, actions, week_a):
    body = _get(actions, DATA).get_json()
    with time_machine.travel(NOW, tick=False), app.app_context():
        period = dashboard.Period.default(NOW, dashboard.office_zone())
        figures = {f.bpmn_id: f for f in sla.step_figures(PROCESS, period.since, period.until)}
        overdue = sla.overdue_tasks(PROCESS)
    compliance = {s["bpmn_id"]: s for s in body["compliance"]}
    running = {r["bpmn_id"]: r for r in body["running_by_step"]}
    for bpmn_id, figure in figures.items():
        assert (figure.completed, figure.met) == (
            sum(compliance[bpmn_id]["completed"]),
            sum(compliance[bpmn_id]["met"]),
        )
        # Step 5 has no people's tasks: nothing of it runs in this data.
        now_running = running.get(bpmn_id, {"open": 0, "overdue": 0})
        assert (figure.open_now, figure.overdue_now) == (
            now_running["open"],
            now_running["overdue"],
        )
    assert figures[STEP_2].met_percent == 66.7
    assert [t.id for t in overdue] == [t["task_id"] for t in body["overdue"]]
    assert len(overdue) == body["cards"]["overdue"] == 2


def test_the_period_and_sop_come_from_the_url(actions, week_a):
    body = _get(actions, f"{DATA}?process=pemeliharaan_sistem_informasi&from=2026-11-16").get_json()
    assert [w["week"] for w in body["weekly"]] == ["2026-W47"]
    assert body["weekly"][0]["started"] == 4
    # Only week A's step 2 tasks count for the median now: 600 s and 2400 s.
    durations = {d["bpmn_id"]: d for d in body["durations"]}
    assert durations[STEP_2]["median_seconds"] == 1500
    body = _get(actions, f"{DATA}?from=2026-11-09&to=2026-11-15").get_json()
    assert [(w["week"], w["started"], w["finished"]) for w in body["weekly"]] == [
        ("2026-W46", 1, 0)
    ]
    # "Now" figures do not depend on the period.
    assert body["cards"]["overdue"] == 2 and body["cards"]["started_this_week"] == 4
    # A year is 53 ISO weeks here; the buckets are one CASE, the same on every database.
    body = _get(actions, f"{DATA}?from=2025-11-18&to=2026-11-17").get_json()
    assert len(body["weekly"]) == 53 and body["weekly"][0]["week"] == "2025-W47"
    assert sum(w["started"] for w in body["weekly"]) == 5
    assert sum(w["finished"] for w in body["weekly"]) == 1
    assert _get(actions, f"{DATA}?from=17-11-2026").status_code == 400
    assert _get(actions, f"{DATA}?from=2026-11-17&to=2026-11-16").status_code == 400
    assert _get(actions, f"{DATA}?from=2020-01-01&to=2026-11-16").status_code == 400
    assert _get(actions, f"{DATA}?process=tidak_ada").status_code == 404


def test_service_steps_and_failed_cases_count_as_running_work(app, actions):
    with time_machine.travel(T0, tick=False):
        waiting = actions.run_to("end")
        failed = actions.run_to("end")
    with app.app_context():
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == failed)
            .values(status=InstanceStatus.ERROR)
        )
        db.session.commit()
    # Before the uploads' 30 minutes run out: none is late work yet.
    body = _get(actions, DATA, at=T0 + timedelta(minutes=10)).get_json()
    [upload] = [r for r in body["running_by_step"] if r["kind"] == "service"]
    assert upload["bpmn_id"] == UPLOAD
    assert (upload["open"], upload["error"]) == (1, 1)
    assert body["cards"]["running"] == 2
    assert body["cards"]["by_status"]["error"] == 1
    assert waiting != failed


def _csv(response) -> list[list[str]]:
    raw = response.data
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_overdue_guards_typed_formulas(actions, week_a):
    response = _get(actions, f"{EXPORT}?kind=overdue")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="dasbor-overdue-pemeliharaan_sistem_informasi-2026-11-17.csv"'
    )
    rows = _csv(response)
    assert rows[0] == [
        "Kasus",
        "Judul",
        "ID langkah",
        "Langkah",
        "Pelaksana",
        "Dipegang",
        "Batas waktu",
        "Terlambat (menit)",
    ]
    assert len(rows) == 3
    edge, formula = rows[1], rows[2]
    assert edge[0] == str(week_a["edge"]) and edge[1] == "Kasus tepi minggu"
    assert formula[0] == str(week_a["overdue"])
    assert formula[1] == "'" + FORMULA  # a spreadsheet shows it as text, never runs it
    assert formula[2:5] == [STEP_2, formula[3], "Ketua Tim"]
    assert formula[6:] == ["2026-11-17 09:30", "90.0"]  # Jakarta time
    assert '"\'=HYPERLINK(""x"")"' in response.data.decode("utf-8-sig")


def test_export_steps_and_weekly(actions, week_a):
    rows = _csv(_get(actions, f"{EXPORT}?kind=steps&from=2026-11-16"))
    assert rows[0] == [
        "ID langkah",
        "Langkah",
        "Pelaksana",
        "Mutu baku",
        "Mutu baku (menit)",
        "Selesai",
        "Memenuhi",
        "Memenuhi (%)",
        "Median (menit)",
        "Persentil 90 (menit)",
        "Terbuka kini",
        "Terlambat kini",
    ]
    steps = {r[0]: r for r in rows[1:]}
    assert list(steps) == [STEP_1, STEP_2, STEP_3, STEP_4, STEP_5]
    assert steps[STEP_2][2:] == ["Ketua Tim", "30 menit", "30.0", "2", "1", "50.0", "25.0"] + [
        steps[STEP_2][9],
        "2",
        "2",
    ]
    assert steps[STEP_3][5:8] == ["0", "0", ""]

    response = _get(actions, f"{EXPORT}?kind=weekly&from=2026-11-09")
    assert "dasbor-weekly-" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:7] == [
        "Minggu",
        "Mulai minggu",
        "Kasus dimulai",
        "Kasus selesai",
        "Tugas selesai",
        "Tugas memenuhi mutu baku",
        "Kepatuhan (%)",
    ]
    assert len(rows[0]) == 7 + 5  # one compliance column per step held to a standard
    assert rows[1][:7] == ["2026-W46", "2026-11-09", "1", "0", "5", "5", "100.0"]
    assert rows[2][:7] == ["2026-W47", "2026-11-16", "4", "1", "6", "5", "83.3"]
    assert rows[2][7:] == ["100.0", "50.0", "", "", ""]
    assert _get(actions, f"{EXPORT}?kind=semua").status_code == 400


def test_page_shows_cards_charts_and_their_tables(actions, week_a):
    response = _get(actions, PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'src="/vendor/chart.js"' in html and 'src="/static/dashboard.js"' in html
    for chart in ("running", "weekly", "compliance", "durations"):
        canvas = re.search(rf'<canvas id="chart-{chart}"[^>]*>', html)
        assert canvas and 'role="img"' in canvas.group(0) and "aria-label=" in canvas.group(0)
        table = re.search(
            rf'<details>\s*<summary>[^<]+</summary>\s*<table class="list" id="table-{chart}"', html
        )
        assert table, chart
    cards = re.search(r'<ul class="stats".*?</ul>', html, re.S).group(0)
    values = re.findall(r'data-card="(\w+)".*?class="stat-value[^"]*">([^<]+)<', cards, re.S)
    assert values == [
        ("running", "4"),
        ("overdue", "2"),
        ("started", "4"),
        ("finished", "1"),
        ("compliance", "90,9\xa0%"),  # per locale, one decimal (issue 14, point 8)
    ]
    # The case title is escaped on the page and in the JSON block (no inline script runs).
    assert "=HYPERLINK(&#34;x&#34;)" in html or "=HYPERLINK(&quot;x&quot;)" in html
    block = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S
    )
    data = json.loads(block.group(1))
    assert data["cards"]["overdue"] == 2 and data["labels"]["started"] == "Kasus dimulai"
    assert "<script>" not in html
    assert f'data-step="{STEP_2}"' in html
    assert _get(actions, "/vendor/chart.js").status_code == 200


def test_no_open_work_shows_zeros_and_empty_tables(actions):
    body = _get(actions, DATA).get_json()
    assert body["cards"]["running"] == body["cards"]["overdue"] == 0
    assert body["cards"]["compliance_this_month"] is None
    assert body["overdue"] == []
    html = _get(actions, PAGE).get_data(as_text=True)
    assert "Tidak ada tugas yang melewati mutu baku." in html


def test_queries_do_not_grow_with_the_number_of_cases(app, actions):
    def count_queries() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
            listener = lambda *args: seen.append(1)  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                with time_machine.travel(NOW, tick=False), app.test_request_context():
                    zone = dashboard.office_zone()
                    dashboard.dashboard(PROCESS, dashboard.Period.default(NOW, zone))
            finally:
                event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    _start(actions, T0)
    few = count_queries()
    for minutes in range(5):
        _start(actions, T0 + timedelta(minutes=minutes))
    assert count_queries() == few
    with app.app_context():
        assert db.session.scalar(select(HumanTask.id).limit(1)) is not None


def _finish_at(app, instance_id: int, at: datetime, outcome: tuple[str, str] | None) -> None:
    with app.app_context():
        row = db.session.get(ProcessInstance, instance_id)
        row.status, row.completed_at = InstanceStatus.COMPLETED, at
        row.outcome_id, row.outcome_name = outcome or (None, None)
        db.session.commit()


def test_completed_cases_are_counted_per_outcome_in_the_period(app, actions, week_a):
    # week_a's finished case reached "Permasalahan selesai" in week A, through the worker.
    _finish_at(app, week_a["met"], T0, ("End_lama", "=Dibatalkan (versi lama)"))
    _finish_at(app, week_a["late"], T0, None)  # finished before outcomes were recorded
    _finish_at(app, week_a["edge"], LAST_WEEK - timedelta(weeks=20), ("End_lama", "x"))
    with app.app_context():
        row = db.session.get(ProcessInstance, week_a["overdue"])
        row.status, row.completed_at = InstanceStatus.TERMINATED, T0  # no outcome: not counted
        db.session.commit()

    outcomes = _get(actions, DATA).get_json()["outcomes"]
    assert outcomes == [
        {"id": "EndEvent_selesai", "name": "Permasalahan selesai", "count": 1, "percent": 33.3},
        {"id": "End_lama", "name": "=Dibatalkan (versi lama)", "count": 1, "percent": 33.3},
        {"id": "", "name": "(hasil tidak tercatat)", "count": 1, "percent": 33.3},
    ]
    # Another period: the published end event is still listed, at zero.
    week_46 = _get(actions, f"{DATA}?from=2026-11-09&to=2026-11-15").get_json()["outcomes"]
    assert week_46 == [
        {"id": "EndEvent_selesai", "name": "Permasalahan selesai", "count": 0, "percent": None}
    ]

    html = _get(actions, PAGE).get_data(as_text=True)
    assert re.search(r'<canvas id="chart-outcomes"[^>]*role="img"', html)
    table = re.search(r'<table class="list" id="table-outcomes".*?</table>', html, re.S).group(0)
    rows = re.findall(r'<tr data-outcome="([^"]*)">.*?class="num">(\d+)</td>', table, re.S)
    assert rows == [("EndEvent_selesai", "1"), ("End_lama", "1"), ("", "1")]
    assert "process=pemeliharaan_sistem_informasi&amp;outcome=EndEvent_selesai" in table

    header, *lines = list(csv.reader(io.StringIO(_get(actions, f"{EXPORT}?kind=outcomes").text)))
    assert header == ["\ufeffHasil", "ID peristiwa akhir", "Kasus selesai", "Bagian (%)"]
    assert lines[0] == ["Permasalahan selesai", "EndEvent_selesai", "1", "33.3"]
    assert lines[1][0] == "'=Dibatalkan (versi lama)"  # a typed formula stays text


def test_every_dashboard_read_of_cases_is_an_index_range_on_sqlite(app, actions, deployment):
    """No statement of the dashboard or SLA page reads every case of the SOP or every succeeded
    call: at 100,000 cases SQLite (no statistics) read all completed ones through the outcome
    index, 2.4 s a view (bench/scale.py), and the upload's figures read every succeeded call."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    # A finished case: its upload (step 5) succeeded, so the period's reads find calls.
    instance_id = actions.run_to("end")
    with app.app_context():
        assert service_calls.run_queued() == 2  # the upload, then the report
        assert db.session.get(ProcessInstance, instance_id).status == "completed"
    admin = actions.client("admin1")
    cases: list[tuple[str, tuple]] = []
    calls: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM process_instance" in statement and "completed_at >=" in statement:
            cases.append((statement, parameters))
        if "service_call.finished_at >=" in statement:
            calls.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert admin.get("/admin/dashboard/").status_code == 200
        assert admin.get(DATA).status_code == 200
        assert admin.get("/sla").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(cases) >= 3, "the dashboard counts completed cases in three reads"
    assert len(calls) >= 3, "the dashboard and the SLA page read the upload's finished calls"
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            for reads, index, bound in (
                (cases, "ix_process_instance_done", "completed_at>?"),
                (calls, "ix_service_call_done", "finished_at>?"),
            ):
                for statement, parameters in reads:
                    plan = " ".join(
                        str(row[-1])
                        for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                    )
                    assert index in plan and bound in plan, (statement, plan)
        finally:
            raw.close()


def test_late_uploads_are_counted_in_full_and_listed_up_to_a_limit(app, actions, monkeypatch):
    """Three uploads wait in the queue past their due time: every count says three, a list
    reads no more than it shows, and the SLA page checks a non-administrator's access through
    the cases' ids and starters, not their whole rows (with the workflow state)."""
    with time_machine.travel(T0, tick=False):
        ids = [actions.run_to("end") for _ in range(3)]  # no worker: the uploads stay queued
    later = T0 + timedelta(days=7)
    with app.app_context():
        version = published_version(PROCESS)
        steps = timed_service_steps(parsed(version))
        assert late_call_counts(PROCESS, steps, later) == {UPLOAD: 3}
        listed = late_calls(PROCESS, steps, later, limit=2)
        assert [c["instance_id"] for c in listed] == ids[:2]  # the longest overdue first
    monkeypatch.setattr(dashboard, "OVERDUE_SHOWN", 2)
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        body = _get(actions, DATA, at=later).get_json()
        listed_reads = [s for s in seen if "ORDER BY service_call.due_at" in s]
        seen.clear()
        sla_page = _get(actions, f"/sla?process={PROCESS}", at=later, username="unit1")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    [row] = [r for r in body["running_by_step"] if r["bpmn_id"] == UPLOAD]
    assert row["overdue"] == 3
    assert body["cards"]["overdue"] >= 3
    assert [t["instance_id"] for t in body["overdue"] if t["kind"] == "service"] == ids[:2]
    assert listed_reads and all("LIMIT" in s for s in listed_reads), listed_reads
    assert sla_page.status_code == 200
    assert all(f'<a href="/cases/{i}"' in sla_page.get_data(as_text=True) for i in ids)
    case_reads = [
        s for s in seen if s.lstrip().startswith("SELECT") and "FROM process_instance" in s
    ]
    assert case_reads and not any("process_instance.state" in s for s in case_reads), case_reads
