"""A child reaped behind the engine's back: its status is lost, and that is an error, never 0.

SIGCHLD set to SIG_IGN makes the kernel reap every child at once; a foreign
``waitpid(-1)`` in another thread steals one. Either way ``waitpid`` answers ECHILD and
nothing is left to know, so run(), wait() and a daemon's intermediate raise SYSTEM_ERROR
(libvirt's virProcessWait reports the failed waitpid as a system error) with or without
``check``. SIG_IGN is process-wide, so those cases run in a fresh interpreter.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from corral.core import Command, CommandError, ErrorCode, SpawnRecord, monitor_spawns

IGNORING_SIGCHLD = """
import json, os, signal, sys
from corral.core import Command, CommandError
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
def attempt(build, check):
    try:
        result = build().run(check=check)
    except CommandError as error:
        return {"code": error.code.name, "status": error.status, "message": str(error),
                "errno": error.detail.get("errno")}
    return {"result": result.status}
pidfile = sys.argv[1]
print(json.dumps({
    "false": attempt(lambda: Command("false"), False),
    "true": attempt(lambda: Command("true"), True),
    "buffered": attempt(lambda: Command("sh", "-c", "echo out; exit 3").set_output_buffer(), False),
    "timeout": attempt(lambda: Command("false").set_timeout(5), False),
    "daemon": attempt(lambda: Command("sleep", "30").daemonize().set_pidfile(pidfile), True),
}))
"""

T = TypeVar("T")


def _kill_pidfile_owner(pidfile: Path) -> None:
    text = pidfile.read_text().strip() if pidfile.exists() else ""
    if text:
        try:
            os.kill(int(text), signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_run_with_sigchld_ignored_reports_a_lost_status(tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    try:
        out = Command(sys.executable, "-c", IGNORING_SIGCHLD, pidfile).set_output_buffer().run()
    finally:
        _kill_pidfile_owner(pidfile)
    seen = json.loads(out.stdout)
    for case in ("false", "true", "buffered", "timeout", "daemon"):
        report = seen[case]
        assert "result" not in report, f"{case}: a lost status read as status {report}"
        assert report["code"] == "SYSTEM_ERROR" and report["status"] is None, case
        assert report["errno"] == errno.ECHILD, case
        assert "exit status was lost" in report["message"], case
        assert "No child processes" in report["message"], case
    assert seen["false"]["message"].startswith("Cannot wait for child process (false) ")


def _steal(pid: int) -> threading.Thread:
    """Reap ``pid`` from another thread, as a foreign ``waitpid(-1)`` loop would."""
    thread = threading.Thread(target=os.waitpid, args=(pid, 0))
    thread.start()
    return thread


def test_wait_after_a_foreign_waitpid_reports_a_lost_status() -> None:
    cmd = Command("sh", "-c", "exit 3")
    thief = _steal(cmd.run_async())
    thief.join(10)
    for check in (True, False):
        with pytest.raises(CommandError, match="exit status was lost") as caught:
            cmd.wait(check=check)
        assert caught.value.code == ErrorCode.SYSTEM_ERROR
        assert caught.value.status is None and caught.value.signal is None
        if check:  # the first wait released the child: a second one has nothing to wait for
            assert cmd.pid is None
            thief = _steal(cmd.run_async())
            thief.join(10)


def test_a_timed_wait_that_pumps_output_reports_a_lost_status() -> None:
    # sh exits at once (stolen); its grandchild keeps stdout open, so wait() is in the pump
    # when the child is already gone, and finds out only when it asks for the status.
    cmd = Command("sh", "-c", "sleep 0.3 & echo started; exit 3").set_output_buffer()
    thief = _steal(cmd.run_async())
    thief.join(10)
    started = time.monotonic()
    with pytest.raises(CommandError, match="exit status was lost") as caught:
        cmd.wait(timeout=10)
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert time.monotonic() - started < 5 and cmd.pid is None


def test_abort_of_a_stolen_child_does_not_raise() -> None:
    cmd = Command("sleep", "0.1")
    thief = _steal(cmd.run_async())
    thief.join(10)
    cmd.abort()
    assert cmd.pid is None


def test_a_monitor_hears_that_the_status_was_lost() -> None:
    """The record says what happened, not just the error code's name."""
    reaped: list[SpawnRecord] = []

    class Recorder:
        def check(self, record: SpawnRecord) -> str | None:
            return None

        def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
            return spawn()

        def reaped(self, record: SpawnRecord) -> None:
            reaped.append(record)

    with monitor_spawns(Recorder()):
        cmd = Command("sh", "-c", "exit 3")
        _steal(cmd.run_async()).join(10)
        with pytest.raises(CommandError):
            cmd.wait()
    assert [(r.status, r.error) for r in reaped] == [(None, "exit status lost to another waiter")]
