"""Lock-held pid files: acquire, release, read, delete, and who holds the lock."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.state import (
    acquire_pidfile,
    delete_pidfile,
    pidfile_is_locked,
    pidfile_path,
    read_pidfile,
    release_pidfile,
)

Probe = Callable[[str, Path], dict[str, Any]]


def test_pidfile_path_is_dir_slash_name_dot_pid() -> None:
    assert pidfile_path("/run/corral/network", "dnsmasq-default") == Path(
        "/run/corral/network/dnsmasq-default.pid"
    )


@pytest.mark.parametrize("name", ["", "a/b", "..", "."])
def test_pidfile_path_refuses_names_that_escape_the_directory(name: str) -> None:
    with pytest.raises(CorralError) as caught:
        pidfile_path("/run", name)
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert repr(name) in str(caught.value)


def test_acquire_writes_our_pid_and_keeps_a_close_on_exec_lock(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    fd = acquire_pidfile(path)
    try:
        assert path.read_text() == f"{os.getpid()}\n"
        assert read_pidfile(path) == os.getpid()
        assert not os.get_inheritable(fd)
        assert pidfile_is_locked(path) == os.getpid()
    finally:
        release_pidfile(path, fd)
    assert not path.exists()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_acquire_records_a_given_pid_and_truncates_a_longer_one(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    path.write_text("123456789\n")
    fd = acquire_pidfile(path, pid=42)
    try:
        assert path.read_text() == "42\n"
    finally:
        release_pidfile(path, fd)


def test_another_process_holding_the_lock_is_named(
    tmp_path: Path, hold: Callable[..., Any], probe: Probe
) -> None:
    path = tmp_path / "d.pid"
    holder = hold("pidfile", path)
    assert pidfile_is_locked(path) == holder.pid
    assert read_pidfile(path) == holder.pid
    with pytest.raises(CorralError) as caught:
        acquire_pidfile(path)
    assert caught.value.code == ErrorCode.RESOURCE_BUSY
    assert caught.value.domain == ErrorDomain.STATE
    assert caught.value.detail["pid"] == holder.pid
    assert f"process {holder.pid}" in str(caught.value) and str(path) in str(caught.value)
    holder.stop()
    assert pidfile_is_locked(path) is None
    assert probe("acquire", path)["ok"] is True


def test_a_killed_holder_leaves_a_stale_unlocked_file(
    tmp_path: Path, hold: Callable[..., Any]
) -> None:
    path = tmp_path / "d.pid"
    holder = hold("pidfile", path)
    holder.kill()
    # The file survives the crash, the lock does not.
    assert read_pidfile(path) == holder.pid
    assert pidfile_is_locked(path) is None
    fd = acquire_pidfile(path)
    try:
        assert read_pidfile(path) == os.getpid()
    finally:
        release_pidfile(path, fd)


def test_a_second_acquire_in_this_process_is_refused_and_keeps_the_lock(
    tmp_path: Path, probe: Probe
) -> None:
    # POSIX locks do not conflict within one process, and closing a second descriptor
    # would drop the first one's lock: both traps must be avoided.
    path = tmp_path / "d.pid"
    fd = acquire_pidfile(path)
    try:
        with pytest.raises(CorralError) as caught:
            acquire_pidfile(path)
        assert caught.value.code == ErrorCode.RESOURCE_BUSY
        assert caught.value.detail["pid"] == os.getpid()
        assert read_pidfile(path) == os.getpid()
        assert pidfile_is_locked(path) == os.getpid()
        # Seen from outside, the lock is still ours after all of that.
        assert probe("locked", path) == {"ok": True, "locked_by": os.getpid()}
    finally:
        release_pidfile(path, fd)
    assert probe("locked", path) == {"ok": True, "locked_by": None}


def test_release_leaves_a_file_that_replaced_ours_alone(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    fd = acquire_pidfile(path)
    path.unlink()
    path.write_text("7\n")
    release_pidfile(path, fd)
    assert path.read_text() == "7\n"


@pytest.mark.parametrize(
    "content",
    ["", "abc\n", "-5\n", "0\n", "12 34\n", "+5\n", "4194305\n", "4294967296\n",
     "1" * 63],
)
def test_read_refuses_a_file_without_a_pid(tmp_path: Path, content: str) -> None:
    path = tmp_path / "d.pid"
    path.write_text(content)
    with pytest.raises(CorralError) as caught:
        read_pidfile(path)
    assert caught.value.code == ErrorCode.PARSE_FAILED
    assert str(path) in str(caught.value)


def test_read_accepts_a_pid_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    path.write_text("1234")
    assert read_pidfile(path) == 1234


def test_read_accepts_the_largest_pid_linux_hands_out(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    path.write_text(f"{1 << 22}\n")
    assert read_pidfile(path) == 1 << 22


@pytest.mark.parametrize(
    ("operation", "relative"),
    [(read_pidfile, "absent.pid"), (acquire_pidfile, "absent/d.pid")],
    ids=["read-missing-file", "acquire-in-missing-directory"],
)
def test_a_missing_file_or_directory_is_a_system_error_with_enoent(
    tmp_path: Path, operation: Callable[[Path], int], relative: str
) -> None:
    path = tmp_path / relative
    with pytest.raises(CorralError) as caught:
        operation(path)
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert caught.value.detail["errno"] == errno.ENOENT
    assert str(path) in str(caught.value)
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_delete_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    path.write_text("1\n")
    delete_pidfile(path)
    assert not path.exists()
    delete_pidfile(path)
    assert pidfile_is_locked(path) is None
