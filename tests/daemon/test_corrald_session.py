"""corrald as a process: greeting, negotiation, commands, errors, events, identity."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, NoSupportError

from .conftest import StartCorrald


def test_greeting_and_negotiation(corrald: StartCorrald) -> None:
    client = corrald().client(negotiate=False)
    version = client.greeting["QMP"]["version"]["corral"]
    assert set(version) == {"major", "minor", "micro"} and client.greeting["QMP"][
        "capabilities"] == []
    before = client.execute("query-version", id=1)
    assert before["id"] == 1 and before["error"]["class"] == "CommandNotFound"
    assert before["error"]["desc"] == "Expecting capabilities negotiation with 'qmp_capabilities'"
    bad = client.execute("qmp_capabilities", {"enable": ["oob"]}, id="x")
    assert bad["error"]["desc"] == "Capability 'oob' not available" and bad["id"] == "x"
    assert client.execute("qmp_capabilities", id="n") == {"return": {}, "id": "n"}
    again = client.execute("qmp_capabilities")
    assert again["error"]["class"] == "CommandNotFound"
    assert "already complete" in again["error"]["desc"]
    assert client.call("query-version")["corral"] == version


def test_query_commands_lists_drivers_and_the_daemon_with_arguments(corrald: StartCorrald) -> None:
    commands = {c["name"]: c for c in corrald().client().call("query-commands")}
    assert {"qmp_capabilities", "query-version", "query-commands", "echo-set", "echo-get"} <= \
        set(commands)
    assert commands["echo-set"] == {"name": "echo-set", "read-only": False, "provider": "echo",
                                    "arguments": [
                                        {"name": "key", "type": "str", "required": True},
                                        {"name": "value", "type": "int", "required": True},
                                        {"name": "tags", "type": "list[str] | None",
                                         "required": False}]}
    assert commands["echo-get"]["read-only"] is True
    assert "query-clients" not in commands  # admin commands only on the admin socket


def test_a_driver_operation_round_trip_and_its_errors(corrald: StartCorrald) -> None:
    daemon = corrald()
    client = daemon.client()
    assert client.call("echo-set", key="a", value=5) == {}
    assert client.call("echo-get", key="a") == 5
    with pytest.raises(CorralError) as caught:
        client.call("echo-fail", message="It failed on purpose.")
    assert (caught.value.message, caught.value.domain, caught.value.code) == (
        "It failed on purpose.", "echo", ErrorCode.OPERATION_FAILED)
    assert caught.value.detail["why"] == "asked"
    with pytest.raises(CorralError) as crashed:
        client.call("echo-crash")
    assert crashed.value.code == ErrorCode.INTERNAL_ERROR and "boom" in crashed.value.message
    with pytest.raises(NoSupportError):
        client.call("echo-nothing")


@pytest.mark.parametrize(("arguments", "why"), [
    ({"key": "a", "value": "5"}, "needs the argument 'value' as int, not str"),
    ({"key": "a", "value": True}, "needs the argument 'value' as int, not bool"),
    ({"key": "a"}, "needs the argument 'value'"),
    ({"key": "a", "value": 1, "colour": "red"}, "has no argument 'colour'"),
    ({"key": "a", "value": 1, "tags": [1]}, "needs the argument 'tags'"),
])
def test_wrong_arguments_are_refused_before_anything_runs(
        corrald: StartCorrald, arguments: dict[str, object], why: str) -> None:
    daemon = corrald()
    reply = daemon.client().execute("echo-set", arguments, id=7)
    assert reply["id"] == 7 and reply["error"]["class"] == "GenericError"
    assert why in reply["error"]["desc"]
    assert reply["error"]["data"]["code"] == ErrorCode.INVALID_ARG
    assert not (daemon.state / "echo-effects.log").exists()


def test_events_reach_negotiated_clients_only(corrald: StartCorrald) -> None:
    daemon = corrald()
    watcher, silent = daemon.client(), daemon.client(negotiate=False)
    daemon.client().call("echo-emit", name="default", event="started")
    event = watcher.wait_event("NETWORK_LIFECYCLE")
    assert event["data"] == {"type": "network", "name": "default", "event": "started",
                             "detail": "from a test"}
    assert set(event["timestamp"]) == {"seconds", "microseconds"}
    silent.send({"execute": "query-version", "id": 1})
    assert silent.reply()["error"]["class"] == "CommandNotFound"  # and no event before it
    assert silent.events == []


def test_each_call_is_logged_with_the_peers_credentials(corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo"]\nlog_filters = "2:corral.daemon"\n')
    client = daemon.client()
    client.call("echo-set", key="secret-key-name", value=1)
    daemon.stop()
    line = next(line for line in daemon.log().splitlines() if "echo-set from" in line)
    assert f"pid={os.getpid()} uid={os.getuid()} gid={os.getgid()}" in line
    assert "on corrald-sock: ok" in line


def test_socket_modes_and_the_pid_file(corrald: StartCorrald) -> None:
    daemon = corrald()
    modes = {kind: stat.S_IMODE(os.stat(daemon.socket_path(kind)).st_mode)
             for kind in ("rw", "ro", "admin")}
    assert modes == {"rw": 0o600, "ro": 0o666, "admin": 0o600}
    assert all(stat.S_ISSOCK(os.stat(daemon.socket_path(k)).st_mode) for k in modes)
    assert (daemon.runtime / "corrald.pid").read_text() == f"{daemon.process.pid}\n"
    assert not [p for p in daemon.runtime.iterdir() if p.name.startswith(".corrald-")]


def test_a_socket_group_makes_the_rw_socket_0660(corrald: StartCorrald) -> None:
    daemon = corrald(f'drivers = []\nunix_sock_group = "{os.getgid()}"\n'
                     'unix_sock_ro_perms = "0644"\n')
    info = os.stat(daemon.socket_path())
    assert stat.S_IMODE(info.st_mode) == 0o660 and info.st_gid == os.getgid()
    assert stat.S_IMODE(os.stat(daemon.socket_path("ro")).st_mode) == 0o644


def test_a_second_daemon_on_the_same_root_is_refused(corrald: StartCorrald) -> None:
    first = corrald()
    second = corrald(wait=False, root=first.root)
    assert second.process.wait(30) == 1
    assert str(first.process.pid) in second.stderr()
    assert first.client().call("echo-list") == []


def test_a_driver_that_fails_to_start_stops_corrald_without_sockets(
        corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo", "broken"]\n', wait=False)
    assert daemon.process.wait(30) == 1
    assert "broken" in daemon.stderr() and "no widget" in daemon.stderr()
    assert not daemon.socket_path().exists()
    assert not (daemon.runtime / "corrald.pid").exists()
    assert (daemon.state / "echo-shutdown").read_text() == "clean\n"  # rolled back
    assert "READY=1" not in "\n".join(daemon.read_notifications(0.1))


def test_zero_drivers_and_every_installed_driver(corrald: StartCorrald) -> None:
    none = corrald("drivers = []\n").client().call("query-commands")
    assert {c["provider"] for c in none} == {"daemon", "exec"}
    every = corrald('drivers = ["*"]\n', wait=False)
    assert every.process.wait(30) == 1  # "*" includes the broken test driver
    assert "broken" in every.stderr()


def test_the_admin_socket(corrald: StartCorrald) -> None:
    daemon = corrald()
    daemon.client()
    admin = daemon.client("admin")
    names = {c["name"] for c in admin.call("query-commands")}
    assert {"query-clients", "query-server", "set-logging", "daemon-reload"} <= names
    assert "echo-set" not in names
    clients = admin.call("query-clients")
    assert [c["socket"] for c in clients] == ["corrald-sock", "corrald-admin-sock"]
    assert clients[0]["pid"] == os.getpid() and clients[0]["uid"] == os.getuid()
    server = admin.call("query-server")
    assert server["drivers"] == ["echo"] and server["max-client-requests"] == 5
    admin.call("set-logging", filters="1:corral.daemon")
    assert admin.call("query-logging")["filters"] == "1:corral.daemon"
    with pytest.raises(CorralError) as caught:
        admin.call("set-logging", outputs="1:journald")
    assert "journald" in caught.value.message
    assert admin.call("query-logging")["outputs"].endswith("corrald.log")


def test_the_read_write_socket_refuses_admin_commands(corrald: StartCorrald) -> None:
    reply = corrald().client().execute("query-clients")
    assert reply["error"]["class"] == "CommandNotFound"


def test_a_root_too_long_for_a_socket_path_is_a_clear_error(
        corrald: StartCorrald, tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    daemon = corrald(wait=False, root=deep)
    assert daemon.process.wait(30) == 1
    assert "too long for a UNIX socket" in daemon.stderr()


def test_a_plain_socket_connect_sees_the_greeting_first(corrald: StartCorrald) -> None:
    daemon = corrald()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(daemon.socket_path("ro")))
        assert sock.recv(4096).startswith(b'{"QMP": ')


def test_guest_exec_through_the_daemon(corrald: StartCorrald) -> None:
    import base64

    daemon = corrald('drivers = []\nexec_retention_seconds = 60\n')
    client, watcher = daemon.client(), daemon.client()
    started = client.call("guest-exec", path="/bin/sh", arg=["-c", "echo hi; exit 3"],
                          **{"capture-output": True})
    event = watcher.wait_event("GUEST_EXEC_EXITED")
    assert event["data"]["pid"] == started["pid"]
    status = client.call("guest-exec-status", pid=started["pid"])
    assert status["exited"] is True and status["exitcode"] == 3
    assert base64.b64decode(status["out-data"]) == b"hi\n"
    # Records belong to the daemon, not the connection: another client reads it too.
    assert daemon.client("ro").call("guest-exec-status", pid=started["pid"])["exitcode"] == 3
    refused = daemon.client("ro").execute("guest-exec", {"path": "/bin/true"})
    assert refused["error"]["data"]["code"] == ErrorCode.OPERATION_DENIED
