"""Two starts of one pool serialise on the target's lock, across processes and threads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import types
from pathlib import Path

from corral.core import dry_run
from corral.core.testing import Replay, running_host
from corral.drivers.storage import StorageDriver
from corral.drivers.storage._lock import target_lock, target_lock_path
from corral.drivers.storage.backends import StorageBackend
from corral.drivers.storage.backends.iscsi import IscsiBackend
from corral.drivers.storage.conf import format_pool

HOLD = """
import sys
from pathlib import Path
from corral.drivers.storage._lock import target_lock
with target_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_the_lock_excludes_another_process(tmp_path: Path) -> None:
    path = target_lock_path(tmp_path / "locks", "iscsi", "10.0.0.1:3260", "iqn.2026-12.x:t")
    assert path.name.startswith("iscsi-10.0.0.1:3260-iqn.2026-12.x:t.")
    with subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None and child.stdout.readline() == "locked\n"
        got = threading.Event()

        def take() -> None:
            with target_lock(path):
                got.set()

        waiter = threading.Thread(target=take)
        waiter.start()
        assert not got.wait(0.5), "the lock was taken while another process held it"
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
        assert got.wait(10)
        waiter.join()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_two_starts_of_one_pool_serialise_and_the_second_finds_the_session(
        tmp_path: Path, iscsi: types.SimpleNamespace) -> None:
    sysfs = iscsi.make_sysfs(tmp_path / "sys")

    class Storage(StorageDriver):
        def make_backend(self, pool_type: str) -> StorageBackend:
            return IscsiBackend(sysfs=sysfs)

    root = tmp_path / "root"
    rescan = iscsi.run(("iscsiadm", "--mode", "session", "-r", "1", "-R"))
    first = Replay([iscsi.recorded(*iscsi.SESSION), iscsi.session_with_target(),
                    iscsi.recorded(*iscsi.NODE), iscsi.recorded(*iscsi.NODE, "--op", "new"),
                    iscsi.run((*iscsi.NODE, "--login")), rescan])
    second = Replay([iscsi.session_with_target(), rescan])
    in_login, finish_login = threading.Event(), threading.Event()
    second_ran: list[str] = []

    def slow_login(argv: list[str], env: dict[str, str],
                   data: bytes | None) -> tuple[int, str, str]:
        if argv[-1] == "--login":
            in_login.set()
            assert finish_login.wait(10)
        return first(argv, env, data)

    def watched(argv: list[str], env: dict[str, str],
                data: bytes | None) -> tuple[int, str, str]:
        second_ran.append(" ".join(argv))
        return second(argv, env, data)

    errors: list[BaseException] = []

    def start(host: object, callback: object) -> None:
        try:
            with dry_run(callback):  # type: ignore[arg-type]
                host.call("storage", "pool-start", name="kernel")  # type: ignore[attr-defined]
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)

    # Two corrald processes' worth of drivers on one root: only the flock is shared.
    with running_host(root, drivers={"storage": Storage}) as one, \
            running_host(root, drivers={"storage": Storage}) as two:
        one.call("storage", "pool-define", xml=format_pool(iscsi.kernel_pool()))
        two.shutdown()
        two.start_drivers(["storage"])  # reads the definition the other one saved
        a = threading.Thread(target=start, args=(one, slow_login))
        a.start()
        assert in_login.wait(10)
        b = threading.Thread(target=start, args=(two, watched))
        b.start()
        time.sleep(0.5)
        assert second_ran == [], "the second start ran iscsiadm while the first held the lock"
        finish_login.set()
        a.join(10)
        b.join(10)
        assert errors == []
        assert second_ran == ["iscsiadm --mode session", "iscsiadm --mode session",
                              "iscsiadm --mode session -r 1 -R"]
        for host in (one, two):
            assert host.call("storage", "pool-info", name="kernel")["state"] == "running"
    first.check()
    second.check()
