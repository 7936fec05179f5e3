"""One running process instance: load, act, run until it waits, dump."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .calendar import SlaCalendar
from .compaction import compact
from .nesting import MAX_DATA_DEPTH, text_depth, value_depth
from .outcomes import Outcome, choose_outcome, outcome_events, reached_end_events
from .scripting import SopScriptEngine
from .spec import SERIALIZER, SERIALIZER_VERSION, ParsedProcess
from .timers import WaitingTimer, arm_with_calendar, waiting_timers


class EngineError(RuntimeError):
    """The engine refused an action or a diagram expression failed while running.

    ``element`` is the id of the diagram element that failed, when the engine knows it; the
    message then starts with that element's id and name, so whoever reads the incident knows
    where to look in the diagram.
    """

    def __init__(self, message: str, element: str = "") -> None:
        super().__init__(message)
        self.element = element

    @classmethod
    def from_spiff(cls, exc: SpiffWorkflowException) -> EngineError:
        """Wrap a SpiffWorkflow error, naming the element it happened in."""
        spec = getattr(exc, "task_spec", None)
        element = getattr(spec, "bpmn_id", None) or ""
        if not element:
            return cls(str(exc))
        name = getattr(spec, "bpmn_name", None)
        where = f"{element} ({name})" if name and name != element else element
        return cls(f"{where}: {exc}", element)


class TaskNotReady(EngineError):
    """The task does not exist in this instance or is no longer waiting for input."""


# The case data the state may hold: twice what a submission may nest, so scripts have room to
# wrap submitted data, and far below what the serializer and ``json`` can recurse through.
MAX_STATE_DATA_DEPTH = 2 * MAX_DATA_DEPTH
# The saved state as a whole: the data plus the serializer's own structure around it.
MAX_STATE_DEPTH = MAX_STATE_DATA_DEPTH + 32


class StateNotSaved(EngineError):
    """The state reached cannot be saved (or could not be loaded again): nothing is stored.

    ``variable`` and ``step`` name where the offending data sits when that is known.
    """

    def __init__(self, message: str, variable: str = "", step: str = "") -> None:
        super().__init__(message)
        self.variable = variable
        self.step = step


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
    """A service task the worker still has to run, with the due time of its time standard
    (its boundary timer's, counted from when it became ready, however long it then queues)."""

    id: str
    bpmn_id: str
    name: str
    operator: str
    due_at: datetime | None


Services = Mapping[str, Callable[..., Any]]


class ProcessInstance:
    """A SpiffWorkflow workflow bound to its parsed process and a restricted script engine."""

    def __init__(
        self,
        process: ParsedProcess,
        workflow: BpmnWorkflow,
        services: Services | None = None,
        calendar: SlaCalendar | None = None,
    ) -> None:
        self.process = process
        self.workflow = workflow
        self.calendar = calendar
        # The script engine is not serialized: set it after every load.
        self.script_engine = SopScriptEngine(services)
        self.workflow.script_engine = self.script_engine

    @property
    def service_calls(self) -> list[dict[str, Any]]:
        """The service tasks run since this object was created, with their results."""
        return self.script_engine.calls

    @classmethod
    def start(
        cls,
        process: ParsedProcess,
        services: Services | None = None,
        calendar: SlaCalendar | None = None,
    ) -> ProcessInstance:
        """Create an instance and run it to its first wait."""
        workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
        instance = cls(process, workflow, services, calendar)
        instance.run()
        return instance

    @classmethod
    def load(
        cls,
        process: ParsedProcess,
        state: str,
        services: Services | None = None,
        calendar: SlaCalendar | None = None,
    ) -> ProcessInstance:
        """Restore an instance from the state ``dump`` produced."""
        dct = json.loads(state)
        version = dct.pop("serializer_version", SERIALIZER_VERSION)
        dct.update(json.loads(process.spec_json))
        dct[SERIALIZER.VERSION_KEY] = version
        SERIALIZER.migrate(dct)
        workflow = SERIALIZER.from_dict(dct)
        return cls(process, workflow, services, calendar)

    def cancel(self) -> None:
        """End the workflow for good: every task not yet finished is cancelled."""
        self.workflow.cancel()

    def compact(self) -> int:
        """Drop finished history the engine no longer reads (see ``compaction``)."""
        return compact(self.workflow)

    def dump(self) -> str:
        """Serialize the instance state without its process spec (stored once per version).

        Raises ``StateNotSaved`` instead of returning a state that ``load`` could not read
        back: data nested deeper than ``MAX_STATE_DATA_DEPTH`` (scripts can build it), values
        the serializer cannot write. The caller then saves nothing.
        """
        self.compact()
        self._check_data_depth()
        try:
            dct = SERIALIZER.to_dict(self.workflow)
            dct.pop("spec", None)
            dct.pop("subprocess_specs", None)
            dct["serializer_version"] = SERIALIZER_VERSION
            text = json.dumps(dct, cls=SERIALIZER._encoder_cls, separators=(",", ":"))
        except (RecursionError, TypeError, ValueError) as exc:
            raise StateNotSaved(f"the case state cannot be serialized: {exc}") from exc
        depth = text_depth(text)
        if depth > MAX_STATE_DEPTH:
            raise StateNotSaved(
                f"the case state nests {depth} levels deep; at most {MAX_STATE_DEPTH} allowed"
            )
        return text

    def _check_data_depth(self) -> None:
        """Refuse case data nested deeper than ``MAX_STATE_DATA_DEPTH``, naming where it is."""
        limit = MAX_STATE_DATA_DEPTH
        workflows = [self.workflow, *self.workflow.subprocesses.values()]
        for wf in workflows:
            places = [(wf.data, None)] + [(t.data, t) for t in wf.tasks.values()]
            for data, task in places:
                if value_depth(data, limit) <= limit:
                    continue
                variable = next(
                    (str(k) for k, v in data.items() if value_depth(v, limit - 1) >= limit), ""
                )
                spec = task.task_spec if task is not None else None
                step = (getattr(spec, "bpmn_id", None) or getattr(spec, "name", "")) if spec else ""
                raise StateNotSaved(
                    f"variable {variable!r} nests deeper than {limit} levels",
                    variable=variable,
                    step=str(step or ""),
                )

    # -- running ---------------------------------------------------------------------------

    def run(self, run_service_tasks: bool | Callable[[str], bool] = False) -> None:
        """Run engine tasks until only user input, timers or queued service tasks remain.

        ``run_service_tasks`` is False (service tasks wait for the worker), True, or a
        predicate on the operator name choosing which to run now.
        """
        if callable(run_service_tasks):
            allow = run_service_tasks
        else:
            allow = (lambda _op: True) if run_service_tasks else (lambda _op: False)
        try:
            while self._step_once(allow):
                pass
            self.workflow.refresh_timers()
            while self._step_once(allow):
                pass
            arm_with_calendar(self.workflow, self.calendar)
        except SpiffWorkflowException as exc:
            raise EngineError.from_spiff(exc) from exc

    def _step_once(self, allow: Callable[[str], bool]) -> bool:
        workflows = sorted(
            self.workflow.get_active_subprocesses(), key=lambda w: w.depth, reverse=True
        ) + [self.workflow]
        ran = False
        for wf in workflows:
            for task in wf.get_tasks(state=TaskState.READY):
                if task.task_spec.manual:
                    continue
                spec = task.task_spec
                if isinstance(spec, ServiceTask) and not allow(spec.operation_name):
                    continue
                task.run()
                ran = True
        return ran

    def fire_due_timers(
        self,
        now: datetime | None = None,
        run_service_tasks: bool | Callable[[str], bool] = False,
    ) -> list[WaitingTimer]:
        """Fire the timers due at ``now``, run what follows them, and return those that fired."""
        now = now or datetime.now(UTC)
        due = [t for t in waiting_timers(self.workflow) if t.due <= now]
        if not due:
            return []
        # SpiffWorkflow fires a timer only once its own clock is strictly past the due time; the
        # sweep's (and lateness's) is "at or past ``now``": mark these fired so a timer due now
        # fires now, as the step it guards already counts as late.
        for timer in due:
            self._task(timer.task_id).internal_data["event_fired"] = True
        try:
            self.workflow.refresh_timers()
        except SpiffWorkflowException as exc:
            raise EngineError.from_spiff(exc) from exc
        self.run(run_service_tasks)
        return [t for t in due if self._task(t.task_id).state == TaskState.COMPLETED]

    # -- reading ---------------------------------------------------------------------------

    @property
    def completed(self) -> bool:
        return self.workflow.is_completed()

    def reached_end_events(self) -> list[Outcome]:
        """List the end events of the top-level process that completed, in order (id, name)."""
        return reached_end_events(self.workflow)

    @property
    def outcome(self) -> Outcome | None:
        """The end event the completed case finished at; None while it runs or when cancelled."""
        if not self.completed or not self.workflow.success:
            return None
        return choose_outcome(self.reached_end_events(), outcome_events(self.process.spec))

    def _task(self, task_id: str) -> Task:
        try:
            task = self.workflow.get_task_from_id(UUID(str(task_id)))
        except (ValueError, KeyError, TypeError, SpiffWorkflowException) as exc:
            raise TaskNotReady(f"task {task_id} is not part of this instance") from exc
        if task is None:
            raise TaskNotReady(f"task {task_id} is not part of this instance")
        return task

    def _timer_due(self, task: Task) -> datetime | None:
        for timer in waiting_timers(self.workflow):
            if timer.attached_task_id == str(task.id):
                return timer.due
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
                due_at=self._timer_due(t),
            )
            for t in self.workflow.get_tasks(state=TaskState.READY)
            if isinstance(t.task_spec, ServiceTask)
        ]

    def next_timer_at(self) -> datetime | None:
        """Return the earliest due time of the instance's waiting timers."""
        timers = waiting_timers(self.workflow)
        return timers[0].due if timers else None

    def data(self) -> dict[str, Any]:
        """Return the data of the last completed task (the case file so far)."""
        last = self.workflow.last_task
        return dict(last.data) if last is not None else dict(self.workflow.data)

    # -- acting ----------------------------------------------------------------------------

    def _ready_service_task(self, task_id: str) -> Task:
        task = self._task(task_id)
        if task.state != TaskState.READY or not isinstance(task.task_spec, ServiceTask):
            raise TaskNotReady(f"service task {task_id} is not waiting to run")
        return task

    def service_params(self, task_id: str) -> dict[str, Any]:
        """Evaluate a ready service task's parameters against its data (for the worker)."""
        task = self._ready_service_task(task_id)
        try:
            params = task.task_spec.evaluate_params(task)
        except SpiffWorkflowException as exc:
            raise EngineError.from_spiff(exc) from exc
        return {name: spec["value"] for name, spec in params.items()}

    def complete_service_task(self, task_id: str, result: Any) -> None:
        """Finish a ready service task with a result obtained outside the engine, and run on.

        The worker runs long connectors (the deployment) outside any transaction, then hands
        their result here; the engine stores it in the task's result variable as usual.
        """
        task = self._ready_service_task(task_id)
        operator = task.task_spec.operation_name
        services = self.script_engine.environment.services
        original = services.get(operator)
        services[operator] = lambda **_params: result
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise EngineError.from_spiff(exc) from exc
        finally:
            if original is None:
                services.pop(operator, None)
            else:
                services[operator] = original
        self.run()

    def complete_user_task(self, task_id: str, data: Mapping[str, Any]) -> None:
        """Merge submitted form data into a ready user task, complete it, and run on."""
        task = self._task(task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not waiting for input")
        task.data.update(data)
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise EngineError.from_spiff(exc) from exc
        self.run()
