"""What the script sandbox costs, and how long the worst expressions and patterns now take.

Usage: .venv/bin/python bench/sandbox.py [--rounds N]

Prints: one condition evaluated in this process (RestrictedPython alone) and through the
sandbox process; the SOP's five steps run by the engine both ways (the engine floor, no
database); then the time to answer each hostile expression and form pattern from the red-team
report and the worst we could build under the limits. The last line is the sandboxed SOP run
over the in-process one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine.helpers import (  # noqa: E402
    STEP1,
    STEP2,
    STEP3,
    STEP4_FAIL,
    STEP4_PASS,
    TASK_1,
    TASK_2,
    TASK_3,
    TASK_4,
    sop_process,
)
from webapp.engine import restricted, sandbox  # noqa: E402
from webapp.engine.instance import ProcessInstance  # noqa: E402
from webapp.engine.patterns import compile_pattern  # noqa: E402
from webapp.engine.scripting import ExpressionError, RestrictedEnvironment  # noqa: E402


def _in_process(mode, source, context, external=None):
    if mode == "eval":
        return restricted.evaluate(source, context, external)
    return restricted.execute(source, context, external)


def median_ms(action, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        action()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def sop_run() -> None:
    """The SOP with one failed test: every condition and timer expression it evaluates."""
    process = sop_process()
    instance = ProcessInstance.start(process)
    steps = [
        (TASK_1, STEP1),
        (TASK_2, STEP2),
        (TASK_3, STEP3),
        (TASK_4, STEP4_FAIL),
        (TASK_3, STEP3),
        (TASK_4, STEP4_PASS),
    ]
    for bpmn_id, data in steps:
        instance = ProcessInstance.load(process, instance.dump())
        [task] = [t for t in instance.ready_user_tasks() if t.bpmn_id == bpmn_id]
        instance.complete_user_task(task.id, data)


def timed(label: str, action) -> None:
    t0 = time.perf_counter()
    try:
        outcome = f"answered {str(action())[:40]!r}"
    except ExpressionError as exc:
        outcome = f"refused: {str(exc)[:70]}"
    print(f"  {(time.perf_counter() - t0) * 1000:9.1f} ms  {label:<48} {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    env = RestrictedEnvironment()
    context = {"hasil_uji": "gagal", "catatan": "x" * 2000, "anggota_tim": ["tim1", "tim2"]}
    env.evaluate("1", {})  # start the sandbox process once

    print("one condition (hasil_uji == 'gagal'), median of", args.rounds * 20)
    inline = median_ms(lambda: restricted.evaluate('hasil_uji == "gagal"', context, None), 600)
    boxed = median_ms(lambda: env.evaluate('hasil_uji == "gagal"', context), args.rounds * 20)
    print(f"  in process {inline:.3f} ms   sandbox {boxed:.3f} ms")

    print(f"the SOP, 6 steps with load and dump around each, median of {args.rounds}")
    sop_run()
    boxed_run = median_ms(sop_run, args.rounds)
    with mock.patch.object(sandbox, "run", _in_process):
        sop_run()
        inline_run = median_ms(sop_run, args.rounds)
    print(f"  in process {inline_run:.1f} ms   sandbox {boxed_run:.1f} ms")

    budget = sandbox.BUDGET
    print(f"hostile expressions (budget {budget.seconds:g} s, {budget.memory_mb} MB)")
    for label, source in [
        ("red team: 7**(10**7) % 10 == 1", "7**(10**7) % 10 == 1"),
        ("red team: 'x' * (3 * 10**8)", "len('x' * (3 * 10**8))"),
        ("largest power allowed: 2**99999", "(2**99999) % 10**100"),
        ("1 GB through str.ljust", "len('x'.ljust(10**9))"),
        ("200 MB through str.ljust", "len('x'.ljust(2 * 10**8))"),
        ("C loops no guard sees (max x 10,000)", "len([max(a) for a in [[0] * 10**6] * 10000])"),
    ]:
        timed(label, lambda source=source: env.evaluate(source, {}))

    print("form patterns (RE2), one submission")
    for label, pattern, text in [
        ("red team: ^(a+)+$, 27 characters", r"^(a+)+$", "a" * 27 + "!"),
        ("^(a+)+$, 10,000 characters (the limit)", r"^(a+)+$", "a" * 9_999 + "!"),
        ("(.*a){20}, 10,000 characters", r"(.*a){20}", "ab" * 5_000),
        ("(.*a){100}, 10,000 characters", r"(.*a){100}", "ab" * 5_000),
        ("(.*a){180} (largest program), 5,000 chars", r"(.*a){180}", "ab" * 2_500),
        ("(a|b)*a(a|b){20}$, 10,000 characters", r"(a|b)*a(a|b){20}$", "ab" * 5_000),
    ]:
        regex = compile_pattern(pattern)
        timed(label, lambda regex=regex, text=text: regex.search(text) is not None)

    print(f"ratio: {boxed_run / inline_run:.2f}")


if __name__ == "__main__":
    main()
