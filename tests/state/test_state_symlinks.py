"""A symbolic link planted at a state file's path is refused, never written through."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from corral.core import Command, CommandError, CorralError, ErrorCode
from corral.core.state import (
    DriverLock,
    acquire_pidfile,
    pidfile_is_locked,
    read_pidfile,
    read_pidfile_if_alive,
)

VICTIM = "root:x:0:0:root:/root:/bin/bash\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """The file an attacker wants root to overwrite (think /etc/passwd)."""
    path = tmp_path / "victim"
    path.write_text(VICTIM)
    return path


def _plant(link: Path, victim: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)
    return link


def _assert_refused(caught: pytest.ExceptionInfo[CorralError], link: Path) -> None:
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert caught.value.detail["errno"] == errno.ELOOP
    assert f"'{link}': it is a symbolic link" in str(caught.value)


@pytest.mark.parametrize(
    "operation",
    [acquire_pidfile, read_pidfile, pidfile_is_locked, read_pidfile_if_alive],
    ids=["acquire", "read", "is-locked", "read-if-alive"],
)
def test_pid_file_functions_refuse_a_planted_link(
    tmp_path: Path, victim: Path, operation: Callable[[Path], object]
) -> None:
    link = _plant(tmp_path / "d.pid", victim)
    with pytest.raises(CorralError) as caught:
        operation(link)
    _assert_refused(caught, link)
    assert victim.read_text() == VICTIM
    assert link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["d.pid", "victim"]


def test_the_driver_lock_refuses_a_planted_link(tmp_path: Path, victim: Path) -> None:
    lock = DriverLock(tmp_path / "root")
    _plant(lock.path, victim)
    with pytest.raises(CorralError) as caught:
        lock.acquire()
    _assert_refused(caught, lock.path)
    assert victim.read_text() == VICTIM
    assert not lock.held


def test_a_dangling_link_creates_nothing_at_its_target(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "cron.d-job"
    target.parent.mkdir()
    link = _plant(tmp_path / "d.pid", target)
    with pytest.raises(CorralError) as caught:
        acquire_pidfile(link)
    _assert_refused(caught, link)
    assert os.listdir(target.parent) == []

@pytest.mark.skipif(shutil.which("sleep") is None, reason="no sleep binary")
def test_a_daemon_pidfile_refuses_a_planted_link(tmp_path: Path, victim: Path) -> None:
    # The daemon's pid file is written by the engine's exec helper, in the daemon.
    link = _plant(tmp_path / "daemon.pid", victim)
    with pytest.raises(CommandError) as caught:
        Command("sleep", "30").daemonize().set_pidfile(link).run()
    assert caught.value.detail["status"] == 125
    assert str(link) in str(caught.value)
    assert victim.read_text() == VICTIM
