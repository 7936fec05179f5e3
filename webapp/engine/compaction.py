"""Keep a looping case's state small: drop finished history the engine no longer reads."""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

# Compact only when it removes at least this many tasks: a case without loops never does.
COMPACT_THRESHOLD = 40


def compact(wf: BpmnWorkflow) -> int:
    """Drop finished history above the point where every unfinished task branches off.

    A failed test loops back to troubleshooting and each loop appends its tasks below the
    last ones, so the tree (and the cost of every later step) grows with the loop count.
    Tasks above the lowest common ancestor of all unfinished tasks are finished and no
    longer read by the engine: joins, boundary events and gateways look only at ancestors
    below that point, and that ancestor has already inherited its data. The people's
    history is kept in sopflow's own tables, not in this tree. Returns how many were removed.
    """
    if wf.subprocesses:
        return 0  # subprocess parents are referenced by id across trees: leave them be
    unfinished = [t for t in wf.tasks.values() if t.has_state(TaskState.NOT_FINISHED_MASK)]
    if not unfinished:
        return 0
    root = wf.task_tree
    path = _path(unfinished[0])
    for task in unfinished[1:]:
        ancestors = set(id(t) for t in _path(task))
        while path and id(path[-1]) not in ancestors:
            path.pop()
    if len(path) < 3:
        return 0
    keep = path[-1]
    if not keep.has_state(TaskState.COMPLETED | TaskState.READY | TaskState.WAITING):
        return 0
    removed = _subtree_ids(root) - _subtree_ids(keep) - {root.id}
    if len(removed) < COMPACT_THRESHOLD:
        return 0
    for task_id in removed:
        del wf.tasks[task_id]
    root._children = [keep.id]
    keep._parent = root.id
    if wf.last_task is not None and wf.last_task.id in removed:
        wf.last_task = keep
    return len(removed)


def _path(task: Task) -> list[Task]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    return path[::-1]


def _subtree_ids(task: Task) -> set:
    ids, stack = set(), [task]
    while stack:
        current = stack.pop()
        ids.add(current.id)
        stack.extend(current.children)
    return ids
