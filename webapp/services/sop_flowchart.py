"""The SOP sheet's flowchart: a symbol in each step's lane column and the lines between them.

Permenpan-RB 35/2012 sheets draw the procedure inside the Pelaksana columns: the first and last
steps as terminators, activities as rectangles, decisions as diamonds, arrows running down and
across the lanes, and a decision's way back up to an earlier step. Table rows grow with their
text, so the symbol is a small inline SVG at the top of its cell and every line is a CSS
background on the cells it crosses: a background stretches with the row in the browser and in
WeasyPrint alike, where one drawing over the whole table could not follow the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Geometry of a lane cell in CSS px; the symbol's SVG (templates/sop_sheet) is 64 × 44.
ELBOW_Y = 5  # a line to another lane runs across the top of the next row at this height
SHAPE_MID = 24  # the symbol's middle: where a way back leaves a diamond and enters its target
SHAPE_BOTTOM = 36  # the line down to the next step starts here
RETURN = "right 4px"  # a way back runs up inside the right edge of its decision's column
SKIP = "left 4px"  # a way skipping rows runs down inside the left edge of its column
LINE = "1.5px"
# A solid line as an image. WeasyPrint paints a one-colour gradient over the whole cell,
# whatever its size: the transparent stop keeps it a real, sized gradient.
PAINT = "linear-gradient(#000 0, #000 99%, transparent 99%)"


@dataclass(frozen=True)
class FlowStep:
    """What the flowchart needs of a sheet row: its lane column and where it leads back."""

    lane: int | None
    decision: bool
    back_to: tuple[int, ...] = ()  # row indexes of earlier steps a decision returns to
    leads_on: bool = True  # goes on to the next row (a way back alone does not)
    jump_to: tuple[int, ...] = ()  # row indexes of later steps a decision skips ahead to


@dataclass
class FlowCell:
    """One lane cell of one row: its symbol (or none) and the line pieces that cross it."""

    shape: str = ""  # "terminator", "process", "decision" or "" for an empty cell
    arrow_in: str = ""  # "top" (from the step above) or "elbow" (from another lane)
    back_in: str = ""  # "right" or "left": a way back arrives at the symbol's side
    lines: list[tuple[str, str]] = field(default_factory=list)  # (position, size)

    @property
    def style(self) -> str:
        """The cell's lines as CSS backgrounds (empty when no line crosses it)."""
        if not self.lines:
            return ""
        images = ", ".join([PAINT] * len(self.lines))
        positions = ", ".join(p for p, _ in self.lines)
        sizes = ", ".join(s for _, s in self.lines)
        return (
            f"background-image: {images}; background-position: {positions}; "
            f"background-size: {sizes}; background-repeat: no-repeat"
        )


def flowchart(steps: list[FlowStep], lanes: int) -> list[list[FlowCell]]:
    """The lane cells of every row, with symbols and the lines joining consecutive steps."""
    grid = [[FlowCell() for _ in range(lanes)] for _ in steps]
    last = len(steps) - 1
    for i, step in enumerate(steps):
        if step.lane is None:
            continue
        if step.decision:
            shape = "decision"
        elif i in (0, last):
            shape = "terminator"
        else:
            shape = "process"
        grid[i][step.lane].shape = shape
    for i in range(last):
        here, below = steps[i].lane, steps[i + 1].lane
        if here is None or below is None or not steps[i].leads_on:
            continue  # a row outside every lane breaks the chart rather than guess a line
        _down(grid, i, here, below)
    for i, step in enumerate(steps):
        for j in step.back_to:
            if step.lane is not None and steps[j].lane is not None and j < i:
                _back(grid, i, step.lane, j, steps[j].lane)
        for j in step.jump_to:
            if step.lane is not None and steps[j].lane is not None and j > i + 1:
                _jump(grid, i, step.lane, j, steps[j].lane)
    return grid


def _across(row: list[FlowCell], start: int, end: int, height: str) -> None:
    """A line right across every lane cell between columns ``start`` and ``end`` (both left
    out: their own pieces join it) at ``height`` from the top."""
    for k in range(min(start, end) + 1, max(start, end)):
        row[k].lines.append((f"left {height}", "100% " + LINE))


def _down(grid: list[list[FlowCell]], i: int, here: int, below: int) -> None:
    """The arrow from step ``i`` to the next one: straight down, or across at the next row."""
    grid[i][here].lines.append((f"center {SHAPE_BOTTOM}px", f"{LINE} 100%"))
    if here == below:
        grid[i + 1][below].arrow_in = "top"
        return
    row = grid[i + 1]
    toward, back = ("right", "left") if below > here else ("left", "right")
    row[here].lines += [
        ("center top", f"{LINE} {ELBOW_Y + 1}px"),
        (f"{toward} {ELBOW_Y}px", "50% " + LINE),
    ]
    _across(row, here, below, f"{ELBOW_Y}px")
    row[below].lines.append((f"{back} {ELBOW_Y}px", "50% " + LINE))
    row[below].arrow_in = "elbow"


def _back(grid: list[list[FlowCell]], i: int, column: int, j: int, target: int) -> None:
    """A decision's way back from row ``i`` up its own column to row ``j``, then across."""
    mid = f"top {SHAPE_MID}px"
    grid[i][column].lines += [
        (f"{RETURN} top", f"{LINE} {SHAPE_MID}px"),
        (f"{RETURN} {mid}", "22% " + LINE),
    ]
    for r in range(j + 1, i):
        grid[r][column].lines.append((f"{RETURN} top", f"{LINE} 100%"))
    row = grid[j]
    row[column].lines.append((f"{RETURN} {mid}", f"{LINE} 100%"))
    if target == column:
        row[column].lines.append((f"{RETURN} {mid}", "22% " + LINE))
        row[column].back_in = "right"
        return
    if target < column:
        row[column].lines.append((f"left {mid}", "96% " + LINE))
    else:
        row[column].lines.append((f"right {mid}", "5px " + LINE))
    _across(row, column, target, mid)
    side = "right" if column > target else "left"
    row[target].lines.append((f"{side} {mid}", "30% " + LINE))
    row[target].back_in = side


def _jump(grid: list[list[FlowCell]], i: int, column: int, j: int, target: int) -> None:
    """A decision's way past the next rows: down the left of its column, then to row ``j``."""
    mid = f"top {SHAPE_MID}px"
    grid[i][column].lines += [(f"{SKIP} {mid}", f"{LINE} 100%"), (f"{SKIP} {mid}", "22% " + LINE)]
    for r in range(i + 1, j):
        grid[r][column].lines.append((f"{SKIP} top", f"{LINE} 100%"))
    row = grid[j]
    if target == column:
        row[column].lines += [
            (f"{SKIP} top", f"{LINE} {SHAPE_MID}px"),
            (f"{SKIP} {mid}", "22% " + LINE),
        ]
        row[column].back_in = "left"
        return
    row[column].lines.append((f"{SKIP} top", f"{LINE} {ELBOW_Y + 1}px"))
    if target > column:
        row[column].lines.append((f"right {ELBOW_Y}px", "96% " + LINE))
    else:
        row[column].lines.append((f"left {ELBOW_Y}px", "5px " + LINE))
    _across(row, column, target, f"{ELBOW_Y}px")
    side = "left" if target > column else "right"
    row[target].lines.append((f"{side} {ELBOW_Y}px", "50% " + LINE))
    row[target].arrow_in = "elbow"
