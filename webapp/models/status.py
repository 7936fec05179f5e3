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
