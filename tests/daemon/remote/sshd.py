"""A real OpenSSH server on loopback for the remote tests and bench/remote.py.

:func:`start_sshd` starts ``/usr/sbin/sshd -D -e`` on a free high port of 127.0.0.1
with a host key and an authorized client key made for the test (``StrictModes no``,
``UsePAM no``), and writes the client side its own ssh_config, used through
``$CORRAL_SSH`` (``ssh -F CONFIG``): the machine's ``/etc/ssh`` and ``~/.ssh`` are
never read for the test's settings nor written.
The remote ``corral`` is found through the URI's ``command=`` parameter (libvirt's
``command=``), pointing at this venv's ``corral``: the sshd session's PATH does not hold
it. The only thing created outside the test's directory is sshd's privilege separation
directory ``/run/sshd`` when it is missing (what the package's service would create).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

SSHD = Path("/usr/sbin/sshd")
CORRAL = Path(sys.executable).parent / "corral"


@dataclasses.dataclass
class Sshd:
    """A running sshd and the client settings that reach it."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def key(self) -> Path:
        return self.directory / "client_key"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.directory / "ssh_config"

    def uri(self, socket_path: Path | str | None = None, *, path: str = "/system",
            port: int | None = None, **params: str) -> str:
        """An ``ssh://root@127.0.0.1:PORT`` URI with the test's key, known hosts, command."""
        query = {"keyfile": str(self.key), "known_hosts": str(self.known_hosts),
                 "command": str(CORRAL)}
        if socket_path is not None:
            query["socket"] = str(socket_path)
        query.update(params)
        text = "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
        return f"ssh://root@127.0.0.1:{port or self.port}{path}?{text}"

    def env(self) -> dict[str, str]:
        """The environment a client process needs (``$CORRAL_SSH`` with the test config)."""
        return {**os.environ, "CORRAL_SSH": f"ssh -F {self.ssh_config}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL)
    return path.with_suffix(".pub").read_text().strip()


def start_sshd(directory: Path, client_config: str = "") -> Sshd:
    """Start sshd with keys and configurations in ``directory`` (``client_config`` is
    appended to the client's ssh_config: ControlMaster settings, say)."""
    directory.mkdir(parents=True, exist_ok=True)
    host_public = keygen(directory / "host_key")
    (directory / "authorized_keys").write_text(keygen(directory / "client_key") + "\n")
    keygen(directory / "other_key")  # a key the server does not know
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    (directory / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_public}\n")
    (directory / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nHostKey {directory}/host_key\n"
        f"AuthorizedKeysFile {directory}/authorized_keys\nPidFile none\n"
        "StrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "MaxStartups 100:30:200\nMaxSessions 100\nLogLevel ERROR\n")
    (directory / "ssh_config").write_text(
        "Host *\n  IdentitiesOnly yes\n  GlobalKnownHostsFile /dev/null\n"
        f"  UserKnownHostsFile {directory}/known_hosts\n  StrictHostKeyChecking yes\n"
        + client_config)
    with open(directory / "sshd.log", "wb") as log:
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(directory / "sshd_config"), "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    server = Sshd(directory, port, process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sshd exited: {(directory / 'sshd.log').read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return server
        time.sleep(0.05)
    stop_sshd(server)
    raise AssertionError("sshd did not listen within 10 s")


def stop_sshd(server: Sshd) -> None:
    if server.process.poll() is None:
        server.process.terminate()
    server.process.wait(10)


