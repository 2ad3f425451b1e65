"""Network namespaces for the end-to-end tests (``net`` fixture): per test, always removed.

Nothing here touches the host's own namespace: every command runs under
``ip netns exec NS``, the driver included (``netns_driver.py`` in a subprocess). Removing
a namespace kills what runs in it first (``ip netns pids``), and deleting it takes its
bridges, veth ends and nft tables with it, so a failing test leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DRIVER = Path(__file__).with_name("netns_driver.py")
TOOLS = ("ip", "nft", "dnsmasq", "udhcpc", "dig")


def missing_tools() -> list[str]:
    path = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/sbin"))
    return [tool for tool in TOOLS if shutil.which(tool, path=path) is None]


def run(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)


class Namespace:
    """One network namespace, named uniquely for this test."""

    def __init__(self) -> None:
        self.name = f"corral-t-{uuid.uuid4().hex[:10]}"
        run("ip", "netns", "add", self.name)

    def exec(self, *argv: str, check: bool = True,
             timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", self.name, *argv, check=check, timeout=timeout)

    def popen(self, *argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(["ip", "netns", "exec", self.name, *argv], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def links(self) -> set[str]:
        shown = json.loads(self.exec("ip", "-j", "link", "show").stdout)
        return {link["ifname"] for link in shown}

    def addresses(self, device: str) -> list[str]:
        shown = json.loads(self.exec("ip", "-j", "address", "show", "dev", device).stdout)
        return [info["local"] for link in shown for info in link.get("addr_info", [])]

    def ruleset(self) -> list[dict[str, Any]]:
        return json.loads(self.exec("nft", "-j", "list", "ruleset").stdout)["nftables"]

    def pids(self) -> list[int]:
        listed = run("ip", "netns", "pids", self.name, check=False).stdout.split()
        return [int(pid) for pid in listed]

    def processes(self) -> list[str]:
        """The command lines of what runs in the namespace (zombies excluded)."""
        found = []
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/stat").read_text()
                if status[status.rfind(")") + 2] in "ZX":
                    continue
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                             .decode().strip())
            except OSError:
                continue
        return found

    def remove(self) -> None:
        for number in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.pids():
                try:
                    os.kill(pid, number)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.05)
        run("ip", "netns", "delete", self.name, check=False)


_LEASE = re.compile(r"lease of (\S+) obtained")


def wait_for(predicate: Callable[[], Any], timeout: float = 10) -> Any:
    """Poll ``predicate`` until it returns something true; return it (or fail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            assert value, "the condition did not come true in time"
            return value
        time.sleep(0.05)


class NetKit:
    """What an end-to-end test uses: namespaces, a readable root, the driver, clients."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: list[Namespace] = []

    wait_for = staticmethod(wait_for)

    def namespace(self) -> Namespace:
        """A new namespace, removed when the test ends."""
        self.made.append(Namespace())
        return self.made[-1]

    def driver(self, namespace: Namespace, *calls: tuple[str, dict[str, Any]],
               drivers: tuple[str, ...] = ("network",)) -> list[Any]:
        """Run one corrald lifetime of the network driver (and ``drivers``) in ``namespace``.

        Returns each call's return value; a failed call answers ``{"error": CODE, ...}``.
        """
        done = subprocess.run(
            ["ip", "netns", "exec", namespace.name, sys.executable, str(DRIVER),
             str(self.root), ",".join(drivers)],
            input=json.dumps([list(call) for call in calls]), capture_output=True, text=True,
            timeout=120)
        assert done.returncode == 0, done.stderr
        answers = [json.loads(line) for line in done.stdout.splitlines()]
        return [answer.get("return", answer) for answer in answers]

    def join(self, bridge_ns: Namespace, bridge: str, client: Namespace, device: str,
             mac: str | None = None) -> None:
        """Plug a veth pair between ``bridge`` (in ``bridge_ns``) and ``client``."""
        outer = f"v{uuid.uuid4().hex[:8]}"
        peer = ["name", device, *(["address", mac] if mac else []), "netns", client.name]
        bridge_ns.exec("ip", "link", "add", outer, "type", "veth", "peer", *peer)
        bridge_ns.exec("ip", "link", "set", outer, "master", bridge, "up")
        client.exec("ip", "link", "set", device, "up")

    def obtain_lease(self, client: Namespace, device: str) -> str:
        """Run udhcpc once in ``client`` on ``device``; configure and return the address."""
        done = client.exec("udhcpc", "-i", device, "-n", "-q", "-f", "-s", "/bin/true",
                           "-t", "20", "-T", "1", timeout=60)
        found = _LEASE.search(done.stdout + done.stderr)
        assert found, done.stdout + done.stderr
        address = found.group(1)
        client.exec("ip", "address", "add", f"{address}/24", "dev", device)
        return address

    def pid_of(self, name: str) -> int:
        """The pid in the network's dnsmasq pid file."""
        return int((self.root / "run/corral/network" / f"{name}.pid").read_text())

    def files(self) -> set[str]:
        """The driver's network files (markers aside), relative to the root."""
        found = set()
        for directory in ("var/lib/corral/network", "run/corral/network"):
            for path in (self.root / directory).glob("*"):
                if path.name not in ("autostarted", "default-installed"):
                    found.add(str(path.relative_to(self.root)))
        return found


@pytest.fixture
def net() -> Iterator[NetKit]:
    """The kit, on a root dnsmasq (running as nobody) can read: tmp_path is 0700.

    Skips where namespaces cannot be made (not root) or a tool is missing.
    """
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if missing_tools():
        pytest.skip(f"missing tools: {missing_tools()}")
    root = Path(tempfile.mkdtemp(prefix="corral-netns-", dir="/var/tmp"))
    root.chmod(0o755)
    kit = NetKit(root)
    try:
        yield kit
    finally:
        for namespace in reversed(kit.made):
            namespace.remove()
        shutil.rmtree(root, ignore_errors=True)
