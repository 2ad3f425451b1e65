"""corrald's life: reload, stop, idle exit, sd_notify and systemd socket activation."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from .conftest import CORRALD, StartCorrald


def wait_until(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_sigterm_stops_cleanly(corrald: StartCorrald) -> None:
    daemon = corrald()
    daemon.client().call("echo-set", key="a", value=1)
    assert daemon.stop(signal.SIGTERM) == 0
    assert "STOPPING=1" in daemon.read_notifications(1.0)[-1].split("\n")
    assert (daemon.state / "echo-shutdown").read_text() == "clean\n"
    assert sorted(p.name for p in daemon.runtime.iterdir()) == []  # sockets and pid file gone


def test_sigint_stops_cleanly_with_a_request_running(corrald: StartCorrald) -> None:
    daemon = corrald()
    client = daemon.client()
    client.send({"execute": "echo-sleep", "arguments": {"seconds": 0.5}, "id": 1})
    time.sleep(0.1)
    started = time.monotonic()
    assert daemon.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 8
    assert (daemon.state / "echo-shutdown").exists()


def test_ready_carries_the_main_pid(corrald: StartCorrald) -> None:
    daemon = corrald()
    ready = next(m for m in daemon.notifications if "READY=1" in m.split("\n"))
    assert f"MAINPID={daemon.process.pid}" in ready.split("\n")


def test_sighup_reloads_the_settings_and_the_drivers(corrald: StartCorrald) -> None:
    daemon = corrald()
    admin = daemon.client("admin")
    assert admin.call("query-server")["max-client-requests"] == 5
    conf = daemon.root / "corrald.conf"
    conf.write_text(conf.read_text() + 'max_client_requests = 9\nlog_filters = "1:corral"\n')
    daemon.notifications.clear()
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for_notification("READY=1")
    assert "RELOADING=1" in daemon.notifications[0].split("\n")
    assert admin.call("query-server")["max-client-requests"] == 9
    assert admin.call("query-logging")["filters"] == "1:corral"
    assert daemon.client().call("echo-reloads") == 1


def test_a_broken_config_on_reload_keeps_the_old_settings(corrald: StartCorrald) -> None:
    daemon = corrald()
    conf = daemon.root / "corrald.conf"
    conf.write_text(conf.read_text() + "max_clients = 'many'\n")
    daemon.notifications.clear()
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for_notification("READY=1")
    assert daemon.client("admin").call("query-server")["max-clients"] == 5000
    assert "reload failed, the settings in force are kept" in daemon.log()
    assert "corrald.conf:" in daemon.log()


def test_the_admin_socket_reloads_too(corrald: StartCorrald) -> None:
    daemon = corrald()
    assert daemon.client("admin").call("daemon-reload") == {}
    assert daemon.client().call("echo-reloads") == 1


def test_timeout_exits_when_idle(corrald: StartCorrald) -> None:
    daemon = corrald(args=["--timeout", "1"])
    client = daemon.client()
    time.sleep(1.5)
    assert daemon.process.poll() is None, "a connected client keeps it alive"
    client.close()
    daemon.clients.remove(client)
    assert daemon.process.wait(10) == 0
    assert not daemon.socket_path().exists()


def test_timeout_waits_for_a_running_request(corrald: StartCorrald) -> None:
    daemon = corrald(args=["--timeout", "0.5"])
    client = daemon.client()
    client.send({"execute": "echo-sleep", "arguments": {"seconds": 1.5}, "id": 1})
    client.sock.shutdown(socket.SHUT_WR)  # the client is done sending, not gone
    assert client.reply()["id"] == 1
    assert daemon.process.wait(10) == 0


def test_the_watchdog_is_fed(corrald: StartCorrald) -> None:
    daemon = corrald(env={"WATCHDOG_USEC": "200000"})
    time.sleep(0.6)
    messages = daemon.read_notifications(0.1)
    assert sum(m == "WATCHDOG=1" for m in messages) >= 2


def test_a_watchdog_meant_for_another_process_is_ignored(corrald: StartCorrald) -> None:
    daemon = corrald(env={"WATCHDOG_USEC": "100000", "WATCHDOG_PID": "1"})
    time.sleep(0.4)
    assert "WATCHDOG=1" not in daemon.read_notifications(0.1)


# A stand-in for systemd: move the inherited sockets to 3, 4, 5, set LISTEN_* for the
# process that execs corrald (the pid does not change across exec).
LAUNCHER = """
import fcntl, os, sys
fds = [int(fd) for fd in sys.argv[1].split(",")]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]  # clear of 3, 4, ...
for index, fd in enumerate(high):
    os.dup2(fd, 3 + index)
for fd in high:
    os.close(fd)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(len(fds)),
                  LISTEN_FDNAMES=sys.argv[2])
os.execv(sys.argv[3], sys.argv[3:])
"""


def bound(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    os.chmod(path, 0o640)
    sock.listen(16)
    return sock


def test_socket_activation_uses_the_sockets_systemd_passed(
        corrald: StartCorrald, tmp_path: Path) -> None:
    root = tmp_path / "activated"
    runtime = root / "run/corral"
    runtime.mkdir(parents=True)
    # systemd names them with FileDescriptorName=; the read-only one is matched by its path.
    rw, ro = bound(runtime / "corrald-sock"), bound(runtime / "corrald-sock-ro")
    fds = [rw.fileno(), ro.fileno()]
    for fd in fds:
        os.set_inheritable(fd, True)
    daemon = corrald(root=root, launcher=[sys.executable, "-c", LAUNCHER,
                                          ",".join(map(str, fds)), "corrald-sock:ro.socket"],
                     pass_fds=fds)
    rw.close()
    ro.close()
    client = daemon.client()
    assert client.call("echo-list") == []
    assert daemon.client("ro").execute("echo-set", {"key": "a", "value": 1})["error"][
        "data"]["code"] == 29
    # corrald never re-chmods or replaces an activated socket; the admin one it made itself.
    assert stat.S_IMODE(os.stat(daemon.socket_path()).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(daemon.socket_path("admin")).st_mode) == 0o600
    assert daemon.client("admin").call("query-version")
    assert daemon.stop() == 0
    assert daemon.socket_path().exists() and daemon.socket_path("ro").exists()
    assert not daemon.socket_path("admin").exists()


def test_activation_variables_for_another_process_are_ignored(corrald: StartCorrald) -> None:
    daemon = corrald(env={"LISTEN_PID": "1", "LISTEN_FDS": "2"})
    assert daemon.client().call("echo-list") == []
    assert stat.S_IMODE(os.stat(daemon.socket_path()).st_mode) == 0o600


def test_a_dead_daemons_stale_sockets_are_replaced(corrald: StartCorrald) -> None:
    first = corrald()
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    assert first.socket_path().exists()
    second = corrald(root=first.root)
    assert second.client().call("echo-list") == []




def test_timeout_waits_for_a_running_exec(corrald: StartCorrald) -> None:
    daemon = corrald("drivers = []\n", args=["--timeout", "0.5"])
    client = daemon.client()
    pid = client.call("guest-exec", path="/bin/sleep", arg=["2"])["pid"]
    client.close()
    daemon.clients.remove(client)
    time.sleep(1.5)
    assert daemon.process.poll() is None, "a running guest-exec child keeps corrald alive"
    assert os.path.exists(f"/proc/{pid}")
    assert daemon.process.wait(10) == 0  # idle once the child is gone


def test_timeout_waits_for_an_open_pipe(corrald: StartCorrald) -> None:
    daemon = corrald("drivers = []\n", args=["--timeout", "0.5"])
    client = daemon.client()
    handle = client.call("guest-pipe-open", mode="r")
    client.close()
    daemon.clients.remove(client)
    time.sleep(1.5)
    assert daemon.process.poll() is None, "an open pipe handle keeps corrald alive"
    client = daemon.client()
    assert client.call("guest-file-close", handle=handle) == {}
    client.close()
    daemon.clients.remove(client)
    assert daemon.process.wait(10) == 0


def test_a_root_it_cannot_create_and_a_bad_timeout_are_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    bad_root = subprocess.run([str(CORRALD), "--root", str(afile)], capture_output=True,
                              text=True, timeout=60, check=False)
    lines = bad_root.stderr.splitlines()
    assert bad_root.returncode == 1 and len(lines) == 1, bad_root.stderr
    assert lines[0].endswith(f"cannot start: cannot create the directory '{afile}/run/corral': "
                             "Not a directory.")
    bad_timeout = subprocess.run([str(CORRALD), "--timeout", "abc"], capture_output=True,
                                 text=True, timeout=60, check=False)
    assert bad_timeout.returncode == 2
    assert bad_timeout.stderr.splitlines()[-1] == (
        "corrald: error: argument -t/--timeout: must be a positive number of seconds, not abc")
