"""webapp.engine.scripting: diagram expressions run under RestrictedPython, never plain Python."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from service_tasks import ConnectorError
from tests.conftest import deadline
from webapp.engine.instance import EngineError, ProcessInstance
from webapp.engine.scripting import (
    MAX_ITERATIONS,
    MAX_SOURCE_CHARS,
    ExpressionError,
    RestrictedEnvironment,
    SopScriptEngine,
)

from .helpers import data_process

MARKER = "sopflow_script_ran.txt"  # the file tests/data/script_import_os.bpmn tries to create


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment()


# -- what diagrams need keeps working ----------------------------------------------------------


def test_timer_expression_evaluates(env):
    assert env.evaluate('"PT10M"', {}) == "PT10M"


@pytest.mark.parametrize(("hasil_uji", "expected"), [("gagal", True), ("berhasil", False)])
def test_condition_evaluates_against_task_data(env, hasil_uji, expected):
    assert env.evaluate('hasil_uji == "gagal"', {"hasil_uji": hasil_uji}) is expected


def test_sop_expressions_pass_validation():
    engine = SopScriptEngine()
    for expression in ('"PT10M"', '"PT2H"', 'hasil_uji == "gagal"', "aplikasi", "rilis"):
        engine.validate(expression)  # raises when refused


def test_script_assigns_plain_data_back_into_the_task_data(env):
    context = {"items": [1, 2, 3]}
    env.execute("total = 0\nfor i in items:\n    total += i\nlabel = json_dumps(total)", context)

    assert context["items"] == [1, 2, 3]
    assert (context["total"], context["label"]) == (6, "6")
    assert not any(key.startswith("_") or callable(v) for key, v in context.items())


def test_loop_of_exactly_the_budget_is_allowed(env):
    context = {"items": list(range(MAX_ITERATIONS))}
    env.execute("count = 0\nfor i in items:\n    count += 1", context)

    assert context["count"] == MAX_ITERATIONS


def test_date_today_from_the_safe_functions_evaluates(env):
    assert env.evaluate("date.today()", {}) == __import__("datetime").date.today()


# -- what is refused -------------------------------------------------------------------------

# Each script would leave a file at ``target`` (or fill the task data) if it ran unrestricted.
REFUSED_SCRIPTS = {
    "dunder-import": "__import__('os').system('touch ' + target)",
    "import-statement": "import os\nos.system('touch ' + target)",
    "from-import": "from os import system\nsystem('touch ' + target)",
    "class-bases-escape": (
        "wrap = [c for c in ().__class__.__bases__[0].__subclasses__()"
        " if c.__name__ == '_wrap_close'][0]\n"
        "wrap.__init__.__globals__['system']('touch ' + target)"
    ),
    "open-write": "open(target, 'w').write('pwned')",
    "open-etc-passwd": "leak = open('/etc/passwd').read()\nopen(target, 'w').write(leak)",
    "private-attribute": "leak = json_dumps._private\nopen(target, 'w').write('x')",
    "format-string-escape": "leak = '{0.__class__}'.format(target)",
    "while-true": "leak = 1\nwhile True:\n    pass",
    "for-over-budget-nested": (
        "count = 0\nfor i in range(500):\n    for j in range(500):\n        count += 1"
    ),
    "for-over-budget-items": "count = 0\nfor i in items:\n    count += 1",
    "comprehension-over-budget": "leak = [i * j for i in range(500) for j in range(500)]",
    "source-too-long": "leak = 1\n" + "#" * MAX_SOURCE_CHARS,
}


@pytest.mark.parametrize("script", REFUSED_SCRIPTS.values(), ids=REFUSED_SCRIPTS.keys())
def test_refused_script_raises_and_has_no_side_effect(env, tmp_path, script):
    target = tmp_path / "pwned.txt"
    context = {"target": str(target), "items": list(range(MAX_ITERATIONS + 1))}
    before = dict(context)

    with deadline(10), pytest.raises(Exception) as info:  # noqa: B017 - refusal types vary
        env.execute(script, context)

    assert not isinstance(info.value, TimeoutError), "the script was not stopped"
    assert not target.exists()
    assert context == before, "a refused script must not change the task data"


REFUSED_EXPRESSIONS = {
    "dunder-import": "__import__('os')",
    "class-bases": "().__class__.__bases__",
    "open-etc-passwd": "open('/etc/passwd').read()",
    "private-attribute": "json_dumps._private",
    "private-attribute-on-data": "hasil_uji._secret",
    "comprehension-over-budget": "len([1 for i in range(500) for j in range(500)])",
    "source-too-long": '"' + "x" * MAX_SOURCE_CHARS + '"',
}


@pytest.mark.parametrize("expression", REFUSED_EXPRESSIONS.values(), ids=REFUSED_EXPRESSIONS.keys())
def test_refused_expression_raises(env, expression):
    context = {"hasil_uji": "gagal"}
    with deadline(10), pytest.raises(Exception) as info:  # noqa: B017 - refusal types vary
        env.evaluate(expression, context)

    assert not isinstance(info.value, TimeoutError)
    assert "root:" not in str(info.value)  # nothing of /etc/passwd in the error
    assert context == {"hasil_uji": "gagal"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("while True:\n    pass", "while"),
        ("x = 1\n" * 2000, "longer than"),
        ("x = ().__class__", "__class__"),
    ],
    ids=["while", "too-long", "dunder"],
)
def test_refusals_are_expression_errors_naming_the_cause(env, source, message):
    with deadline(10), pytest.raises(ExpressionError, match=message):
        env.execute(source, {})


OVER_BUDGET = {
    # 500 x 500 = 250000 iterations; RestrictedPython's range() itself allows < 1000 items.
    "for-nested": "count = 0\nfor i in range(500):\n    for j in range(500):\n        count += 1",
    "for-over-items": "count = 0\nfor i in items:\n    count += 1",
    "comprehension": "leak = [i * j for i in range(500) for j in range(500)]",
    "generator-in-builtin": "leak = sum(1 for i in range(500) for j in range(500))",
}


@pytest.mark.parametrize("script", OVER_BUDGET.values(), ids=OVER_BUDGET.keys())
def test_loop_over_budget_is_stopped_by_the_iteration_budget(env, script):
    context = {"items": list(range(MAX_ITERATIONS + 1))}
    with deadline(10), pytest.raises(ExpressionError, match="more than 100000 loop iterations"):
        env.execute(script, context)

    assert set(context) == {"items"}


def test_budget_is_per_evaluation_not_shared(env):
    # Two loops of 60% of the budget each, in separate evaluations, both succeed.
    items = list(range(MAX_ITERATIONS * 6 // 10))
    for _ in range(2):
        context = {"items": items}
        env.execute("count = 0\nfor i in items:\n    count += 1", context)
        assert context["count"] == len(items)


# -- through the engine ----------------------------------------------------------------------


def test_diagram_script_importing_os_raises_engine_error_and_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the script touches a relative path
    process = data_process("script_import_os")

    with pytest.raises(EngineError) as info:
        ProcessInstance.start(process)

    assert isinstance(info.value.__cause__, WorkflowTaskException)
    assert not (tmp_path / MARKER).exists()
    assert list(tmp_path.iterdir()) == []


def test_the_script_diagram_does_create_the_file_under_the_stock_engine(tmp_path, monkeypatch):
    # Control for the test above: the marker file proves a script ran, so "no file" means refused.
    monkeypatch.chdir(tmp_path)
    process = data_process("script_import_os")
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs)
    workflow.script_engine = PythonScriptEngine()

    workflow.do_engine_steps()

    assert (tmp_path / MARKER).exists()


def test_failing_connector_surfaces_a_workflow_task_exception_with_its_message():
    calls = []

    def boom(**params):
        calls.append(params)
        raise ConnectorError("colocation-01 unreachable: connection refused")

    instance = ProcessInstance.start(data_process("service_boom"), services={"boom": boom})
    assert [p.operator for p in instance.pending_service_tasks()] == ["boom"]

    with pytest.raises(EngineError) as info:
        instance.run(run_service_tasks=True)

    cause = info.value.__cause__
    assert isinstance(cause, WorkflowTaskException)
    assert "colocation-01 unreachable: connection refused" in str(cause)
    assert "colocation-01 unreachable: connection refused" in str(info.value)
    assert isinstance(cause.__cause__, ConnectorError)
    chain, exc = [], info.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert not any(isinstance(e, NameError) for e in chain)
    assert calls == [{"target": "colocation-01"}]
    assert instance.completed is False


def test_unknown_connector_surfaces_a_workflow_task_exception_naming_the_operator():
    instance = ProcessInstance.start(data_process("service_boom"), services={})

    with pytest.raises(EngineError, match="unknown service operator 'boom'") as info:
        instance.run(run_service_tasks=True)

    assert isinstance(info.value.__cause__, WorkflowTaskException)


# -- red-team finding 2: no script can stop the process that runs it --------------------------


@pytest.mark.parametrize(
    "name", ["SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException"]
)
def test_scripts_cannot_name_a_process_exit(env, name):
    with pytest.raises(ExpressionError, match=f"'{name}' is not allowed"):
        env.execute(f"raise {name}(0)", {})


def test_an_exit_raised_inside_the_sandbox_comes_back_as_an_expression_error(env):
    # Even if a script found a way to raise SystemExit, it happens in the sandbox process;
    # the caller gets an ExpressionError and this process goes on.
    from webapp.engine import sandbox

    with pytest.raises(ExpressionError, match="SystemExit"):
        sandbox.run("exec", "raise SystemExit(0)", {})  # bypasses the compile-time refusal
    assert env.evaluate("1 + 1", {}) == 2


# -- red-team finding 3: bounded expressions --------------------------------------------------

GUARDED = {
    "huge-power": ("7**(10**7) % 10 == 1", "number too large"),
    "pow-builtin": ("pow(7, 10**7)", "number too large"),
    "huge-repeat": ("len('x' * (3 * 10**8))", "sequence too large"),
    "repeat-list": ("len([0] * 10**6 * 10)", "sequence too large"),
    "huge-shift": ("1 << 10**9", "number too large"),
    "product-of-powers": ("(2**90000) * (2**90000)", "number too large"),
}


@pytest.mark.parametrize(("expression", "message"), GUARDED.values(), ids=GUARDED.keys())
def test_guards_refuse_huge_results_before_computing_them(env, expression, message):
    with deadline(10), pytest.raises(ExpressionError, match=message):
        env.evaluate(expression, {})


def test_augmented_power_is_guarded_too(env):
    with deadline(10), pytest.raises(ExpressionError, match="number too large"):
        env.execute("x = 7\nx **= 10**7", {})


def test_values_inside_the_limits_still_compute(env):
    assert env.evaluate("2**64", {}) == 18446744073709551616
    assert env.evaluate("len('ab' * 1000)", {}) == 2000
    assert env.evaluate("pow(3, 10**9, 7)", {}) == pow(3, 10**9, 7)  # modular: stays small


def test_memory_budget_ends_a_huge_allocation_and_the_next_evaluation_works(env):
    with deadline(20), pytest.raises(ExpressionError, match="more memory than its budget"):
        env.evaluate("len('x'.ljust(10**9))", {})
    assert env.evaluate("len('x'.ljust(1000))", {}) == 1000


def test_time_budget_ends_work_no_guard_sees_and_the_next_evaluation_works(env):
    from webapp.engine import sandbox

    seconds = sandbox.BUDGET.seconds
    sandbox.configure(seconds=0.5)
    try:
        with deadline(30), pytest.raises(ExpressionError, match="time budget of 0.5 s"):
            env.evaluate("len([max(a) for a in [[0] * 10**6] * 10000])", {})
        assert env.evaluate("1 + 1", {}) == 2
    finally:
        sandbox.configure(seconds=seconds)


def test_a_result_that_is_not_data_is_refused(env):
    context = {"items": [1, 2]}
    with pytest.raises(ExpressionError, match="cannot pickle 'generator'"):
        env.execute("lazy = (i for i in items)", context)
    assert context == {"items": [1, 2]}


def test_a_script_changes_task_data_in_place_as_before(env):
    context = {"items": [1, 2], "keep": "x"}
    env.execute("items.append(3)\nnew = len(items)", context)
    assert context == {"items": [1, 2, 3], "keep": "x", "new": 3}


def test_a_sandbox_killed_while_idle_is_replaced(env):
    import os
    import signal as signals

    from webapp.engine import sandbox

    env.evaluate("1", {})
    for child in list(sandbox._POOL.idle):
        os.kill(child.proc.pid, signals.SIGKILL)
        child.proc.wait()
    assert env.evaluate("2 + 2", {}) == 4


def test_a_reply_naming_code_is_refused_by_the_parent():
    # The parent unpickles sandbox replies with an allow-list of data types: a reply that
    # names a function (what a subverted child could send) never reaches the workflow.
    import os
    import pickle

    from webapp.engine import sandbox

    with pytest.raises(ExpressionError, match="not plain data"):
        sandbox._loads(pickle.dumps(("ok", os.system)))
    assert sandbox._loads(pickle.dumps(("ok", {"a": {1, 2}}))) == ("ok", {"a": {1, 2}})


def test_the_sandbox_process_holds_none_of_this_processs_secrets(env, monkeypatch):
    # Red team: a diagram printed the worker's whole environment. The sandbox child starts
    # with an empty environment, so even a script that escaped the restrictions finds nothing.
    from pathlib import Path

    from webapp.engine import sandbox

    monkeypatch.setenv("SOPFLOW_SECRET_KEY", "canary-secret-4711")
    sandbox._POOL.clear()
    assert env.evaluate("1 + 1", {}) == 2
    [child] = sandbox._POOL.idle
    environ = Path(f"/proc/{child.proc.pid}/environ").read_bytes()
    assert b"canary-secret-4711" not in environ and b"SOPFLOW_" not in environ
    assert Path(f"/proc/{child.proc.pid}/cwd").resolve() == Path("/")
