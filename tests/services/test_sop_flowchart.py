"""The SOP sheet's flowchart cells: which symbol each lane cell draws and which lines cross it."""

from __future__ import annotations

from webapp.services.sop_flowchart import FlowStep, flowchart


def lines(cell) -> list[str]:
    return [position for position, _ in cell.lines]


def test_first_and_last_are_terminators_and_a_step_with_two_ways_a_diamond():
    grid = flowchart(
        [FlowStep(0, False), FlowStep(0, False), FlowStep(1, True, (1,)), FlowStep(1, False)],
        2,
    )
    assert [[c.shape for c in row] for row in grid] == [
        ["terminator", ""],
        ["process", ""],
        ["", "decision"],
        ["", "terminator"],
    ]
    # Straight down in one lane; across at the top of the next row into another lane.
    assert grid[1][0].arrow_in == "top" and grid[2][1].arrow_in == "elbow"
    assert "right 5px" in lines(grid[2][0]) and "left 5px" in lines(grid[2][1])
    # The way back from row 3 (lane 2) to row 2 (lane 1) runs up its own column, then across.
    assert grid[1][0].back_in == "right"
    assert "right 4px top" in lines(grid[2][1])
    assert "right 4px top 24px" in lines(grid[1][1])


def test_a_step_whose_only_way_goes_back_draws_no_arrow_to_the_next_row():
    grid = flowchart(
        [FlowStep(0, False), FlowStep(1, False, (0,), leads_on=False), FlowStep(2, False)], 3
    )
    assert grid[2][2].arrow_in == ""
    assert not any("center 36px" == p for p in lines(grid[1][1]))
    assert grid[0][0].back_in == "right" and grid[1][1].arrow_in == "elbow"


def test_style_is_empty_without_lines_and_sized_gradients_with_them():
    grid = flowchart([FlowStep(0, False), FlowStep(0, False)], 2)
    assert grid[0][1].style == ""
    style = grid[0][0].style
    assert "transparent 99%" in style and "background-size: 1.5px 100%" in style


def test_a_way_past_the_next_row_runs_down_its_column_and_enters_from_above():
    grid = flowchart(
        [
            FlowStep(0, True, jump_to=(3,)),
            FlowStep(1, False),
            FlowStep(1, False),
            FlowStep(2, False),
        ],
        3,
    )
    assert "left 4px top 24px" in lines(grid[0][0])
    assert "left 4px top" in lines(grid[1][0]) and "left 4px top" in lines(grid[2][0])
    assert grid[3][2].arrow_in == "elbow" and "left 5px" in lines(grid[3][1])
