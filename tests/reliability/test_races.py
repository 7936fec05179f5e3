"""Many OS processes race for the same task at the same moment: exactly one wins each race.

Three kinds of race, ``RACES`` of each, ``CONTENDERS`` processes in each (spawned, each with its
own app, waiting on one barrier before every race):

* complete: Ketua Tim members submit step 2 of the same case through the API;
* claim: team members claim step 3 of the same case through the API;
* reassign: administrators give step 3 to different people, all having seen the same assignee
  (``admin.reassign``).

The winner gets 200, everyone else 409 with a message naming what happened; afterwards the
database (instance state, human_task rows, audit log) must tell the same story.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from tests.conftest import STEP2
from webapp.engine.instance import ProcessInstance as EngineInstance
from webapp.extensions import db
from webapp.models import (
    ApiToken,
    AuditEvent,
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    Role,
    TaskStatus,
    User,
)
from webapp.services.processes import parsed

from .race_support import Contenders

RACES = int(os.environ.get("SOPFLOW_RACES_PER_KIND", "340"))  # x3 kinds: 1,020 races
CONTENDERS = int(os.environ.get("SOPFLOW_RACE_CONTENDERS", "4"))
TEAM = [f"tim{i}" for i in range(1, CONTENDERS + 3)]  # claimants plus people to reassign to
LEADS = [f"ketua{i}" for i in range(1, CONTENDERS + 1)]
ADMINS = [f"admin{i}" for i in range(1, CONTENDERS + 1)]
STEP_2, STEP_3 = "Task_2_analisa", "Task_3_troubleshooting"


@pytest.fixture
def server_app(request, database_url):
    """The app on PostgreSQL or MariaDB only (skipped before the database is seeded)."""
    if database_url.startswith("sqlite"):
        pytest.skip("races between OS processes need a server database (SQLite has one writer)")
    return request.getfixturevalue("app")


def _people(app) -> dict[str, str]:
    """Add the extra leads, team members and admins; return an API token per username."""
    with app.app_context():
        for names, role_name in ((LEADS, "Ketua Tim"), (TEAM, "Tim"), (ADMINS, "admin")):
            role = Role.get_or_create(role_name)
            for name in names:
                if db.session.scalar(select(User).where(User.username == name)) is None:
                    user = User(username=name, full_name=f"Orang {name}")
                    user.set_password("demo")
                    user.roles = [role]
                    db.session.add(user)
        db.session.commit()
        tokens = {}
        for name in LEADS + TEAM:
            user = db.session.scalar(select(User).where(User.username == name))
            tokens[name] = ApiToken.issue(user, "races")[1]
        db.session.commit()
        return tokens


def _user_ids(app) -> tuple[dict[str, int], dict[int, str]]:
    with app.app_context():
        rows = db.session.execute(select(User.username, User.id, User.full_name)).all()
    return {u: i for u, i, _ in rows}, {i: (n or u) for u, i, n in rows}


def _open_tasks(app, step: str) -> dict[int, int]:
    """instance id → id of its open task of ``step``."""
    with app.app_context():
        rows = db.session.execute(
            select(HumanTask.instance_id, HumanTask.id).where(
                HumanTask.bpmn_id == step, HumanTask.status == TaskStatus.OPEN
            )
        ).all()
        db.session.remove()
    doubled = [i for i, n in Counter(i for i, _ in rows).items() if n > 1]
    assert not doubled, f"instances with more than one open {step}: {doubled[:10]}"
    return dict(rows)


def _judge(kind: str, results: list, expected_message: str) -> dict[int, int]:
    """Every race: exactly one 200, the others 409 with the expected words; race → winner."""
    by_race = defaultdict(list)
    for outcomes in results:
        for outcome in outcomes:
            by_race[outcome.race].append(outcome)
    assert len(by_race) == RACES, kind
    winners, problems = {}, []
    for race, outcomes in sorted(by_race.items()):
        statuses = Counter(o.status for o in outcomes)
        if statuses != Counter({200: 1, 409: CONTENDERS - 1}):
            problems.append((race, sorted((o.contender, o.status, o.message) for o in outcomes)))
            continue
        winners[race] = next(o.contender for o in outcomes if o.status == 200)
        for o in outcomes:
            if o.status == 409 and expected_message not in o.message:
                problems.append((race, o.contender, o.message))
    assert not problems, f"{kind}: {len(problems)} races went wrong, e.g. {problems[:5]}"
    return winners


def _report(kind: str, backend: str, results: list, seconds: float) -> None:
    outcomes = [o for r in results for o in r]
    wins = sum(o.status == 200 for o in outcomes)
    conflicts = sum(o.status == 409 for o in outcomes)
    slowest = max(o.seconds for o in outcomes)
    print(
        f"\n[{backend}] {kind}: races={RACES} contenders={CONTENDERS} winners={wins} "
        f"409s={conflicts} duration={seconds:.1f}s slowest call={slowest * 1000:.0f}ms",
        flush=True,
    )


def _audit(app, action: str) -> dict[int, list[tuple[int | None, dict | None]]]:
    """human_task id → [(user id, detail)] of the audit rows of ``action``."""
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.human_task_id, AuditEvent.user_id, AuditEvent.detail).where(
                AuditEvent.action == action
            )
        ).all()
        db.session.remove()
    found = defaultdict(list)
    for task_id, user_id, detail in rows:
        found[task_id].append((user_id, detail))
    return found


@pytest.mark.slow
def test_many_processes_racing_for_the_same_task_exactly_one_wins(
    server_app, database_url, tmp_path
):
    app = server_app
    backend = "postgresql" if database_url.startswith("postgresql") else "mariadb"
    tokens = _people(app)
    ids, names = _user_ids(app)
    began = time.perf_counter()
    pool = Contenders(CONTENDERS, database_url, str(tmp_path / "attachments"))
    try:
        # Cases, in bulk through the services (in the contender processes, side by side).
        keys = [f"race-{i}" for i in range(RACES)]
        t0 = time.perf_counter()
        started = pool.run("start", [keys[i::CONTENDERS] for i in range(CONTENDERS)])
        instance_ids = sorted(i for chunk in started for i in chunk)
        assert len(set(instance_ids)) == RACES
        print(f"\n[{backend}] {RACES} cases started in {time.perf_counter() - t0:.1f}s")

        # (a) complete the same step 2.
        step_2 = _open_tasks(app, STEP_2)
        assert sorted(step_2) == instance_ids
        complete_races = [(race, step_2[i]) for race, i in enumerate(instance_ids)]
        payloads = [
            {
                "races": complete_races,
                "tokens": [tokens[n] for n in LEADS],
                "body": {"data": dict(STEP2, anggota_tim=TEAM, analisis=f"Analisa {LEADS[c]}")},
            }
            for c in range(CONTENDERS)
        ]
        t0 = time.perf_counter()
        results = pool.run("complete", payloads)
        _report("complete", backend, results, time.perf_counter() - t0)
        complete_winners = _judge("complete", results, "sudah diselesaikan oleh")
        completed_by = {complete_races[race][1]: LEADS[w] for race, w in complete_winners.items()}
        _check_winner_named(results, complete_races, completed_by, names, ids)

        # (b) claim the same step 3 (five candidates, nobody assigned yet).
        step_3 = _open_tasks(app, STEP_3)
        assert sorted(step_3) == instance_ids, "not exactly one open step 3 per completed step 2"
        claim_races = [(race, step_3[i]) for race, i in enumerate(instance_ids)]
        t0 = time.perf_counter()
        results = pool.run(
            "claim",
            [
                {"races": claim_races, "tokens": [tokens[n] for n in TEAM[:CONTENDERS]]}
                for _ in range(CONTENDERS)
            ],
        )
        _report("claim", backend, results, time.perf_counter() - t0)
        claim_winners = _judge("claim", results, "sudah diambil oleh")
        claimed_by = {claim_races[race][1]: TEAM[w] for race, w in claim_winners.items()}
        _check_winner_named(results, claim_races, claimed_by, names, ids)

        # (c) administrators reassign the same step 3, all having seen the claimant.
        reassign_races = []
        for race, task_id in claim_races:
            holder = claimed_by[task_id]
            targets = [n for n in TEAM if n != holder][:CONTENDERS]
            reassign_races.append((race, task_id, ids[holder], targets))
        t0 = time.perf_counter()
        results = pool.run(
            "reassign", [{"races": reassign_races, "admins": ADMINS} for _ in range(CONTENDERS)]
        )
        _report("reassign", backend, results, time.perf_counter() - t0)
        reassign_winners = _judge("reassign", results, "baru saja diambil")
    finally:
        pool.close()

    # -- the database tells the same story --------------------------------------------------
    with app.app_context():
        tasks = db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id.in_(instance_ids))
        ).all()
        per_instance = defaultdict(list)
        for task in tasks:
            per_instance[task.instance_id].append(task)
        for instance_id in instance_ids:
            rows = per_instance[instance_id]
            steps = Counter((t.bpmn_id, t.status) for t in rows)
            assert steps == Counter(
                {
                    ("Task_1_pesan_perbaikan", TaskStatus.COMPLETED): 1,
                    (STEP_2, TaskStatus.COMPLETED): 1,
                    (STEP_3, TaskStatus.OPEN): 1,
                }
            ), (instance_id, steps)
        for task_id, lead in completed_by.items():
            task = db.session.get(HumanTask, task_id)
            assert task.completed_by_id == ids[lead], (task_id, lead)
            assert task.form_data["analisis"] == f"Analisa {lead}", "a loser's data was saved"
        final_assignee = {}
        for race, task_id, _seen, targets in reassign_races:
            final_assignee[task_id] = targets[reassign_winners[race]]
            assert (
                db.session.get(HumanTask, task_id).assigned_user_id == ids[final_assignee[task_id]]
            ), task_id

        # The engine's own view: its ready user tasks are exactly the open rows.
        mismatched = []
        for row in db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.id.in_(instance_ids))
        ):
            assert row.status == InstanceStatus.WAITING, (row.id, row.status)
            ready = {
                t.id for t in EngineInstance.load(parsed(row.version), row.state).ready_user_tasks()
            }
            open_rows = {t.spiff_task_id for t in per_instance[row.id] if t.status == "open"}
            if ready != open_rows:
                mismatched.append((row.id, ready, open_rows))
        assert not mismatched, mismatched[:5]
        db.session.remove()

    completions = _audit(app, "task.completed")
    step_2_ids = set(completed_by)
    doubled = {t: r for t, r in completions.items() if t in step_2_ids and len(r) != 1}
    assert not doubled, f"step 2 completed more than once (audit): {list(doubled.items())[:5]}"
    for task_id, lead in completed_by.items():
        assert completions[task_id][0][0] == ids[lead]
    claims = _audit(app, "task.claimed")
    assert {t: len(r) for t, r in claims.items()} == {t: 1 for t in claimed_by}
    for task_id, member in claimed_by.items():
        assert claims[task_id][0][0] == ids[member]
    reassigns = _audit(app, "task.reassigned")
    assert {t: len(r) for t, r in reassigns.items()} == {t: 1 for t in claimed_by}
    for race, task_id, _seen, _targets in reassign_races:
        user_id, detail = reassigns[task_id][0]
        assert user_id == ids[ADMINS[reassign_winners[race]]]
        assert detail["to"] == final_assignee[task_id]
        assert detail["previous"] == claimed_by[task_id]
    with app.app_context():
        total = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "task.completed")
        )
        # Step 1 of every case (at start) and step 2 once.
        assert total == 2 * RACES
        db.session.remove()
    print(
        f"[{backend}] {3 * RACES} races, {3 * RACES} winners, "
        f"{3 * RACES * (CONTENDERS - 1)} conflicts, total {time.perf_counter() - began:.1f}s",
        flush=True,
    )


def _check_winner_named(results, races, winner_of: dict[int, str], names, ids) -> None:
    """Each loser's message names the winner (``… oleh <name> …``)."""
    task_of = dict(races)
    wrong = []
    for outcomes in results:
        for o in outcomes:
            if o.status != 409:
                continue
            winner = names[ids[winner_of[task_of[o.race]]]]
            if winner not in o.message:
                wrong.append((o.race, o.contender, o.message, winner))
    assert not wrong, f"409 messages not naming the winner: {wrong[:5]}"
