"""Several hosts at once: ``corral --hosts FILE`` and ``connect_many``, over a real sshd."""

from __future__ import annotations

import json
import time
from pathlib import Path

from corral.core import CorralError
from corral.core.client import HostEvent, connect_many

from tests.daemon.remote.sshd import free_port
from tests.daemon.remote.test_ssh_transport import cli


def _fleet(sshd, corrald, tmp_path: Path) -> tuple[list[str], Path]:
    uris = [sshd.uri(corrald().socket_path()), sshd.uri(corrald().socket_path()),
            sshd.uri(tmp_path / "sock", port=free_port())]  # the third is unreachable
    hosts = tmp_path / "hosts"
    hosts.write_text("# the fleet\n\n" + "\n".join(uris) + "\n")
    return uris, hosts


def test_hosts_runs_a_verb_everywhere_and_reports_the_unreachable_one(
        sshd, corrald, tmp_path: Path) -> None:
    uris, hosts = _fleet(sshd, corrald, tmp_path)
    result = cli("--hosts", str(hosts), "version", env=sshd.env())
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Host", "Output"] and set(lines[1]) == {"-"}
    assert [line.split()[0] for line in lines[2:] if line] == [uris[0]] * 2 + [uris[1]] * 2
    assert "Running daemon: corrald" in lines[3]
    errors = result.stderr.splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {uris[2]}: cannot connect to '127.0.0.1' over ssh: ")
    assert errors[0].endswith("Connection refused")

    as_json = cli("--hosts", str(hosts), "--json", "version", env=sshd.env())
    assert as_json.returncode == 1
    answer = json.loads(as_json.stdout)
    assert list(answer) == uris
    assert all("corral" in answer[uri] for uri in uris[:2])
    assert answer[uris[2]]["error"]["data"]["code"] == 38  # SYSTEM_ERROR
    assert answer[uris[2]]["error"]["desc"].startswith("cannot connect to '127.0.0.1'")


def test_a_block_verb_becomes_one_row_per_host(sshd, corrald, tmp_path: Path) -> None:
    daemons = [corrald(config='drivers = ["echo", "node"]\n') for _ in range(2)]
    hosts = tmp_path / "hosts"
    uris = [sshd.uri(daemon.socket_path()) for daemon in daemons]
    hosts.write_text("\n".join(uris))
    result = cli("--hosts", str(hosts), "nodeinfo", env=sshd.env())
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["Host", "CPU", "model", "CPU(s)"]
    assert [line.split()[0] for line in lines[2:4]] == uris and lines[4:] == [""]
    quiet = cli("-q", "--hosts", str(hosts), "nodeinfo", env=sshd.env())
    assert quiet.stdout.splitlines() == lines[2:4]


def test_each_failing_host_is_its_own_error_line(sshd, corrald, tmp_path: Path) -> None:
    first, second = corrald(), corrald()
    hosts = tmp_path / "hosts"
    uris = [sshd.uri(first.socket_path()), sshd.uri(second.socket_path())]
    hosts.write_text("\n".join(uris))
    result = cli("--hosts", str(hosts), "secret-list", env=sshd.env())
    # the echo daemons have no secret driver: each host's NO_SUPPORT is its own line
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {uri}: the daemon does not offer the command 'secret-list' (The command "
        "secret-list has not been found)" for uri in uris]


def test_hosts_refuses_a_verb_that_is_not_a_daemon_verb(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("/no/sock\n")
    result = cli("--hosts", str(hosts), "exec", "/bin/true")
    assert (result.returncode, result.stderr) == (1, "error: 'exec' cannot run on several "
                                                  "hosts (--hosts runs the daemon verbs of "
                                                  "'corral help').\n")
    (tmp_path / "empty").write_text("# nobody\n")
    result = cli("--hosts", str(tmp_path / "empty"), "version")
    assert result.stderr == f"error: {tmp_path}/empty: the hosts file names no host.\n"


def test_connect_many_calls_every_host_and_merges_their_events(
        sshd, corrald, tmp_path: Path) -> None:
    uris, _ = _fleet(sshd, corrald, tmp_path)
    started = time.monotonic()
    with connect_many(uris) as fleet:
        assert list(fleet.clients) == uris[:2] and list(fleet.errors) == uris[2:]
        results = fleet.call("echo-set", key="k", value=1)
        assert [results[u] for u in uris[:2]] == [{}, {}]
        assert isinstance(results[uris[2]], CorralError)
        pids = fleet.call("guest-exec", path="/bin/true")
        waiting = {(uri, pids[uri]["pid"]) for uri in uris[:2]}
        for tagged in fleet.events(["GUEST_EXEC_EXITED"], timeout=30):
            assert isinstance(tagged, HostEvent)
            waiting.discard((tagged.uri, tagged.event.data["pid"]))
            if not waiting:
                break
        assert not waiting
    assert time.monotonic() - started < 30
