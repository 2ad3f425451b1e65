"""atomic_write: the new content or the old one, never a mixture, whatever fails."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.state import atomic_write

OLD = b"<network><name>old</name></network>\n"

# A child that writes 1 MiB under a 64 KiB file-size limit: the write fails (EFBIG) or,
# with SIGXFSZ at its default action (CPython ignores it), the process dies mid-write
# the way a crash would.
_LIMITED_WRITER = """
import json, resource, signal, sys
from corral.core import CorralError
from corral.core.state import atomic_write
if sys.argv[2] == "die":
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
try:
    atomic_write(sys.argv[1], b"x" * (1 << 20))
except CorralError as exc:
    print(json.dumps({"code": exc.code.name, "errno": exc.detail.get("errno"),
                      "message": str(exc)}))
"""


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "status.xml"
    path.write_bytes(OLD)
    return path


def _names(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def test_creates_a_file_with_exactly_the_mode_asked(tmp_path: Path) -> None:
    path = tmp_path / "new.conf"
    old_umask = os.umask(0o077)
    try:
        atomic_write(path, b"port=0\n", mode=0o640)
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b"port=0\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert _names(tmp_path) == ["new.conf"]


def test_replaces_by_rename_so_an_open_reader_keeps_the_old_content(target: Path) -> None:
    with target.open("rb") as reader:
        old_inode = os.fstat(reader.fileno()).st_ino
        atomic_write(target, "<network><name>new</name></network>\n")
        assert reader.read() == OLD
    assert target.read_text() == "<network><name>new</name></network>\n"
    assert target.stat().st_ino != old_inode
    assert _names(target.parent) == ["status.xml"]


def test_str_is_written_as_utf8_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    text = "é" * ((1 << 20) + 3) + "\U0001f600"
    atomic_write(path, text)
    assert path.read_bytes() == text.encode("utf-8")


def test_an_encoding_failure_midway_leaves_the_old_file(target: Path) -> None:
    # 3 MiB encode and reach the temp file before the lone surrogate is met.
    data = "a" * (3 << 20) + "\udc80 tail"
    with pytest.raises(CorralError) as caught:
        atomic_write(target, data)
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert caught.value.domain == ErrorDomain.STATE
    assert caught.value.detail["position"] == 3 << 20
    assert str(target) in str(caught.value)
    assert target.read_bytes() == OLD
    assert _names(target.parent) == ["status.xml"]


def test_a_write_error_midway_leaves_the_old_file(target: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED_WRITER, str(target), "survive"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["code"] == "SYSTEM_ERROR"
    assert report["errno"] == errno.EFBIG
    assert str(target) in report["message"]
    assert target.read_bytes() == OLD
    assert _names(target.parent) == ["status.xml"]


def test_a_crash_midway_leaves_the_old_file(target: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED_WRITER, str(target), "die"],
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == -signal.SIGXFSZ
    assert target.read_bytes() == OLD
    # A killed process cannot clean up: its partial temporary file stays, beside the
    # untouched target and never under its name, until the next write sweeps it.
    leftovers = [name for name in _names(target.parent) if name != "status.xml"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".status.xml.")
    assert leftovers[0].endswith(".corral-tmp")
    assert (target.parent / leftovers[0]).stat().st_size == 65536
    atomic_write(target, b"next")
    assert _names(target.parent) == ["status.xml"]


# A writer of 64 MiB that reports its temporary file's name, so it can be killed mid-write.
_BIG_WRITER = """
import sys
from corral.core.state import atomic_write
atomic_write(sys.argv[1], "y" * (64 << 20))
"""


def _start_big_writer(target: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the writer and return it once its temporary file holds data."""
    writer = subprocess.Popen([sys.executable, "-c", _BIG_WRITER, str(target)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        temps = [n for n in _names(target.parent) if n.startswith(f".{target.name}.")]
        if temps and (target.parent / temps[0]).stat().st_size > 0:
            return writer, target.parent / temps[0]
        assert writer.poll() is None, "the writer ended before it was caught mid-write"
    raise AssertionError("the writer never started writing")


def test_a_writer_killed_with_sigkill_is_swept_by_the_next_write(target: Path) -> None:
    writer, temp = _start_big_writer(target)
    writer.kill()
    assert writer.wait(timeout=10) == -signal.SIGKILL
    assert target.read_bytes() == OLD
    assert temp.stat().st_size > 0  # what the issue saw: hundreds of MB, forever
    atomic_write(target, b"after the crash")
    assert target.read_bytes() == b"after the crash"
    assert _names(target.parent) == ["status.xml"]


def test_a_live_writers_temporary_file_is_never_swept(target: Path) -> None:
    writer, temp = _start_big_writer(target)
    os.kill(writer.pid, signal.SIGSTOP)  # alive, mid-write, for as long as we like
    try:
        atomic_write(target, b"meanwhile")
        assert target.read_bytes() == b"meanwhile"
        assert temp.exists()
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    assert writer.wait(timeout=60) == 0
    assert target.stat().st_size == 64 << 20  # the slower writer finished, and won
    assert _names(target.parent) == ["status.xml"]


def test_an_empty_or_foreign_look_alike_is_left_alone(target: Path) -> None:
    # An unlocked empty file may be a live writer's, between creating and locking it; a
    # link under such a name is nobody's temporary file.
    empty = target.parent / ".status.xml.abcd1234.corral-tmp"
    empty.touch()
    link = target.parent / ".status.xml.efgh5678.corral-tmp"
    link.symlink_to(target)
    atomic_write(target, b"new")
    assert empty.exists() and link.is_symlink()


def test_a_failed_rename_removes_the_temporary_file(tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep").write_text("x")
    with pytest.raises(CorralError) as caught:
        atomic_write(occupied, b"data")
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert caught.value.detail["errno"] in (errno.EISDIR, errno.ENOTEMPTY)
    assert _names(tmp_path) == ["occupied"]
    assert (occupied / "keep").read_text() == "x"


def test_a_missing_directory_is_a_system_error(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "file"
    with pytest.raises(CorralError) as caught:
        atomic_write(path, b"data")
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert caught.value.detail["errno"] == errno.ENOENT
    assert str(path) in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)


@pytest.fixture
def readonly_dir() -> Iterator[Path]:
    """A directory others may read but not write, outside pytest's private 0700 tree."""
    directory = Path(tempfile.mkdtemp(prefix="corral-ro-", dir="/tmp"))
    (directory / "status.xml").write_bytes(OLD)
    directory.chmod(0o755 if os.geteuid() == 0 else 0o555)
    yield directory
    directory.chmod(0o755)
    for name in os.listdir(directory):
        (directory / name).unlink()
    directory.rmdir()


_UNPRIVILEGED_WRITER = """
import json, os, sys
from corral.core import CorralError
from corral.core.state import atomic_write
os.setgroups([]); os.setgid(65534); os.setuid(65534)
try:
    atomic_write(sys.argv[1], b"new")
except CorralError as exc:
    print(json.dumps({"code": exc.code.name, "errno": exc.detail.get("errno")}))
"""


def test_a_directory_that_refuses_writes_leaves_the_old_file(readonly_dir: Path) -> None:
    target = readonly_dir / "status.xml"
    if os.geteuid() == 0:
        # Root ignores permission bits: write as nobody from a child instead.
        done = subprocess.run(
            [sys.executable, "-c", _UNPRIVILEGED_WRITER, str(target)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        report = json.loads(done.stdout)
    else:
        with pytest.raises(CorralError) as caught:
            atomic_write(target, b"new")
        report = {"code": caught.value.code.name, "errno": caught.value.detail["errno"]}
    assert report == {"code": "SYSTEM_ERROR", "errno": errno.EACCES}
    assert target.read_bytes() == OLD
    assert _names(readonly_dir) == ["status.xml"]
