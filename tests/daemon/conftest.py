"""corrald as a real process, for every test under tests/daemon/ (exec's included).

``corrald`` is a factory fixture: ``daemon = corrald(config='max_clients = 3\\n')`` runs
the installed ``corrald --root TMP -f TMP/corrald.conf`` with a stand-in NOTIFY_SOCKET,
waits for ``READY=1`` and returns a :class:`Corrald`; it is stopped with SIGTERM (and must
exit 0) when the test ends. The test drivers of ``helpers/testdrivers.py`` (``echo``,
``broken``, ``fakenode``) are installed for it as a real distribution on its PYTHONPATH; the default
configuration starts ``echo``. ``daemon.client()`` connects a :class:`QmpTestClient`
(negotiated unless ``negotiate=False``) to the read-write, read-only (``"ro"``) or admin
(``"admin"``) socket.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from corral.core.protocol import MessageReader, encode, error_from_wire

HELPERS = Path(__file__).parent / "helpers"
CORRALD = Path(sys.executable).parent / "corrald"
READY_TIMEOUT = 30.0
SOCKETS = {"rw": "corrald-sock", "ro": "corrald-sock-ro", "admin": "corrald-admin-sock"}

_ENTRY_POINTS = """[corral.drivers]
echo = corral_daemon_testdrivers:EchoDriver
broken = corral_daemon_testdrivers:BrokenDriver
fakenode = corral_daemon_testdrivers:FakeRootNode
"""


def install_test_drivers(site: Path) -> Path:
    """Write the test drivers and their dist-info into ``site``; return it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "corral_daemon_testdrivers.py").write_text((HELPERS / "testdrivers.py").read_text())
    info = site / "corral_daemon_testdrivers-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: corral-daemon-testdrivers\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(_ENTRY_POINTS)
    return site


class QmpTestClient:
    """A small synchronous QMP client that checks what it is sent (for tests only)."""

    def __init__(self, path: Path, *, negotiate: bool = True, timeout: float = 20.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(os.fspath(path))
        self.reader = MessageReader(None)
        self.backlog: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.raw_lines: list[bytes] = []
        self.greeting = self.recv()
        if negotiate:
            assert self.execute("qmp_capabilities") == {"return": {}}

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, message: dict[str, Any]) -> None:
        self.sock.sendall(encode(message))

    def recv(self) -> dict[str, Any]:
        """Return the next message (events included); EOFError when the daemon hung up."""
        while not self.backlog:
            data = self.sock.recv(1 << 16)
            if not data:
                raise EOFError("corrald closed the connection")
            self.raw_lines.append(data)
            for frame in self.reader.feed(data):
                assert frame.error is None, frame.error
                assert isinstance(frame.value, dict)
                self.backlog.append(frame.value)
        return self.backlog.pop(0)

    def reply(self) -> dict[str, Any]:
        """Return the next reply, keeping events aside in :attr:`events`."""
        while "event" in (message := self.recv()):
            self.events.append(message)
        return message

    def execute(self, name: str, arguments: dict[str, Any] | None = None,
                **extra: Any) -> dict[str, Any]:
        """Send a request and return the whole reply."""
        message: dict[str, Any] = {"execute": name, **extra}
        if arguments is not None:
            message["arguments"] = arguments
        self.send(message)
        return self.reply()

    def call(self, command: str, /, **arguments: Any) -> Any:
        """Return the command's result, or raise the error rebuilt from the wire."""
        reply = self.execute(command, arguments)
        if "error" in reply:
            raise error_from_wire(reply["error"])
        return reply["return"]

    def wait_event(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event["event"] == name:
                    self.events.remove(event)
                    return event
            self.events.append(self.recv())
        raise AssertionError(f"no {name} event")

    def close(self) -> None:
        self.sock.close()


@dataclasses.dataclass
class Corrald:
    """A running corrald."""

    root: Path
    process: subprocess.Popen[bytes]
    notify: socket.socket
    log_file: Path
    notifications: list[str] = dataclasses.field(default_factory=list)
    clients: list[QmpTestClient] = dataclasses.field(default_factory=list)

    @property
    def runtime(self) -> Path:
        return self.root / "run/corral"

    @property
    def state(self) -> Path:
        return self.root / "var/lib/corral"

    def socket_path(self, kind: str = "rw") -> Path:
        return self.runtime / SOCKETS[kind]

    def client(self, kind: str = "rw", *, negotiate: bool = True) -> QmpTestClient:
        client = QmpTestClient(self.socket_path(kind), negotiate=negotiate)
        self.clients.append(client)
        return client

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def read_notifications(self, timeout: float = 0.0) -> list[str]:
        """Collect what corrald sent to the notify socket (waiting up to ``timeout``)."""
        self.notify.settimeout(max(timeout, 0.001))
        with contextlib.suppress(TimeoutError, BlockingIOError):
            while True:
                self.notifications.append(self.notify.recv(4096).decode())
                self.notify.settimeout(0.001)
        return self.notifications

    def wait_for_notification(self, field: str, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(field in message.split("\n") for message in self.notifications):
                return
            if self.process.poll() is not None:
                raise AssertionError(f"corrald exited with {self.process.returncode} before "
                                     f"{field}:\n{self.stderr()}\n{self.log()}")
            self.read_notifications(0.05)
        raise AssertionError(f"corrald sent no {field} within {timeout} s:\n{self.log()}")

    def stderr(self) -> str:
        path = self.root / "stderr.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines()
                        if line.startswith("VmRSS:")).split()[1])

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


StartCorrald = Callable[..., Corrald]


def corrald_environment(site: Path, notify_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env["NOTIFY_SOCKET"] = str(notify_path)
    return env


@pytest.fixture
def corrald(tmp_path: Path) -> Iterator[StartCorrald]:
    """Start corrald processes; each is stopped (and must exit 0) at the end of the test."""
    started: list[Corrald] = []
    site = install_test_drivers(tmp_path / "site")

    def start(config: str = 'drivers = ["echo"]\n', *, args: Sequence[str] = (),
              env: dict[str, str] | None = None, wait: bool = True,
              launcher: Sequence[str] = (), pass_fds: Sequence[int] = (),
              root: Path | None = None) -> Corrald:
        root = root or tmp_path / f"r{len(started)}"
        root.mkdir(exist_ok=True)
        log_file = root / "corrald.log"
        conf = root / "corrald.conf"
        conf.write_text(f'log_outputs = "3:stderr 1:file:{log_file}"\n{config}')
        notify_path = tmp_path / f"notify{len(started)}"
        with contextlib.suppress(FileNotFoundError):
            notify_path.unlink()
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(os.fspath(notify_path))
        environ = corrald_environment(site, notify_path) | (env or {})
        with open(root / "stderr.txt", "wb") as stderr:
            process = subprocess.Popen(
                [*launcher, str(CORRALD), "--root", str(root), "-f", str(conf), *args],
                env=environ, stdin=subprocess.DEVNULL, stderr=stderr, pass_fds=tuple(pass_fds))
        daemon = Corrald(root, process, notify, log_file)
        started.append(daemon)
        if wait:
            daemon.wait_for_notification("READY=1")
        return daemon

    yield start
    failures = []
    for daemon in started:
        for client in daemon.clients:
            client.close()
        if daemon.process.poll() is None:
            status = daemon.stop()
            if status != 0:
                failures.append(f"corrald exited {status}:\n{daemon.stderr()}")
        daemon.notify.close()
    assert not failures, failures


@pytest.fixture
def namespace() -> Iterator[str]:
    """A fresh network namespace (a daemon's launcher: ``ip netns exec NAME``)."""
    if os.geteuid() != 0 or shutil.which("dnsmasq") is None or shutil.which("nft") is None:
        pytest.skip("needs root, dnsmasq and nft")
    name = f"corral-d-{uuid.uuid4().hex[:10]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True,
                              text=True, check=False).stdout.split()
        for pid in pids:  # whatever a failure left running in it
            os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture
def readable_root() -> Iterator[Path]:
    """A world-readable daemon root (dnsmasq reads its files as ``nobody``)."""
    root = Path(tempfile.mkdtemp(prefix="corral-daemon-", dir="/var/tmp"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
