"""Staff actions on cases and their tasks: start, open, claim, release, complete.

``instance_actions`` acts on a case as a whole, ``task_actions`` on one task, both through the
load–act–save core in ``services.runtime``; ``form_input`` takes a submission in.
"""

from ..runtime import tasks_of
from .instance_actions import (
    Started,
    can_start,
    instance_for,
    start_and_next,
    start_form,
    start_instance,
)
from .task_actions import (
    Completed,
    claim_task,
    complete_and_next,
    complete_task,
    release_task,
    task_for,
    task_form,
)

__all__ = [
    "Completed",
    "Started",
    "can_start",
    "complete_and_next",
    "claim_task",
    "complete_task",
    "instance_for",
    "release_task",
    "start_and_next",
    "start_form",
    "start_instance",
    "task_for",
    "task_form",
    "tasks_of",
]
