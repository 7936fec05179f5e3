"""Service tasks run by the worker: queue, claim, run outside any transaction, finish.

A ready service task becomes a ``service_call`` row (queued) in the transaction that made it
ready. A worker claims the row (running) and commits before the connector starts, so a call is
attempted at most once per attempt: a worker that dies mid-call leaves the row running, and
the next sweep marks it interrupted with an incident instead of running it again. Retrying is
a person's decision and creates a new attempt.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from service_tasks import REGISTRY, ParameterError, call_connector, check_params

from ..engine.instance import EngineError
from ..extensions import db
from ..models import (
    Incident,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    User,
)
from ..models.types import utcnow
from . import audit, notifications, reports, runtime
from .errors import Conflict, Forbidden

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
LOG_FLUSH_SECONDS = 1.0
HEARTBEAT_TIMEOUT_SECONDS = 120
MAX_LOG_CHARS = 240_000
ACTIVE = (ServiceCallStatus.QUEUED, ServiceCallStatus.RUNNING)
CLAIM_ATTEMPTS = 5  # calls taken by another thread under our eyes before we call it a day
_running_here: set[int] = set()  # calls this process's threads are running now
_running_lock = threading.Lock()


# -- the worker's side ----------------------------------------------------------------------


def mark_interrupted(now=None) -> int:
    """Turn calls whose worker died into incidents; return how many.

    Calls this process is running right now (on its ``--concurrency`` threads) are alive by
    definition: their heartbeat is renewed here, so that neither this sweep nor another
    worker's takes a quiet deployment for a dead one.
    """
    now = now or utcnow()
    with _running_lock:
        ours = set(_running_here)
    if ours:
        # By primary key alone: a condition on the status would lock the status index first,
        # the opposite order to a runner finishing its call (MariaDB deadlocked on it). A call
        # that finished meanwhile keeps a newer heartbeat, which nothing reads.
        db.session.execute(
            update(ServiceCall).where(ServiceCall.id.in_(sorted(ours))).values(heartbeat_at=now)
        )
        db.session.commit()  # at once: the runners lock these rows when their calls finish
    stale = []
    for call in db.session.scalars(
        select(ServiceCall).where(ServiceCall.status == ServiceCallStatus.RUNNING)
    ):
        if call.id in ours:
            continue
        if _worker_is_dead(call.worker) or (
            call.heartbeat_at is not None
            and (now - call.heartbeat_at).total_seconds() > HEARTBEAT_TIMEOUT_SECONDS
        ):
            stale.append(call.id)
    for call_id in stale:
        call = db.session.scalar(
            select(ServiceCall)
            .where(ServiceCall.id == call_id, ServiceCall.status == ServiceCallStatus.RUNNING)
            .with_for_update(skip_locked=True)
        )
        if call is None:
            continue
        call.status = ServiceCallStatus.INTERRUPTED
        call.finished_at = now
        call.error = _("Worker berhenti di tengah pemanggilan; hasilnya tidak diketahui.")
        _incident(call, call.error)
    db.session.commit()
    return len(stale)


def _worker_is_dead(worker: str) -> bool:
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only the heartbeat can tell
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _incident(call: ServiceCall, message: str) -> None:
    instance = db.session.get(ProcessInstance, call.instance_id)
    instance.status = InstanceStatus.ERROR
    db.session.add(
        Incident(
            instance_id=call.instance_id,
            kind="service",
            element=call.bpmn_id,
            service_call_id=call.id,
            message=message,
        )
    )
    audit.record("service.failed", None, instance, call=call.id, attempt=call.attempt)


def claim_next() -> ServiceCall | None:
    """Take the oldest queued call of a running instance, mark it running, commit.

    The row is locked and skipped by other workers (SKIP LOCKED) and the update is conditional
    on it still being queued: SQLite ignores FOR UPDATE, and the threads of one worker
    (``--concurrency``) would otherwise both take a call they read at the same moment.
    """
    for _attempt in range(CLAIM_ATTEMPTS):
        call = db.session.scalar(
            select(ServiceCall)
            .join(ProcessInstance, ProcessInstance.id == ServiceCall.instance_id)
            .where(
                ServiceCall.status == ServiceCallStatus.QUEUED,
                ProcessInstance.status == InstanceStatus.RUNNING,
            )
            .order_by(ServiceCall.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=ServiceCall)
        )
        if call is None:
            db.session.rollback()
            return None
        now = utcnow()
        # Its due time was set when it was queued (runtime.queue_pending): not moved here.
        claimed = db.session.execute(
            update(ServiceCall)
            .where(ServiceCall.id == call.id, ServiceCall.status == ServiceCallStatus.QUEUED)
            .values(
                status=ServiceCallStatus.RUNNING,
                started_at=now,
                heartbeat_at=now,
                worker=WORKER_ID,
            )
        ).rowcount
        if claimed != 1:  # another thread took it between our read and our write
            db.session.rollback()
            continue
        audit.record(
            "service.started",
            None,
            db.session.get(ProcessInstance, call.instance_id),
            call=call.id,
            operator=call.operator,
            attempt=call.attempt,
        )
        db.session.commit()
        return call
    return None


class _LogSink:
    """Collect output lines and write them to the row about once a second (live view)."""

    def __init__(self, call_id: int) -> None:
        self.call_id = call_id
        self.lines: list[str] = []
        self.size = 0
        self.flushed = 0
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self.lock:
            self.lines.append(line if line.endswith("\n") else line + "\n")
            self.size += len(line)
        if time.monotonic() - self.last >= LOG_FLUSH_SECONDS:
            self.flush()

    def text(self) -> str:
        text = "".join(self.lines)
        if len(text) > MAX_LOG_CHARS:
            text = text[:20_000] + "\n… (dipotong) …\n" + text[-(MAX_LOG_CHARS - 20_000) :]
        return text

    def flush(self) -> None:
        self.last = time.monotonic()
        db.session.execute(
            update(ServiceCall)
            .where(ServiceCall.id == self.call_id, ServiceCall.status == ServiceCallStatus.RUNNING)
            .values(log=self.text(), heartbeat_at=utcnow())
        )
        db.session.commit()


def execute(call: ServiceCall, context: Callable[[ServiceCall], dict] | None = None):
    """Run the connector outside any transaction; return (result, error, log, exit code).

    Only the parameters the connector declares reach it: a row holding any other (a diagram
    published without lint, an edited row), missing a required one or with a value of the wrong
    type is refused without calling anything.
    """
    connector = REGISTRY.get(call.operator)
    sink = _LogSink(call.id)
    if connector is None:
        return None, _("Operator layanan tidak dikenal: %(op)s", op=call.operator), "", None
    if call.error:  # its parameters could not be evaluated when the step became ready
        return None, _("Parameter tidak dapat dihitung: %(e)s", e=call.error), "", None
    try:
        params = check_params(connector, call.parameters or {})
    except ParameterError as exc:
        log.warning("service call %s refused: %s", call.id, exc)
        refused = _("Pemanggilan %(op)s ditolak: %(cause)s", op=call.operator, cause=str(exc))
        return None, refused, "", None
    hooks: dict[str, Any] = {}
    if connector.long_running:
        hooks["on_output"] = sink
    if connector.needs_case and context is not None:
        hooks["case"] = context(call)
    try:
        result = call_connector(connector, params, **hooks)
    except Exception as exc:  # noqa: BLE001 - every connector failure becomes an incident
        cause = getattr(exc, "cause", None) or str(exc) or type(exc).__name__
        output = getattr(exc, "log", None) or sink.text()
        return None, cause, output, getattr(exc, "exit_code", None)
    output = sink.text() or (result.get("log", "") if isinstance(result, dict) else "")
    exit_code = result.get("exit_code") if isinstance(result, dict) else None
    return result, None, output, exit_code


def finish(
    call_id: int, result: Any, error: str | None, output: str, exit_code, on_success=None
) -> None:
    """Record a call's end and, on success, let the engine run on; one transaction.

    ``on_success(row, call, result)`` runs inside the transaction with the connector's full
    result (a report's HTML and PDF are stored as attachments there, not in the state).
    """
    call = db.session.get(ServiceCall, call_id)
    row = runtime.lock_instance(call.instance_id)
    call = db.session.scalar(
        select(ServiceCall)
        .where(ServiceCall.id == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    now = utcnow()
    stored_log = output[-MAX_LOG_CHARS:] if output else ""
    if call.status != ServiceCallStatus.RUNNING:
        # Marked interrupted meanwhile (e.g. a heartbeat gap): keep the record, change nothing.
        call.log = (call.log or "") + "\n" + stored_log
        db.session.commit()
        return
    call.finished_at = now
    call.log = stored_log
    call.exit_code = exit_code
    if error is not None:
        call.status = ServiceCallStatus.FAILED
        call.error = error
        _incident(call, error)
        db.session.commit()
        return
    raw = result
    result = runtime.jsonable(
        {k: v for k, v in result.items() if k not in ("pdf", "html")}
        if isinstance(result, dict)
        else result
    )
    if isinstance(result, dict):
        result.pop("log", None)
        result.pop("pdf", None)
        result.pop("html", None)
    try:
        engine = runtime.load(row)
        engine.complete_service_task(call.spiff_task_id, result)
    except EngineError as exc:
        call.status = ServiceCallStatus.FAILED
        call.error = str(exc)
        _incident(call, str(exc))
        db.session.commit()
        return
    call.status = ServiceCallStatus.SUCCEEDED
    call.result = result if isinstance(result, dict) else {"value": result}
    audit.record("service.succeeded", None, row, call=call.id, operator=call.operator)
    runtime.sync_rows(row, engine)
    connector = REGISTRY.get(call.operator)
    if connector is not None and connector.delivers:
        # The message reaches its people exactly when the step is recorded, never twice.
        sent = notifications.deliver_case_notice(row, raw)
        audit.record("case.notified", None, row, call=call.id, recipients=len(sent))
    if on_success is not None:
        on_success(row, call, raw)
    db.session.commit()


def run_queued(limit: int = 20) -> int:
    """Claim and run queued calls until none is left (or ``limit``); return how many ran."""
    mark_interrupted()
    ran = 0
    while ran < limit and run_next():
        ran += 1
    return ran


def run_next() -> bool:
    """Claim the next queued call and run it to its end; return False when none was queued."""
    call = claim_next()
    if call is None:
        return False
    call_id = call.id
    with _running_lock:
        _running_here.add(call_id)
    try:
        result, error, output, exit_code = execute(call, reports.case_context)
        connector = REGISTRY.get(call.operator)
        hook = reports.store if connector is not None and connector.stores_document else None
        _finish_retrying(call_id, result, error, output, exit_code, hook)
    except Exception as exc:  # noqa: BLE001 - one call's failure must not stop the worker
        db.session.rollback()
        log.exception("service call %s failed outside its connector", call_id)
        _fail_running(call_id, f"{type(exc).__name__}: {exc}")
    finally:
        with _running_lock:
            _running_here.discard(call_id)
    return True


# A deadlock victim (InnoDB 1213), a lock wait that timed out (1205) or PostgreSQL's deadlock
# and serialization failures: the database rolled the transaction back, so it may be tried again.
TRANSIENT = {1205, 1213, "40P01", "40001"}
FINISH_ATTEMPTS = 3


def _transient(exc: OperationalError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or (getattr(orig, "args", None) or [None])[0]
    return code in TRANSIENT


def _finish_retrying(call_id: int, result, error, output, exit_code, hook) -> None:
    """``finish``, tried again when the database chose it as a deadlock victim: calls finishing
    on several threads and workers at once lock cases, calls and their indexes in turn. The
    connector's work is done and kept; only its recording is repeated."""
    for attempt in range(1, FINISH_ATTEMPTS + 1):
        try:
            finish(call_id, result, error, output, exit_code, on_success=hook)
            return
        except OperationalError as exc:
            db.session.rollback()
            if attempt == FINISH_ATTEMPTS or not _transient(exc):
                raise
            log.warning("service call %s: recording its end again (%s)", call_id, exc.orig)


def _fail_running(call_id: int, message: str) -> None:
    """Turn a call still marked running into a failure with an incident (own transaction)."""
    try:
        call = db.session.scalar(
            select(ServiceCall)
            .where(ServiceCall.id == call_id, ServiceCall.status == ServiceCallStatus.RUNNING)
            .with_for_update()
        )
        if call is not None:
            call.status = ServiceCallStatus.FAILED
            call.finished_at = utcnow()
            call.error = message[:2000]
            _incident(call, call.error)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the next sweep's interrupted check is the fallback
        db.session.rollback()
        log.exception("could not mark service call %s as failed", call_id)


# -- an administrator's side ---------------------------------------------------------------


def check_may_repair(user: User) -> None:
    """Raise Forbidden unless ``user`` may retry or skip a failed step (administrators); the
    views ask it first, so a refusal is never preceded by a remark on the form."""
    if not user.has_role("admin"):
        raise Forbidden(_("Hanya administrator yang dapat mengulang atau melewati langkah."))


def _failed_call(user: User, instance_id: int) -> tuple[ProcessInstance, ServiceCall]:
    check_may_repair(user)
    row = runtime.lock_instance(instance_id)
    call = db.session.scalar(
        select(ServiceCall)
        .where(ServiceCall.instance_id == instance_id)
        .order_by(ServiceCall.id.desc())
        .limit(1)
        .with_for_update()
    )
    if call is None or call.status not in (
        ServiceCallStatus.FAILED,
        ServiceCallStatus.INTERRUPTED,
    ):
        raise Conflict(_("Tidak ada pemanggilan layanan yang gagal pada kasus ini."))
    return row, call


def retry(user: User, instance_id: int, reason: str = "") -> ServiceCall:
    """Queue a new attempt of the failed call (an administrator's decision)."""
    row, call = _failed_call(user, instance_id)
    attempt = call.attempt + 1
    parameters, error = call.parameters, ""
    if not parameters:
        # Never evaluated (an expression failed when the step became ready): try again now.
        parameters, error = runtime.service_params(runtime.load(row), call.spiff_task_id)
    new = runtime.new_call(
        row,
        call.spiff_task_id,
        call.bpmn_id,
        call.name,
        call.operator,
        parameters,
        error=error,
        attempt=attempt,
        reason=reason,
        # The same step, still due when it first became ready: a retry earns no new time.
        due_at=call.due_at,
    )
    runtime.resolve_incidents(row, user, _("Diulang (percobaan %(n)s)", n=attempt))
    row.status = InstanceStatus.RUNNING
    audit.record("service.retried", user, row, call=call.id, attempt=attempt, reason=reason)
    db.session.commit()
    return new


def skip(user: User, instance_id: int, reason: str) -> ServiceCall:
    """Finish the failed step without running it, with a reason (an administrator's decision)."""
    check_may_repair(user)
    if not reason.strip():
        raise Conflict(_("Alasan wajib diisi untuk melewati langkah."))
    row, call = _failed_call(user, instance_id)
    engine = runtime.load(row)
    result = {"skipped": True, "reason": reason, "by": user.username}
    engine.complete_service_task(call.spiff_task_id, result)
    call.status = ServiceCallStatus.SKIPPED
    call.reason = reason
    runtime.resolve_incidents(row, user, _("Dilewati: %(r)s", r=reason))
    row.status = InstanceStatus.RUNNING
    audit.record("service.skipped", user, row, call=call.id, reason=reason)
    runtime.sync_rows(row, engine)
    db.session.commit()
    return call


def calls_of(instance_id: int) -> list[ServiceCall]:
    """Every service call of an instance, oldest first."""
    return list(
        db.session.scalars(
            select(ServiceCall)
            .where(ServiceCall.instance_id == instance_id)
            .order_by(ServiceCall.id)
        )
    )
