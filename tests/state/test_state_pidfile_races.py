"""A pid file is never seen empty, and what a killed acquirer leaves is swept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from corral.core.state import acquire_pidfile, read_pidfile, release_pidfile

# A child that acquires the pid file over and over, for the given number of seconds. Every
# other round it "crashes": the lock goes (as the kernel drops it when a holder dies) but
# the file stays, so the next round replaces a stale file; the other rounds release the
# file properly, so the next one creates it afresh. Both are windows a reader must not see.
_CHURN = """
import os, sys, time
from corral.core.state import _lockfile, acquire_pidfile, release_pidfile
path, seconds = sys.argv[1], float(sys.argv[2])
deadline, rounds = time.monotonic() + seconds, 0
while time.monotonic() < deadline:
    fd = acquire_pidfile(path, pid=1234567 if rounds % 4 < 2 else 7)
    if rounds % 2:
        _lockfile.forget(fd)
        os.close(fd)
    else:
        release_pidfile(path, fd)
    rounds += 1
print(rounds, flush=True)
"""


def test_a_racing_reader_never_sees_the_pid_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    writer = subprocess.Popen([sys.executable, "-c", _CHURN, str(path), "3"],
                              stdout=subprocess.PIPE, text=True)
    seen: dict[bytes, int] = {}
    try:
        while writer.poll() is None:
            try:
                with open(path, "rb") as stream:
                    content = stream.read()
            except FileNotFoundError:
                continue
            seen[content] = seen.get(content, 0) + 1
    finally:
        out, _ = writer.communicate(timeout=30)
    assert writer.returncode == 0
    assert int(out) > 100, "the writer barely ran: the race was not exercised"
    # Both contents and nothing else (never b""): the reader really raced the writer.
    assert set(seen) == {b"1234567\n", b"7\n"}, f"a reader saw {seen}"
    assert [name for name in os.listdir(tmp_path) if name != "d.pid"] == []


def test_an_acquire_killed_before_naming_its_file_leaves_nothing_for_long(
    tmp_path: Path,
) -> None:
    # What a SIGKILL between preparing the file and naming it leaves: a complete staged
    # pid file whose lock died with its writer. The next acquire sweeps it.
    path = tmp_path / "d.pid"
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, pathlib; from corral.core.state import _pidfile; "
         "_pidfile._stage(pathlib.Path(sys.argv[1]), 99); "
         "print('staged', flush=True); sys.stdin.read()",
         str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "staged\n"
    staged = [name for name in os.listdir(tmp_path) if name.endswith(".corral-tmp")]
    assert len(staged) == 1 and staged[0].startswith(".d.pid.")
    # While its writer lives, another acquire leaves it alone.
    fd = acquire_pidfile(path)
    release_pidfile(path, fd)
    assert staged[0] in os.listdir(tmp_path)
    child.kill()
    child.communicate(timeout=10)
    fd = acquire_pidfile(path)
    assert read_pidfile(path) == os.getpid()
    assert os.listdir(tmp_path) == ["d.pid"]
    release_pidfile(path, fd)
