"""DriverLock: one daemon per root, and the refused one learns who holds it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode
from corral.core.state import DRIVER_LOCK_PATH, DriverLock, pidfile_is_locked

Probe = Callable[[str, Path], dict[str, Any]]


def test_the_lock_file_holds_our_pid_under_the_root(tmp_path: Path) -> None:
    with DriverLock(tmp_path) as lock:
        assert lock.held
        assert lock.path == tmp_path / "run" / "corral" / "driver.pid"
        assert lock.path == tmp_path / DRIVER_LOCK_PATH
        assert lock.path.read_text() == f"{os.getpid()}\n"
        assert pidfile_is_locked(lock.path) == os.getpid()
    assert not lock.held
    assert not lock.path.exists()


def test_a_second_daemon_on_the_same_root_is_refused_by_pid(
    tmp_path: Path, probe: Probe
) -> None:
    with DriverLock(tmp_path):
        refused = probe("driver", tmp_path)
    assert refused["ok"] is False
    assert refused["code"] == "RESOURCE_BUSY"
    assert refused["detail"]["pid"] == os.getpid()
    assert f"pid {os.getpid()}" in refused["message"]
    assert str(tmp_path) in refused["message"]
    # Once released, the other process gets it.
    assert probe("driver", tmp_path) == {"ok": True}


def test_we_are_refused_while_another_process_holds_it(
    tmp_path: Path, hold: Callable[..., Any]
) -> None:
    holder = hold("driver", tmp_path)
    lock = DriverLock(tmp_path)
    with pytest.raises(CorralError) as caught:
        lock.acquire()
    assert caught.value.code == ErrorCode.RESOURCE_BUSY
    assert caught.value.detail == {
        "root": str(tmp_path),
        "path": str(tmp_path / DRIVER_LOCK_PATH),
        "pid": holder.pid,
    }
    assert not lock.held
    holder.kill()
    # The crashed daemon left its file behind, but not its lock.
    with lock:
        assert lock.path.read_text() == f"{os.getpid()}\n"


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with DriverLock(tmp_path), pytest.raises(CorralError) as caught:
        DriverLock(tmp_path).acquire()
    assert caught.value.code == ErrorCode.RESOURCE_BUSY


def test_acquiring_twice_through_one_object_is_a_programming_error(tmp_path: Path) -> None:
    with DriverLock(tmp_path) as lock, pytest.raises(CorralError) as caught:
        lock.acquire()
    assert caught.value.code == ErrorCode.OPERATION_INVALID
    assert not lock.path.exists()


def test_two_roots_are_independent(tmp_path: Path) -> None:
    with DriverLock(tmp_path / "a") as first, DriverLock(tmp_path / "b") as second:
        assert first.held and second.held


def test_a_root_that_cannot_hold_a_run_directory_is_a_system_error(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.write_text("a file, not a directory")
    with pytest.raises(CorralError) as caught:
        DriverLock(root).acquire()
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert str(root) in str(caught.value)
