"""Issue 6.10: a daemon that cannot exec, and abort() stopping the child's whole group.

A daemon whose exec fails leaves no pid file behind and reports SYSTEM_ERROR, as every
"no program could run" does (docs/command.md; libvirt reports a failed exec with
virReportSystemError). abort() and leaving a ``with`` block stop the process group the
child leads, so grandchildren die with it; a child that does not lead a group of its own
is signalled alone, and the caller's group never.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from corral.core import PIPE, Command, CommandError, ErrorCode

# Ignores SIGTERM (as a careless daemon would), starts a grandchild that ignores it too
# (the trap is inherited), prints the grandchild's pid and waits for it.
FAMILY = "trap '' TERM; sleep 300 & echo $!; wait"


def _dead(pid: int) -> bool:
    """True when ``pid`` is gone or a zombie (killed, not yet reaped by its new parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _eventually_dead(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while not _dead(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _start_family(cmd: Command) -> int:
    """Start ``cmd`` (running FAMILY) and return the grandchild's pid."""
    cmd.set_output_fd(PIPE).run_async()
    assert cmd.output_fd is not None
    with os.fdopen(cmd.output_fd, "rb", closefd=True) as out:
        return int(out.readline())


@contextlib.contextmanager
def _reaper(pid: int):  # type: ignore[no-untyped-def]
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_daemon_that_cannot_exec_removes_its_pidfile(tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    missing = tmp_path / "no-such-program"
    with pytest.raises(CommandError, match="unexpected exit status 127: Cannot execute") as caught:
        Command(missing).daemonize().set_pidfile(pidfile).run()
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert caught.value.status == 127
    assert not pidfile.exists()
    result = Command(missing).daemonize().set_pidfile(pidfile).run(check=False)
    assert result.status == 127 and not pidfile.exists()


def test_every_failure_before_exec_is_a_system_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:  # the exec helper, without a pid file
        Command(tmp_path / "absent").daemonize().run()
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    with pytest.raises(CommandError, match="Cannot write pidfile") as caught:
        Command("true").daemonize().set_pidfile(tmp_path / "no" / "d.pid").run()
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    handshake = Command("true").require_handshake()
    handshake.run_async()
    with pytest.raises(CommandError, match="parent quit during the handshake") as caught:
        handshake.wait()
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    # A program that ran and failed is still libvirt's INTERNAL_ERROR.
    with pytest.raises(CommandError) as caught:
        Command("sh", "-c", "exit 125").run()
    assert caught.value.code == ErrorCode.INTERNAL_ERROR


def test_abort_stops_the_grandchildren() -> None:
    cmd = Command("sh", "-c", FAMILY)
    grandchild = _start_family(cmd)
    with _reaper(grandchild):
        assert not _dead(grandchild)
        cmd.abort()
        assert cmd.pid is None
        assert _eventually_dead(grandchild)


def test_leaving_a_with_block_stops_the_grandchildren() -> None:
    with Command("sh", "-c", FAMILY) as cmd:
        grandchild = _start_family(cmd)
    with _reaper(grandchild):
        assert _eventually_dead(grandchild)


def test_abort_after_the_leader_exited_still_stops_its_group() -> None:
    cmd = Command("sh", "-c", "sleep 300 & echo $!")
    grandchild = _start_family(cmd)
    with _reaper(grandchild):
        time.sleep(0.2)  # the leader has exited; its grandchild still runs in its group
        cmd.abort()
        assert _eventually_dead(grandchild)


def test_a_child_that_does_not_lead_a_group_is_signalled_alone() -> None:
    """With a pre-exec hook the child stays in our group: abort must not killpg it."""
    cmd = Command("sh", "-c", FAMILY).set_pre_exec_hook(lambda: None)
    grandchild = _start_family(cmd)
    with _reaper(grandchild):
        assert os.getpgid(cmd.pid or 0) == os.getpgrp()
        cmd.abort()  # killpg here would have killed this test process
        assert cmd.pid is None
        assert not _dead(grandchild)  # not ours to stop: it is in the caller's group


@pytest.mark.timeout(30)
def test_cancelling_run_async_io_stops_the_grandchildren(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    family = FAMILY.replace("echo $!", 'echo $! > "$1"')

    async def scenario() -> int:
        cmd = Command("sh", "-c", family, "sh", pid_file).set_output_buffer()
        task = asyncio.create_task(cmd.run_async_io())
        deadline = time.monotonic() + 5
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the family never started"
            await asyncio.sleep(0.01)
        grandchild = int(pid_file.read_text())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return grandchild

    grandchild = asyncio.run(scenario())
    with _reaper(grandchild):
        assert _eventually_dead(grandchild)
