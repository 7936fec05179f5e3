"""Every status word sopflow stores, in one place."""

from enum import StrEnum


class InstanceStatus(StrEnum):
    RUNNING = "running"  # the engine has work of its own (e.g. a queued service task)
    WAITING = "waiting"  # waits for a person or a timer
    SUSPENDED = "suspended"
    ERROR = "error"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


SYSTEM_ROLES = {
    "admin": "Administrator",
    "process_owner": "Pemilik proses",
}


class ServiceCallStatus(StrEnum):
    QUEUED = "queued"  # the task is ready; a worker will run it
    RUNNING = "running"  # a worker claimed it and runs it now
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ended with an error: an incident waits for an administrator
    INTERRUPTED = "interrupted"  # its worker died mid-call: never re-run without a person
    SKIPPED = "skipped"  # an administrator skipped it, with a reason
