"""``--hosts`` output merging, and ``corral tunnel`` as a byte-for-byte bridge."""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from corral.core.cli import _fleet
from corral.core.cli._command import Console
from corral.core.cli._verbs import VERBS


def test_hosts_tables_merge_into_one_with_a_host_column() -> None:
    net_list = next(verb for verb in VERBS if verb.name == "net-list")
    args = argparse.Namespace(all=False, name=False, uuid=False)
    out = io.StringIO()
    _fleet._print(net_list, args, Console(out, io.StringIO()), {
        "ssh://a/system": [{"name": "default", "active": True, "autostart": True,
                            "persistent": True}],
        "ssh://bb/system": [{"name": "lab", "active": False}, {"name": "x", "active": True}],
    })
    assert out.getvalue() == (
        " Host              Name      State      Autostart   Persistent\n"
        "----------------------------------------------------------------\n"
        " ssh://a/system    default   active     yes         yes\n"
        " ssh://bb/system   lab       inactive   no          no\n"
        " ssh://bb/system   x         active     no          no\n"
        "\n")


def _echo_server(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            while data := connection.recv(65536):
                connection.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_the_tunnel_relays_bytes_both_ways_and_exits_at_end_of_input(tmp_path: Path) -> None:
    server = _echo_server(tmp_path / "s")
    data = bytes(range(256)) * 8192  # 2 MiB, every byte value
    result = subprocess.run([sys.executable, "-m", "corral.core.cli", "tunnel",
                             str(tmp_path / "s")], input=data, capture_output=True, timeout=60)
    server.close()
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == data


def test_the_tunnel_resolves_a_unix_uri_on_its_own_host(tmp_path: Path) -> None:
    server = _echo_server(tmp_path / "s")
    result = subprocess.run([sys.executable, "-m", "corral.core.cli", "tunnel",
                             f"unix:///system?socket={tmp_path}/s"], input=b"ping",
                            capture_output=True, timeout=60)
    server.close()
    assert (result.returncode, result.stdout, result.stderr) == (0, b"ping", b"")


def test_the_tunnel_exits_when_the_daemon_closes(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "s"))
    server.listen(1)
    child = subprocess.Popen([sys.executable, "-m", "corral.core.cli", "tunnel",
                              str(tmp_path / "s")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    connection, _ = server.accept()
    connection.sendall(b'{"QMP": {}}\r\n')
    connection.close()  # the daemon hangs up while the client still has stdin open
    assert child.stdout is not None and child.stdout.read() == b'{"QMP": {}}\r\n'
    assert child.wait(10) == 0
    assert child.stdin is not None
    child.stdin.close()
    child.stdout.close()
    server.close()


def test_the_tunnel_reports_a_dead_socket_and_imports_little(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "corral.core.cli",
                             "tunnel", str(tmp_path / "none")], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "LC_ALL": "C"})
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import ")]
    assert result.returncode == 1
    assert errors == [f"error: Failed to connect socket to '{tmp_path}/none': "
                      "No such file or directory"]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "corral.core.cli._tunnel" in imported
    assert not imported & {"corral.core.cli._commands", "corral.core.client", "lxml"}
