"""Issue 6.9 for the daemon pid file the exec helper writes: a reader never sees it empty.

The helper used to truncate the file and then write the pid, so a reader polling the path
(a status check, another corrald) could read an empty file between the two. It now stages
the whole file under a temporary name and links or renames it into place, as
corral.core.state does for its own pid files.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from corral.core import Command

# Counts the empty reads of PATH until STOP exists.
READER = r"""
import os, sys
path, stop = sys.argv[1], sys.argv[2]
empty = 0
while not os.path.exists(stop):
    try:
        with open(path, "rb") as f:
            empty += f.read() == b""
    except FileNotFoundError:
        pass
print(empty)
"""


def test_a_reader_never_sees_the_daemon_pid_file_empty(tmp_path: Path) -> None:
    pidfile = tmp_path / "d.pid"
    stop = tmp_path / "stop"
    reader = Command(sys.executable, "-c", READER, pidfile, stop).set_output_buffer()
    reader.run_async()
    pids = []
    try:
        for _ in range(150):  # over a stale file every time but the first
            Command("sleep", "30").daemonize().set_pidfile(pidfile).run()
            pids.append(int(pidfile.read_text()))
            os.kill(pids[-1], signal.SIGKILL)
            time.sleep(0.002)
    finally:
        stop.touch()
    assert reader.wait().stdout.strip() == "0"
    assert len(set(pids)) == len(pids)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.pid", "stop"]  # no temp file left
