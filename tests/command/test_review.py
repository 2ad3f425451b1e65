"""Regression tests for the engine review: each one pins a defect found and fixed.

Real processes and real files throughout; daemons are killed by the test that starts them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from corral.core import (
    Command,
    CommandError,
    CommandResult,
    ErrorCode,
    SpawnRecord,
    monitor_spawns,
)

T = TypeVar("T")


def _kill_pidfile_owner(pidfile: Path) -> None:
    text = pidfile.read_text().strip() if pidfile.exists() else ""
    if text:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(text), signal.SIGKILL)


def test_a_daemon_whose_pidfile_directory_is_missing_says_why(tmp_path: Path) -> None:
    pidfile = tmp_path / "missing" / "d.pid"
    with pytest.raises(CommandError, match="unexpected exit status 125") as caught:
        Command("sleep", "30").daemonize().set_pidfile(pidfile).run()
    message = str(caught.value)
    assert f"Cannot write pidfile {pidfile}" in message
    assert "No such file or directory" in message
    assert caught.value.status == 125
    result = Command("sleep", "30").daemonize().set_pidfile(pidfile).run(check=False)
    assert result.status == 125


def test_a_daemon_whose_pidfile_is_held_names_the_holder(tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    Command("sleep", "30").daemonize().set_pidfile(pidfile).run()
    try:
        first = pidfile.read_text().strip()
        with pytest.raises(CommandError, match=f"locked by process {first}") as caught:
            Command("sleep", "30").daemonize().set_pidfile(pidfile).run()
        assert caught.value.status == 125
        assert pidfile.read_text().strip() == first  # the loser did not touch it
    finally:
        _kill_pidfile_owner(pidfile)


def test_a_daemon_that_cannot_exec_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-program"
    with pytest.raises(CommandError, match="unexpected exit status 127: Cannot execute") as caught:
        Command(missing).daemonize().run()
    assert "No such file or directory" in str(caught.value)
    assert caught.value.status == 127


def test_the_report_pipe_is_not_inherited_by_the_daemon(tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    Command("sleep", "30").daemonize().set_pidfile(pidfile).run()
    try:
        pid = int(pidfile.read_text())
        fds = sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))
        assert fds == [0, 1, 2, 3]  # stdio and the pidfile lock, nothing else
        probe = os.open(pidfile, os.O_RDWR)
        try:
            with pytest.raises(OSError):  # still locked by the daemon
                fcntl.lockf(probe, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        finally:
            os.close(probe)
    finally:
        _kill_pidfile_owner(pidfile)


def test_a_refused_handshake_says_the_parent_quit() -> None:
    cmd = Command("true").require_handshake()
    cmd.run_async()
    with pytest.raises(CommandError, match="parent quit during the handshake") as caught:
        cmd.wait()
    assert caught.value.status == 125


def test_a_handshake_child_that_cannot_exec_says_why(tmp_path: Path) -> None:
    cmd = Command(tmp_path / "absent").require_handshake()
    cmd.run_async()
    cmd.handshake_wait()
    cmd.handshake_notify()
    with pytest.raises(CommandError, match="exit status 127: Cannot execute binary"):
        cmd.wait()


class _HoldingMonitor:
    """A spawn monitor whose check() holds the first run until the test lets it go."""

    def __init__(self) -> None:
        self.checking = threading.Event()
        self.release = threading.Event()

    def check(self, record: SpawnRecord) -> str | None:
        self.checking.set()
        self.release.wait(10)
        return None

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        return spawn()

    def reaped(self, record: SpawnRecord) -> None:
        """Nothing to do."""


def test_a_second_run_while_the_first_is_starting_is_refused() -> None:
    cmd = Command("true")
    monitor = _HoldingMonitor()
    results: list[CommandResult] = []

    def first() -> None:
        with monitor_spawns(monitor):
            results.append(cmd.run())

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert monitor.checking.wait(10)  # the first run is past its checks, not spawned yet
        for again in (cmd.run, cmd.run_async):
            with pytest.raises(CommandError, match="already running") as caught:
                again()
            assert caught.value.code == ErrorCode.OPERATION_INVALID
    finally:
        monitor.release.set()
        thread.join(10)
    assert [result.status for result in results] == [0]
    assert cmd.run().status == 0  # free again once the first run ended


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda c: c.add_env_pair("A", "x\0y"), "environment variable A contains a NUL byte"),
        (lambda c: c.add_env_string("B=x\0y"), "environment variable B contains a NUL byte"),
        (lambda c: c.set_working_directory("/tmp\0x"), "working directory '/tmp\\\\x00x'"),
        (lambda c: c.set_working_directory(b"/tmp\0x"), "contains a NUL byte"),
        (lambda c: c.daemonize().set_pidfile("/tmp/a\0b"), "pidfile '/tmp/a\\\\x00b'"),
    ],
)
def test_a_nul_byte_is_a_deferred_error_that_names_it(
    tmp_path: Path, build: Callable[[Command], Command], words: str
) -> None:
    marker = tmp_path / "ran"
    cmd = build(Command("touch", marker))  # building never raises
    with pytest.raises(CommandError, match=words) as caught:
        cmd.run()
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert "NUL byte" in str(caught.value)
    assert not marker.exists()


def test_add_arg_format_takes_c_length_modifiers() -> None:
    # libvirt's own example: virCommandAddArgFormat(cmd, "%lld", alarmTime).
    cmd = Command("echo").add_arg_format("%lld", 1234567890123).add_arg_format("%zu-%hhx", 7, 255)
    cmd.add_arg_format("%%lld%s", "!").add_env_format("N=%llu", 5).set_output_buffer()
    assert cmd.argv == ["echo", "1234567890123", "7-ff", "%lld!"]
    assert cmd.run().stdout == "1234567890123 7-ff %lld!\n"
    assert cmd.to_string().startswith("N=5 echo")
    with pytest.raises(CommandError, match="add_arg_format"):
        Command("echo").add_arg_format("%lld").run()  # a missing value is still a mistake


def test_to_string_quotes_exactly_like_libvirt() -> None:
    # virBufferEscapeShell: bare unless a metacharacter is present; ' becomes '\''.
    words = ["it's", "", "a b", "$(id)", "é", "--x=1:2,3/4@5%", "\\", "a\nb"]
    cmd = Command("printf", "%s\\0", *words).add_env_pair("Q", "'x'")
    expected = (
        "Q=''\\''x'\\''' printf '%s\\0' 'it'\\''s' '' 'a b' '$(id)' é --x=1:2,3/4@5% '\\' 'a\nb'"
    )
    assert cmd.to_string() == expected
    # Pasting it into a real shell runs the same argv.
    pasted = Command("sh", "-c", cmd.to_string()).set_output_buffer().run().stdout
    assert isinstance(pasted, str)
    assert pasted.split("\0")[:-1] == words
