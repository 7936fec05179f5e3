"""Where an imported diagram's shapes go: lane by lane, one column per row, left to right.

Each lane is a horizontal band as tall as a step with its time standard beneath it (the
escalation row the modeler draws, ``static/modeler/standard-layout.js``); each row of the
table takes the next column, so the diagram reads like the document's flowchart. A flow to the
next column runs straight across (turning once into another lane); a flow back to an earlier
row, or further ahead, runs along the top of its lane, above every shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import Flow, Node, Plan

POOL_X, TOP = 160, 80
LANE_X = POOL_X + 30  # the pool's own label band
FIRST = LANE_X + 40  # the first column's left edge
COLUMN = 260
LANE_HEIGHT = 220
TASK_W, TASK_H = 130, 80
EVENT = 36
GATEWAY = 50
BRANCH_END_STEP = 56
CORRIDOR = 14  # below a lane's top edge: where flows going back run


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def cx(self) -> int:
        return self.x + self.width // 2

    @property
    def cy(self) -> int:
        return self.y + self.height // 2

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


@dataclass
class Layout:
    pool: Box
    lanes: list[Box]
    shapes: dict[str, Box]
    edges: dict[str, list[tuple[int, int]]]
    labels: dict[str, Box]  # of flows and of timers (left of the way to the escalation)


def lay_out(plan: Plan) -> Layout:
    """Place every node of ``plan`` and route every flow."""
    heights = [LANE_HEIGHT] * len(plan.lanes)
    for node in plan.nodes:
        if node.role == "branch_end":
            needed = 52 + (node.index + 1) * BRANCH_END_STEP
            heights[node.lane] = max(heights[node.lane], needed)
    tops = [TOP + sum(heights[:i]) for i in range(len(heights))]
    width = (FIRST - LANE_X) + plan.slots * COLUMN + 40
    lanes = [Box(LANE_X, top, width, h) for top, h in zip(tops, heights, strict=True)]
    pool = Box(POOL_X, TOP, width + (LANE_X - POOL_X), sum(heights))
    shapes = {node.id: _place(node, tops[node.lane]) for node in plan.nodes}
    labels: dict[str, Box] = {
        node.id: Box(shapes[node.id].x - 51, shapes[node.id].y + 22, 50, 27)
        for node in plan.nodes
        if node.role == "timer"
    }
    lane_of = {node.id: node.lane for node in plan.nodes}
    slot_of = {node.id: node.slot for node in plan.nodes}
    edges: dict[str, list[tuple[int, int]]] = {}
    for flow in plan.flows:
        points = _route(flow, shapes, lane_of, slot_of, tops)
        edges[flow.id] = points
        if flow.name:
            (x1, y1), (x2, y2) = points[0], points[1]
            wide = min(120, 8 + 6 * len(flow.name))
            labels[flow.id] = Box((x1 + x2) // 2 - wide // 2, min(y1, y2) - 18, wide, 14)
    return Layout(pool, lanes, shapes, edges, labels)


def _place(node: Node, top: int) -> Box:
    x = FIRST + node.slot * COLUMN
    mid = top + 30 + TASK_H // 2  # a step's centre line in its lane
    if node.role == "step":
        return Box(x, top + 30, TASK_W, TASK_H)
    if node.role == "gateway":
        return Box(x + TASK_W + 30, mid - GATEWAY // 2, GATEWAY, GATEWAY)
    if node.role == "timer":  # on the step's bottom edge, towards its right (as the modeler)
        return Box(x + TASK_W * 7 // 10 - EVENT // 2, top + 30 + TASK_H - EVENT // 2, EVENT, EVENT)
    if node.role == "escalation":
        return Box(x + TASK_W - 10, top + 130, 100, TASK_H)
    if node.role == "escalation_end":
        return Box(x + TASK_W + 110, top + 170 - EVENT // 2, EVENT, EVENT)
    if node.role == "branch_end":
        return Box(x + 32, mid - EVENT // 2 + node.index * BRANCH_END_STEP, EVENT, EVENT)
    return Box(x + 32, mid - EVENT // 2, EVENT, EVENT)  # start and end events


def _route(
    flow: Flow,
    shapes: dict[str, Box],
    lane_of: dict[str, int],
    slot_of: dict[str, int],
    tops: list[int],
) -> list[tuple[int, int]]:
    source, target = shapes[flow.source], shapes[flow.target]
    if flow.source.startswith("Timer_"):  # down from the timer, across to its escalation
        return [(source.cx, source.bottom), (source.cx, target.cy), (target.x, target.cy)]
    ahead = target.x > source.right and slot_of[flow.target] <= slot_of[flow.source] + 1
    if ahead:
        if source.cy == target.cy:
            return [(source.right, source.cy), (target.x, target.cy)]
        if target.cy > source.cy:
            return [(source.right, source.cy), (target.cx, source.cy), (target.cx, target.y)]
        # Up into a step's bottom edge: left of its timer and the way to its escalation.
        x = target.x + 20 if target.width == TASK_W else target.cx
        return [(source.right, source.cy), (x, source.cy), (x, target.bottom)]
    # Back (a loop) or several columns ahead: along the top of the source's lane.
    corridor = tops[lane_of[flow.source]] + CORRIDOR
    shift = 12 if target.cx < source.cx else -12  # keep the way in apart from the way out
    if lane_of[flow.target] >= lane_of[flow.source]:
        x, edge = target.cx + shift, target.y
    else:  # up into the bottom edge, left of the timer as above
        x, edge = (target.x + 20 if target.width == TASK_W else target.cx), target.bottom
    return [(source.cx, source.y), (source.cx, corridor), (x, corridor), (x, edge)]
