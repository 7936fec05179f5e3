"""Move a running instance to a newer version of its diagram, when its waiting work exists there."""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from .instance import ProcessInstance
from .spec import SERIALIZER, ParsedProcess

WAITING_WORK = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass
class MigrationCheck:
    """Whether an instance can move, and if not, which of its waiting elements are missing."""

    possible: bool
    missing: list[str] = field(default_factory=list)
    reason: str = ""


def _diff(instance: ProcessInstance, target: ParsedProcess) -> tuple[SpecDiff, WorkflowDiff]:
    spec_diff = SpecDiff(SERIALIZER.registry, instance.workflow.spec, target.spec)
    return spec_diff, WorkflowDiff(instance.workflow, spec_diff)


def check(instance: ProcessInstance, target: ParsedProcess) -> MigrationCheck:
    """Say whether every open or waiting task of the instance exists in ``target``."""
    if instance.workflow.subprocesses:
        return MigrationCheck(False, [], "kasus dengan subproses belum dapat dipindahkan")
    spec_diff, _diff_result = _diff(instance, target)
    missing = sorted(
        {
            task.task_spec.bpmn_id or task.task_spec.name
            for task in instance.workflow.get_tasks(state=WAITING_WORK)
            if task.task_spec in spec_diff.removed
        }
    )
    if missing:
        return MigrationCheck(
            False,
            missing,
            "langkah yang sedang berjalan tidak ada di versi baru: " + ", ".join(missing),
        )
    return MigrationCheck(True)


def migrate(instance: ProcessInstance, target: ParsedProcess) -> ProcessInstance:
    """Return the instance moved to ``target``; ready tasks and armed timers keep their ids
    and due times (only READY tasks are re-predicted, per SpiffWorkflow's reset mask)."""
    verdict = check(instance, target)
    if not verdict.possible:
        raise ValueError(verdict.reason)
    _spec_diff, workflow_diff = _diff(instance, target)
    migrate_workflow(workflow_diff, instance.workflow, target.spec, reset_mask=TaskState.READY)
    instance.workflow.subprocess_specs = target.subprocess_specs
    moved = ProcessInstance(
        target, instance.workflow, instance.script_engine.environment.services, instance.calendar
    )
    moved.run()
    return moved
