"""corral over ssh:// against a real sshd on loopback and real corrald processes."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode
from corral.core.client import connect, connect_async

CORRAL_CLI = [sys.executable, "-m", "corral.core.cli"]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CORRAL_CLI, *args], capture_output=True, text=True, timeout=60,
                          env=env, stdin=subprocess.DEVNULL)


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def tunnels_for(socket_path: Path) -> list[int]:
    """The pids of every process whose command line names ``socket_path`` (tunnels)."""
    found = []
    for entry in os.listdir("/proc"):
        cmdline = _cmdline(entry) if entry.isdigit() else b""
        if str(socket_path).encode() in cmdline and b"tunnel" in cmdline:
            found.append(int(entry))
    return found


def wait_gone(socket_path: Path, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := tunnels_for(socket_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_a_verb_round_trip_over_ssh(sshd, corrald) -> None:
    daemon = corrald()
    uri = sshd.uri(daemon.socket_path())
    with connect(uri) as client:
        assert client.address.remote is not None
        client.call("echo-set", key="k", value=7)
        assert client.call("echo-get", key="k") == 7
        assert "corral" in client.call("query-version")
        ssh_pid = client._closer.__self__._command.pid  # type: ignore[union-attr]
        assert tunnels_for(daemon.socket_path())
    # closing reaps ssh and ends the remote tunnel: no process is left behind
    with pytest.raises(ChildProcessError):
        os.waitpid(ssh_pid, os.WNOHANG)
    assert wait_gone(daemon.socket_path()) == []
    for args, extra in ((("-c", uri), {}), ((), {"CORRAL_DEFAULT_URI": uri})):
        result = cli(*args, "version", env={**sshd.env(), **extra})
        assert result.returncode == 0, result.stderr
        assert "Running daemon: corrald" in result.stdout


def test_an_exec_round_trip_over_ssh(sshd, corrald) -> None:
    daemon = corrald()
    uri = sshd.uri(daemon.socket_path())
    result = cli("-c", uri, "exec", "/bin/sh", "-c", "echo out; echo err >&2; exit 3",
                 env=sshd.env())
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    with connect(uri) as client:
        pid = client.call("guest-exec", path="/bin/echo", arg=["hi"], capture_output=True)["pid"]
        for event in client.events(["GUEST_EXEC_EXITED"], timeout=30):
            if event.data["pid"] == pid:
                break
        status = client.call("guest-exec-status", pid=pid)
    assert base64.b64decode(status["out-data"]) == b"hi\n"


def test_the_asyncio_client_over_ssh(sshd, corrald) -> None:
    daemon = corrald()

    async def main() -> list[int]:
        async with await connect_async(sshd.uri(daemon.socket_path())) as client:
            await asyncio.gather(*(client.call("echo-set", key=f"k{i}", value=i)
                                   for i in range(5)))
            return list(await asyncio.gather(*(client.call("echo-get", key=f"k{i}")
                                               for i in range(5))))

    assert asyncio.run(main()) == [0, 1, 2, 3, 4]
    assert wait_gone(daemon.socket_path()) == []


def test_mode_ro_refuses_a_mutating_verb(sshd, corrald) -> None:
    daemon = corrald()
    uri = sshd.uri(daemon.socket_path(), mode="ro")
    with connect(uri) as client:
        assert client.address.socket.endswith("-ro")
        assert client.call("echo-list") == []
        with pytest.raises(CorralError) as caught:
            client.call("echo-set", key="k", value=1)
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert not (daemon.state / "echo-effects.log").exists() or \
        (daemon.state / "echo-effects.log").read_text() == ""
    result = cli("-c", uri, "exec", "/bin/true", env=sshd.env())
    assert result.returncode == 1
    assert result.stderr == "error: operation forbidden: read only access prevents guest-exec\n"


def test_a_socket_path_with_shell_metacharacters(sshd, corrald, tmp_path: Path) -> None:
    # A link to the daemon's socket, in a directory the remote shell would mangle unquoted.
    daemon = corrald()
    odd = tmp_path / "a dir $HOME `id` 'q' \"d\" ;x&y|z*"
    odd.mkdir()
    (odd / "s$PATH").symlink_to(daemon.socket_path())
    uri = sshd.uri(odd / "s$PATH")
    assert "%24" in uri and "%60" in uri  # percent-encoded in the URI, decoded by corral
    with connect(uri) as client:
        client.call("echo-set", key="k", value=1)
        assert client.call("echo-list") == ["k"]
    result = cli("-c", sshd.uri(odd / "n o"), "version", env=sshd.env())
    assert result.returncode == 1
    assert result.stderr == (
        f"error: cannot reach the daemon on '127.0.0.1': Failed to connect socket to "
        f"'{odd}/n o': No such file or directory\n")


def _failure(uri: str, env: dict[str, str]) -> str:
    started = time.monotonic()
    result = cli("-c", uri, "version", env=env)
    assert time.monotonic() - started < 30  # no hang
    assert (result.returncode, result.stdout) == (1, ""), result
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result.stderr


def test_a_wrong_key_fails_cleanly(sshd, corrald) -> None:
    daemon = corrald()
    uri = sshd.uri(daemon.socket_path(), keyfile=str(sshd.directory / "other_key"))
    assert _failure(uri, sshd.env()) == (
        "error: cannot connect to '127.0.0.1' over ssh: root@127.0.0.1: "
        "Permission denied (publickey).\n")
    with pytest.raises(CorralError) as caught:
        connect(uri)
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
    assert caught.value.detail["host"] == "127.0.0.1"
    assert caught.value.detail["status"] == 255
    with pytest.raises(CorralError) as from_asyncio:
        asyncio.run(connect_async(uri))
    assert str(from_asyncio.value) == str(caught.value)


def test_an_unknown_host_key_fails_cleanly_and_no_verify_accepts_it(sshd, corrald) -> None:
    daemon = corrald()
    empty = sshd.directory / "empty_known_hosts"
    empty.write_text("")
    uri = sshd.uri(daemon.socket_path(), known_hosts=str(empty))
    message = _failure(uri, sshd.env())
    assert message.startswith("error: cannot connect to '127.0.0.1' over ssh: ")
    assert "Host key verification failed." in message
    assert empty.read_text() == ""
    with connect(sshd.uri(daemon.socket_path(), known_hosts=str(empty), no_verify="1")) as c:
        assert c.call("echo-list") == []
    assert f"[127.0.0.1]:{sshd.port}" in empty.read_text()  # accept-new recorded it


def test_an_unreachable_host_fails_cleanly(sshd, corrald) -> None:
    daemon = corrald()
    from tests.daemon.remote.sshd import free_port

    uri = sshd.uri(daemon.socket_path(), port=free_port())
    message = _failure(uri, sshd.env())
    assert message.startswith("error: cannot connect to '127.0.0.1' over ssh: ssh: connect "
                              "to host 127.0.0.1 port ")
    assert message.endswith(": Connection refused\n")


def test_a_missing_remote_corral_fails_cleanly(sshd, corrald) -> None:
    daemon = corrald()
    uri = sshd.uri(daemon.socket_path(), command="/no/such/corral")
    message = _failure(uri, sshd.env())
    assert message.startswith("error: the remote program '/no/such/corral' was not found on "
                              "'127.0.0.1' (install corral there, or name it with command=): ")
    assert "/no/such/corral" in message.partition("command=): ")[2]


def test_a_remote_daemon_not_running_fails_cleanly(sshd, tmp_path: Path) -> None:
    uri = sshd.uri(tmp_path / "none-sock")
    assert _failure(uri, sshd.env()) == (
        "error: cannot reach the daemon on '127.0.0.1': Failed to connect socket to "
        f"'{tmp_path}/none-sock': No such file or directory\n")


def test_a_host_that_never_answers_is_abandoned_at_the_deadline(
        sshd, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import socket

    from corral.core.client import _ssh

    monkeypatch.setattr(_ssh, "GREETING_TIMEOUT", 1.0)
    silent = socket.socket()  # accepts the TCP connection, never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(CorralError) as caught:
        connect(sshd.uri(tmp_path / "sock", port=port))
    silent.close()
    assert time.monotonic() - started < 5  # the deadline, not ssh's 10 s ConnectTimeout
    ssh_argv = f"-p\0{port}\0".encode()
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit()
                and ssh_argv in _cmdline(pid)]  # the hung ssh was killed and reaped
    assert str(caught.value).startswith(
        "'127.0.0.1' did not answer over ssh within 1 seconds (")
    assert caught.value.code == ErrorCode.SYSTEM_ERROR
