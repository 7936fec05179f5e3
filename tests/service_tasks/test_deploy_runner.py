"""service_tasks.deploy.runner: streamed output, a bounded log, and nothing left running."""

from __future__ import annotations

import pytest

from service_tasks.deploy.runner import BoundedLog, Runner

from .deploy_support import is_running

ENV = {"PATH": "/usr/bin:/bin"}


def test_the_log_keeps_head_and_tail_and_says_how_much_was_dropped_between() -> None:
    log = BoundedLog(head=8, tail=12)
    for line in (b"kepala\n", b"tengah-1\n", b"tengah-2\n", b"ekor-1\n", b"ekor-2\n"):
        log.add(line)

    # The tail starts on a whole line; the count covers the cut-off part of a line too.
    assert log.text() == "kepala\nt\n… (24 bytes dropped) …\nekor-2\n"


def test_a_short_log_is_kept_whole() -> None:
    log = BoundedLog(head=8, tail=12)
    log.add(b"satu\n")
    log.add(b"dua\n")

    assert log.text() == "satu\ndua\n"


def test_output_is_streamed_and_the_exit_status_and_failure_line_are_kept() -> None:
    lines: list[str] = []
    runner = Runner(lines.append, timeout=60)

    code = runner.run(["sh", "-c", 'echo satu; echo "GAGAL: rusak" >&2; exit 3'], env=ENV)

    assert code == 3
    assert lines == ["satu", "GAGAL: rusak"]
    assert runner.failure == "rusak"
    assert runner.log.text() == "satu\nGAGAL: rusak\n"
    assert not runner.permission_denied and not runner.host_key_failed


def test_past_the_deadline_the_whole_process_group_is_killed() -> None:
    lines: list[str] = []
    runner = Runner(lines.append, timeout=1)

    # A child in the background holds the output open: the group, not just sh, must go.
    code = runner.run(["sh", "-c", "sleep 30 & echo $!; wait"], env=ENV)

    assert code is None
    assert lines and lines[0].isdigit()
    assert not is_running(int(lines[0]))


def test_a_failing_output_sink_leaves_nothing_running() -> None:
    seen: list[str] = []

    def sink(line: str) -> None:
        seen.append(line)
        raise RuntimeError("sink broke")

    runner = Runner(sink, timeout=60)

    with pytest.raises(RuntimeError, match="sink broke"):
        runner.run(["sh", "-c", "echo $$; exec sleep 30"], env=ENV)

    assert seen and seen[0].isdigit()
    assert not is_running(int(seen[0]))
