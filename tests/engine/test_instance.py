"""webapp.engine.instance: the SOP run by the engine alone, dumped and restored after every step."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from webapp.engine.instance import ProcessInstance, TaskNotReady
from webapp.engine.outcomes import Outcome, outcome_events, outcome_in_state
from webapp.engine.spec import SERIALIZER_VERSION

from .helpers import (
    LANE_KETUA,
    LANE_TIM,
    LANE_UNIT,
    STEP1,
    STEP2,
    STEP3,
    STEP4_FAIL,
    STEP4_PASS,
    TASK_1,
    TASK_2,
    TASK_3,
    TASK_4,
    TASK_5,
    data_process,
    sop_process,
)

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def restore(instance: ProcessInstance, services=None) -> ProcessInstance:
    """dump() → load(): the copy must look exactly like the original; continue on the copy."""
    restored = ProcessInstance.load(instance.process, instance.dump(), services)

    assert restored is not instance
    assert restored.ready_user_tasks() == instance.ready_user_tasks()
    assert restored.data() == instance.data()
    assert restored.next_timer_at() == instance.next_timer_at()
    assert restored.pending_service_tasks() == instance.pending_service_tasks()
    assert restored.completed == instance.completed
    return restored


def only_ready(instance: ProcessInstance):
    ready = instance.ready_user_tasks()
    assert len(ready) == 1, [t.bpmn_id for t in ready]
    return ready[0]


def complete(instance: ProcessInstance, bpmn_id: str, data: dict) -> ProcessInstance:
    task = only_ready(instance)
    assert task.bpmn_id == bpmn_id
    instance.complete_user_task(task.id, data)
    return restore(instance)


def test_start_makes_task_1_ready_in_its_lane_due_in_10_minutes():
    before = datetime.now(UTC)
    instance = ProcessInstance.start(sop_process())
    after = datetime.now(UTC)

    task = only_ready(instance)
    assert task.bpmn_id == TASK_1
    assert task.lane == LANE_UNIT
    assert task.due_at is not None
    assert before + timedelta(minutes=10) <= task.due_at <= after + timedelta(minutes=10)
    assert instance.next_timer_at() == task.due_at
    assert instance.pending_service_tasks() == []
    assert instance.completed is False


def test_whole_sop_with_a_failed_test_and_a_restore_after_every_step():
    process = sop_process()
    with time_machine.travel(T0, tick=False):
        instance = restore(ProcessInstance.start(process))
        assert only_ready(instance).bpmn_id == TASK_1

    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        instance = complete(instance, TASK_1, STEP1)
        task = only_ready(instance)
        assert (task.bpmn_id, task.lane) == (TASK_2, LANE_KETUA)
        assert task.due_at == T0 + timedelta(minutes=35)
        assert task.data.items() >= STEP1.items()

    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        instance = complete(instance, TASK_2, STEP2)
        task = only_ready(instance)
        assert (task.bpmn_id, task.lane) == (TASK_3, LANE_TIM)
        assert task.due_at == T0 + timedelta(minutes=20, hours=2)
        assert task.data.items() >= (STEP1 | STEP2).items()

    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        instance = complete(instance, TASK_3, STEP3)
        task = only_ready(instance)
        assert (task.bpmn_id, task.lane) == (TASK_4, LANE_TIM)
        assert task.due_at == T0 + timedelta(hours=2)

    # A failed test goes back to troubleshooting, with a fresh 2-hour time standard.
    with time_machine.travel(T0 + timedelta(hours=1, minutes=30), tick=False):
        instance = complete(instance, TASK_4, STEP4_FAIL)
        task = only_ready(instance)
        assert (task.bpmn_id, task.lane) == (TASK_3, LANE_TIM)
        assert task.due_at == T0 + timedelta(hours=3, minutes=30)
        assert task.data["hasil_uji"] == "gagal"
        assert instance.pending_service_tasks() == []

    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        instance = complete(instance, TASK_3, STEP3 | {"rilis": "v2.4.2"})
        assert only_ready(instance).bpmn_id == TASK_4

    with time_machine.travel(T0 + timedelta(hours=2, minutes=30), tick=False):
        instance = complete(instance, TASK_4, STEP4_PASS)
        assert instance.ready_user_tasks() == []
        assert [s.operator for s in instance.pending_service_tasks()] == ["deploy_to_colocation"]
        assert instance.pending_service_tasks()[0].bpmn_id == TASK_5
        assert instance.completed is False
        assert instance.next_timer_at() == T0 + timedelta(hours=3)  # step 5: PT30M
        assert instance.data().items() >= (STEP1 | STEP2 | STEP4_PASS | {"rilis": "v2.4.2"}).items()

    # The worker runs the service tasks on a restored copy; the case then completes.
    calls = []
    services = {
        "deploy_to_colocation": lambda **kw: calls.append(("deploy", kw)) or {"ok": True},
        "generate_repair_report": lambda **kw: calls.append(("report", kw)) or {"pages": 1},
    }
    with time_machine.travel(T0 + timedelta(hours=2, minutes=40), tick=False):
        instance = ProcessInstance.load(process, instance.dump(), services)
        instance.run(run_service_tasks=True)

    assert calls == [
        ("deploy", {"aplikasi": "perizinan_online", "rilis": "v2.4.2"}),
        ("report", {"kepada": "starter, role:Ketua Tim"}),
    ]
    assert instance.completed is True
    assert instance.pending_service_tasks() == []
    assert instance.next_timer_at() is None
    assert instance.data()["hasil_deploy"] == {"ok": True}


def test_dump_holds_no_spec_and_records_the_serializer_version():
    instance = ProcessInstance.start(sop_process())
    state = json.loads(instance.dump())

    assert "spec" not in state
    assert "subprocess_specs" not in state
    assert state["serializer_version"] == SERIALIZER_VERSION
    assert state["tasks"], "the dump must still hold the instance's tasks"


@pytest.mark.parametrize("task_id", ["not-a-uuid", "", "12345"])
def test_complete_user_task_with_a_malformed_id_raises_task_not_ready(task_id):
    instance = ProcessInstance.start(sop_process())

    with pytest.raises(TaskNotReady):
        instance.complete_user_task(task_id, STEP1)
    assert only_ready(instance).bpmn_id == TASK_1


def test_complete_user_task_with_an_unknown_id_raises_task_not_ready():
    instance = ProcessInstance.start(sop_process())

    with pytest.raises(TaskNotReady):
        instance.complete_user_task(str(uuid.uuid4()), STEP1)


def test_complete_user_task_twice_raises_task_not_ready():
    instance = ProcessInstance.start(sop_process())
    task_id = only_ready(instance).id
    instance.complete_user_task(task_id, STEP1)

    with pytest.raises(TaskNotReady):
        instance.complete_user_task(task_id, STEP1)
    # Also after a restore, where the task objects are rebuilt from the dump.
    with pytest.raises(TaskNotReady):
        restore(instance).complete_user_task(task_id, STEP1)
    assert only_ready(instance).bpmn_id == TASK_2


def test_complete_user_task_on_a_service_task_raises_task_not_ready():
    instance = ProcessInstance.start(sop_process())
    for bpmn_id, data in ((TASK_1, STEP1), (TASK_2, STEP2), (TASK_3, STEP3), (TASK_4, STEP4_PASS)):
        instance = complete(instance, bpmn_id, data)
    service = instance.pending_service_tasks()[0]

    with pytest.raises(TaskNotReady):
        instance.complete_user_task(service.id, {})
    assert instance.pending_service_tasks() == [service]


def test_overdue_timer_fires_without_interrupting_the_task():
    process = sop_process()
    with time_machine.travel(T0, tick=False):  # the timer is armed now
        instance = ProcessInstance.start(process)
        task = only_ready(instance)
        assert task.due_at == T0 + timedelta(minutes=10)
        state = instance.dump()

    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):  # not yet due
        early = ProcessInstance.load(process, state)
        early.fire_due_timers()
        assert early.pending_service_tasks() == []
        assert early.next_timer_at() == T0 + timedelta(minutes=10)

    with time_machine.travel(T0 + timedelta(minutes=10, seconds=1), tick=False):  # overdue
        late = ProcessInstance.load(process, state)
        late.fire_due_timers()

        assert only_ready(late).id == task.id  # still the same ready user task
        pending = late.pending_service_tasks()
        assert [(p.bpmn_id, p.operator) for p in pending] == [("Escalate_1", "notify_sla_breach")]
        assert late.next_timer_at() is None
        assert late.completed is False

        late = restore(late)
        late.complete_user_task(task.id, STEP1)
        assert only_ready(late).bpmn_id == TASK_2


def test_next_timer_at_is_the_earliest_waiting_timer():
    process = data_process("two_timers")
    with time_machine.travel(T0, tick=False):
        instance = ProcessInstance.start(process)
    due = {t.bpmn_id: t.due_at for t in instance.ready_user_tasks()}
    assert due == {"Task_slow": T0 + timedelta(hours=1), "Task_fast": T0 + timedelta(minutes=5)}

    assert instance.next_timer_at() == T0 + timedelta(minutes=5)
    assert restore(instance).next_timer_at() == T0 + timedelta(minutes=5)

    fast = next(t for t in instance.ready_user_tasks() if t.bpmn_id == "Task_fast")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        instance.complete_user_task(fast.id, {})
    assert instance.next_timer_at() == T0 + timedelta(hours=1)


IZIN_TERBIT = Outcome("End_izin_terbit", "Izin terbit")
DIKEMBALIKAN = Outcome("End_berkas_dikembalikan", "Berkas dikembalikan")
KEDALUWARSA = Outcome("End_kedaluwarsa", "Permohonan kedaluwarsa")


def test_outcome_events_skip_escalations_and_keep_an_interrupting_timer_s_end():
    # Nearest the start first; "Eskalasi tercatat" hangs off a non-interrupting timer.
    assert outcome_events(data_process("two_exits").spec) == [
        DIKEMBALIKAN,
        IZIN_TERBIT,
        KEDALUWARSA,
    ]
    assert outcome_events(sop_process().spec) == [
        Outcome("EndEvent_selesai", "Permasalahan selesai")
    ]


def test_the_two_exits_are_told_apart_and_survive_a_restore():
    process = data_process("two_exits")
    returned = ProcessInstance.start(process)
    assert returned.outcome is None  # still running
    returned = complete(returned, "Task_periksa", {"lengkap": False})
    issued = ProcessInstance.start(process)
    issued = complete(issued, "Task_periksa", {"lengkap": True})
    assert issued.outcome is None
    issued = complete(issued, "Task_tanda_tangan", {})

    assert returned.completed and returned.outcome == DIKEMBALIKAN
    assert issued.completed and issued.outcome == IZIN_TERBIT
    assert issued.reached_end_events() == [IZIN_TERBIT]
    assert outcome_in_state(issued.dump(), outcome_events(process.spec)) == IZIN_TERBIT


def test_an_escalation_end_reached_first_is_not_the_outcome():
    process = data_process("two_exits")
    with time_machine.travel(T0, tick=False):
        instance = ProcessInstance.start(process)
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        fired = instance.fire_due_timers()
    assert [t.bpmn_id for t in fired] == ["Timer_periksa"]
    instance = complete(instance, "Task_periksa", {"lengkap": False})

    assert instance.reached_end_events() == [
        Outcome("End_eskalasi", "Eskalasi tercatat"),
        DIKEMBALIKAN,
    ]
    assert instance.outcome == DIKEMBALIKAN
    assert outcome_in_state(instance.dump(), outcome_events(process.spec)) == DIKEMBALIKAN


def test_an_interrupting_timer_s_end_is_the_outcome():
    process = data_process("two_exits")
    with time_machine.travel(T0, tick=False):
        instance = ProcessInstance.start(process)
        instance = complete(instance, "Task_periksa", {"lengkap": True})
    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        instance.fire_due_timers()
    assert instance.completed and instance.outcome == KEDALUWARSA


def test_a_cancelled_case_has_no_outcome():
    instance = ProcessInstance.start(data_process("two_exits"))
    instance.cancel()
    assert instance.completed and instance.outcome is None
    assert ProcessInstance.load(instance.process, instance.dump()).outcome is None
