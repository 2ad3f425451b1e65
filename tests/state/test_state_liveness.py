"""read_pidfile_if_alive: alive, and still the binary we started (the pid-reuse guard)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from corral.core.state import read_pidfile_if_alive

SLEEP = shutil.which("sleep")


@pytest.fixture
def sleeper_binary(tmp_path: Path) -> Path:
    """A private copy of sleep(1), so the test may delete or replace it."""
    if SLEEP is None:
        pytest.skip("this machine has no sleep binary")
    copy = tmp_path / "bin" / "mysleep"
    copy.parent.mkdir()
    shutil.copy2(SLEEP, copy)
    return copy


@pytest.fixture
def running(sleeper_binary: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([str(sleeper_binary), "30"])
    yield process
    process.kill()
    process.wait()


def _pidfile(tmp_path: Path, pid: int) -> Path:
    path = tmp_path / "p.pid"
    path.write_text(f"{pid}\n")
    return path


def test_a_live_process_running_the_binary_is_returned(
    tmp_path: Path, running: subprocess.Popen[bytes], sleeper_binary: Path
) -> None:
    path = _pidfile(tmp_path, running.pid)
    assert read_pidfile_if_alive(path) == running.pid
    assert read_pidfile_if_alive(path, sleeper_binary) == running.pid


def test_a_reused_pid_running_another_binary_is_not_ours(
    tmp_path: Path, running: subprocess.Popen[bytes]
) -> None:
    # The pid is alive, but it is not the program that wrote the file.
    path = _pidfile(tmp_path, running.pid)
    assert read_pidfile_if_alive(path, sys.executable) is None


def test_a_binary_deleted_after_start_still_matches(
    tmp_path: Path, running: subprocess.Popen[bytes], sleeper_binary: Path
) -> None:
    sleeper_binary.unlink()
    assert os.readlink(f"/proc/{running.pid}/exe").endswith(" (deleted)")
    path = _pidfile(tmp_path, running.pid)
    assert read_pidfile_if_alive(path, sleeper_binary) == running.pid


def test_a_binary_replaced_by_an_upgrade_still_matches(
    tmp_path: Path, running: subprocess.Popen[bytes], sleeper_binary: Path
) -> None:
    # A package upgrade renames a new file over the old one: a new inode, the same path.
    fresh = sleeper_binary.with_name("mysleep.new")
    shutil.copy2(sleeper_binary, fresh)
    fresh.replace(sleeper_binary)
    path = _pidfile(tmp_path, running.pid)
    assert read_pidfile_if_alive(path, sleeper_binary) == running.pid
    assert read_pidfile_if_alive(path, sleeper_binary.with_name("other")) is None


def test_a_dead_pid_is_none(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    path = _pidfile(tmp_path, process.pid)
    assert read_pidfile_if_alive(path) is None


def test_a_zombie_counts_as_dead(tmp_path: Path) -> None:
    process = subprocess.Popen(["/bin/true"])
    try:
        stat = Path(f"/proc/{process.pid}/stat")
        deadline = time.monotonic() + 10
        while ") Z" not in stat.read_text() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert ") Z" in stat.read_text()
        path = _pidfile(tmp_path, process.pid)
        assert read_pidfile_if_alive(path) is None
    finally:
        process.wait()


def test_a_missing_pidfile_is_none(tmp_path: Path) -> None:
    assert read_pidfile_if_alive(tmp_path / "absent.pid") is None


@pytest.mark.parametrize(
    "content",
    ["not a pid\n", "", "0\n", "-1\n", "4294967296\n", "2147483648\n", "4194305\n",
     "9" * 40 + "\n"],
)
def test_a_pidfile_without_a_possible_pid_is_not_running(tmp_path: Path, content: str) -> None:
    # 4294967296 used to reach os.kill and raise OverflowError; 2**31 and 2**22 + 1 are
    # beyond any pid Linux hands out.
    path = tmp_path / "p.pid"
    path.write_text(content)
    assert read_pidfile_if_alive(path) is None
    assert read_pidfile_if_alive(path, sys.executable) is None

