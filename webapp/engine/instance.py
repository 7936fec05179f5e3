"""One running process instance: load, act, run until it waits, dump."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .scripting import SopScriptEngine
from .spec import SERIALIZER, SERIALIZER_VERSION, ParsedProcess

# Compact only when it removes at least this many tasks: a case without loops never does.
COMPACT_THRESHOLD = 40


class EngineError(RuntimeError):
    """The engine refused an action or a diagram expression failed while running."""


class TaskNotReady(EngineError):
    """The task does not exist in this instance or is no longer waiting for input."""


@dataclass(frozen=True)
class ReadyUserTask:
    """A user task waiting for someone: what the worklist materializes."""

    id: str
    bpmn_id: str
    name: str
    lane: str | None
    due_at: datetime | None
    data: dict[str, Any]


@dataclass(frozen=True)
class PendingServiceTask:
    """A service task the worker still has to run."""

    id: str
    bpmn_id: str
    name: str
    operator: str


def _parse_dt(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class ProcessInstance:
    """A SpiffWorkflow workflow bound to its parsed process and a restricted script engine."""

    def __init__(self, process: ParsedProcess, workflow: BpmnWorkflow, services=None) -> None:
        self.process = process
        self.workflow = workflow
        # The script engine is not serialized: set it after every load.
        self.workflow.script_engine = SopScriptEngine(services)

    @classmethod
    def start(
        cls, process: ParsedProcess, services: Mapping[str, Callable[..., Any]] | None = None
    ) -> ProcessInstance:
        """Create an instance and run it to its first wait."""
        instance = cls(process, BpmnWorkflow(process.spec, process.subprocess_specs), services)
        instance.run()
        return instance

    @classmethod
    def load(
        cls,
        process: ParsedProcess,
        state: str,
        services: Mapping[str, Callable[..., Any]] | None = None,
    ) -> ProcessInstance:
        """Restore an instance from the state ``dump`` produced."""
        dct = json.loads(state)
        version = dct.pop("serializer_version", SERIALIZER_VERSION)
        dct.update(json.loads(process.spec_json))
        dct[SERIALIZER.VERSION_KEY] = version
        SERIALIZER.migrate(dct)
        workflow = SERIALIZER.from_dict(dct)
        return cls(process, workflow, services)

    def compact(self) -> int:
        """Drop finished history above the point where every unfinished task branches off.

        A failed test loops back to troubleshooting and each loop appends its tasks below the
        last ones, so the tree (and the cost of every later step) grows with the loop count.
        Tasks above the lowest common ancestor of all unfinished tasks are finished and no
        longer read by the engine: joins, boundary events and gateways look only at ancestors
        below that point, and that ancestor has already inherited its data. The people's
        history is kept in sopflow's own tables, not in this tree. Returns how many were removed.
        """
        wf = self.workflow
        if wf.subprocesses:
            return 0  # subprocess parents are referenced by id across trees: leave them be
        unfinished = [t for t in wf.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
        if not unfinished:
            return 0
        root = wf.task_tree
        path = self._path(unfinished[0])
        for task in unfinished[1:]:
            ancestors = set(id(t) for t in self._path(task))
            while path and id(path[-1]) not in ancestors:
                path.pop()
        if len(path) < 3:
            return 0
        keep = path[-1]
        if not keep.has_state(TaskState.COMPLETED | TaskState.READY | TaskState.WAITING):
            return 0
        removed = self._subtree_ids(root) - self._subtree_ids(keep) - {root.id}
        if len(removed) < COMPACT_THRESHOLD:
            return 0
        for task_id in removed:
            del wf.tasks[task_id]
        root._children = [keep.id]
        keep._parent = root.id
        if wf.last_task is not None and wf.last_task.id in removed:
            wf.last_task = keep
        return len(removed)

    @staticmethod
    def _path(task: Task) -> list[Task]:
        path = []
        while task is not None:
            path.append(task)
            task = task.parent
        return path[::-1]

    @staticmethod
    def _subtree_ids(task: Task) -> set:
        ids, stack = set(), [task]
        while stack:
            current = stack.pop()
            ids.add(current.id)
            stack.extend(current.children)
        return ids

    def dump(self) -> str:
        """Serialize the instance state without its process spec (stored once per version)."""
        self.compact()
        dct = SERIALIZER.to_dict(self.workflow)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct["serializer_version"] = SERIALIZER_VERSION
        return json.dumps(dct, cls=SERIALIZER._encoder_cls, separators=(",", ":"))

    # -- running ---------------------------------------------------------------------------

    def run(self, run_service_tasks: bool = False) -> None:
        """Run engine tasks until only user input, timers or (queued) service tasks remain."""
        try:
            while self._step_once(run_service_tasks):
                pass
            self.workflow.refresh_timers()
            while self._step_once(run_service_tasks):
                pass
        except SpiffWorkflowException as exc:
            raise EngineError(str(exc)) from exc

    def _step_once(self, run_service_tasks: bool) -> bool:
        workflows = sorted(
            self.workflow.get_active_subprocesses(), key=lambda w: w.depth, reverse=True
        ) + [self.workflow]
        ran = False
        for wf in workflows:
            for task in wf.get_tasks(state=TaskState.READY):
                if task.task_spec.manual:
                    continue
                if isinstance(task.task_spec, ServiceTask) and not run_service_tasks:
                    continue
                task.run()
                ran = True
        return ran

    def fire_due_timers(self) -> None:
        """Fire timers whose due time has passed and run what follows them."""
        self.workflow.refresh_timers()
        self.run()

    # -- reading ---------------------------------------------------------------------------

    @property
    def completed(self) -> bool:
        return self.workflow.is_completed()

    def _task(self, task_id: str) -> Task:
        try:
            task = self.workflow.get_task_from_id(UUID(str(task_id)))
        except (ValueError, KeyError, TypeError, SpiffWorkflowException) as exc:
            raise TaskNotReady(f"task {task_id} is not part of this instance") from exc
        if task is None:
            raise TaskNotReady(f"task {task_id} is not part of this instance")
        return task

    def _timer_due(self, task: Task) -> datetime | None:
        parent = task.parent
        if parent is None:
            return None
        for sibling in parent.children:
            spec = sibling.task_spec
            if (
                isinstance(spec, BoundaryEvent)
                and isinstance(spec.event_definition, TimerEventDefinition)
                and sibling.state == TaskState.WAITING
            ):
                value = sibling.internal_data.get("event_value")
                if isinstance(value, str):
                    return _parse_dt(value)
        return None

    def ready_user_tasks(self) -> list[ReadyUserTask]:
        """List the user tasks waiting for input, with the due time of their time standard."""
        result = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            step = self.process.steps.get(task.task_spec.bpmn_id)
            result.append(
                ReadyUserTask(
                    id=str(task.id),
                    bpmn_id=task.task_spec.bpmn_id,
                    name=step.name if step else task.task_spec.bpmn_name or task.task_spec.name,
                    lane=task.task_spec.lane,
                    due_at=self._timer_due(task),
                    data=dict(task.data),
                )
            )
        return result

    def pending_service_tasks(self) -> list[PendingServiceTask]:
        """List service tasks that are ready and wait for the worker."""
        return [
            PendingServiceTask(
                id=str(t.id),
                bpmn_id=t.task_spec.bpmn_id,
                name=t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                operator=t.task_spec.operation_name,
            )
            for t in self.workflow.get_tasks(state=TaskState.READY)
            if isinstance(t.task_spec, ServiceTask)
        ]

    def next_timer_at(self) -> datetime | None:
        """Return the earliest due time of the instance's waiting timers."""
        due = []
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            spec = task.task_spec
            if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
                value = task.internal_data.get("event_value")
                if isinstance(value, str):
                    due.append(_parse_dt(value))
        return min(due) if due else None

    def data(self) -> dict[str, Any]:
        """Return the data of the last completed task (the case file so far)."""
        last = self.workflow.last_task
        return dict(last.data) if last is not None else dict(self.workflow.data)

    # -- acting ----------------------------------------------------------------------------

    def complete_user_task(self, task_id: str, data: Mapping[str, Any]) -> None:
        """Merge submitted form data into a ready user task, complete it, and run on."""
        task = self._task(task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not waiting for input")
        task.data.update(data)
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise EngineError(str(exc)) from exc
        self.run()
