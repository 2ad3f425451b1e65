"""Recorded iscsiadm output (libvirt's fixtures and this machine's), and a real tgtd.

Tests reach these helpers through the ``iscsi`` fixture (this module itself): with
``--import-mode=importlib`` a test cannot import a sibling module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import types
from pathlib import Path

import pytest
from corral.core.testing import Recorded
from corral.drivers.storage.conf import PoolDefinition, parse_pool

DATA = Path(__file__).resolve().parents[2] / "data" / "storage"
LIBVIRT = DATA / "libvirt"

PORTAL = "127.0.0.1:3260,1"
TARGET = "iqn.2026-12.org.corral:recorded"
INITIATOR = "iqn.2026-12.org.corral:initiator"
NODE = ("iscsiadm", "--mode", "node", "--portal", PORTAL, "--targetname", TARGET)
SESSION = ("iscsiadm", "--mode", "session")
IFACE = ("iscsiadm", "--mode", "iface")


def fixture(name: str) -> str:
    """One of libvirt's iscsiadm outputs."""
    return (LIBVIRT / name).read_text()


def recorded(*argv: str, index: int = 0) -> Recorded:
    """The ``index``-th real run of ``iscsiadm ARGV`` on this machine."""
    runs = [run for run in json.loads((DATA / "iscsiadm-recorded.json").read_text())
            if tuple(run["argv"]) == argv]
    run = runs[index]
    return Recorded(tuple(run["argv"]), run["stdout"], run["stderr"], run["status"])


def run(argv: tuple[str, ...], stdout: str = "", stderr: str = "", status: int = 0,
        ) -> Recorded:
    """A run no host here can produce (the module is missing), in iscsiadm's words."""
    return Recorded(argv, stdout, stderr, status)


def session_with_target(sid: str = "1") -> Recorded:
    """``--mode session`` listing the test target (libvirt's fixture's format)."""
    return run(SESSION, f"tcp: [{sid}] 127.0.0.1:3260,1 {TARGET} (non-flash)\n"
               + fixture("session-nonflash.txt"))


def kernel_pool(*, initiator: bool = False, auth: bool = False,
                name: str = "kernel") -> PoolDefinition:
    """The pool the recordings are of: portal 127.0.0.1, the recorded target."""
    iqn = f"<initiator><iqn name='{INITIATOR}'/></initiator>" if initiator else ""
    chap = ("<auth type='chap' username='corral'><secret usage='recorded'/></auth>"
            if auth else "")
    return parse_pool(f"""<pool type='iscsi'><name>{name}</name>
      <source><host name='127.0.0.1'/><device path='{TARGET}'/>{iqn}{chap}</source>
      <target><path>/dev/disk/by-path</path></target></pool>""")


def make_sysfs(root: Path, *, sid: str = "1", host: int = 2) -> Path:
    """A sysfs tree with the session's SCSI host, a controller LUN 0 and disk LUNs 1, 2."""
    (root / f"class/iscsi_session/session{sid}/device/target{host}:0:0").mkdir(parents=True)
    devices = root / "bus/scsi/devices"
    for lun, scsi_type, sectors in ((0, 12, None), (1, 0, 131072), (2, 0, 65536)):
        lu = devices / f"{host}:0:0:{lun}"
        lu.mkdir(parents=True)
        (lu / "type").write_text(f"{scsi_type}\n")
        if sectors is not None:
            (lu / "block" / f"sd{chr(ord('a') + lun)}").mkdir(parents=True)
            (lu / "block" / f"sd{chr(ord('a') + lun)}" / "size").write_text(f"{sectors}\n")
    other = devices / f"{host + 1}:0:0:1"  # another session's disk: not this pool's
    (other / "block/sdz").mkdir(parents=True)
    (other / "type").write_text("0\n")
    (other / "block/sdz/size").write_text("8\n")
    return root


def missing_tools(tools: tuple[str, ...]) -> str | None:
    """Why a real-tgtd test cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, tgtd)"
    absent = [tool for tool in tools if shutil.which(tool) is None]
    return f"missing {', '.join(absent)} (make system-deps installs tgt and libiscsi-bin)" \
        if absent else None


class Tgtd:
    """A tgtd on loopback, in a network namespace of its own unless ``namespace`` is False.

    ``adm(...)`` runs tgtadm against it through its private control port. tgtd ignores
    SIGTERM: :meth:`stop` deletes the targets, then asks tgtd to exit (``--op delete
    --mode system``), kill -9 as the last resort, and removes the namespace.
    """

    def __init__(self, tmp: Path, *, namespace: bool = True, iscsi_port: int = 3260) -> None:
        self.ns = f"corral-tgt-{os.getpid()}" if namespace else None
        self.port = 20000 + os.getpid() % 12000  # a private control port, <= 32767
        self.iscsi_port = iscsi_port
        self.tmp = tmp
        self.process: subprocess.Popen[bytes] | None = None

    def prefix(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.ns) if self.ns else ()

    def adm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.prefix(), "tgtadm", "-C", str(self.port), *args],
                              capture_output=True, text=True, check=check, timeout=30)

    def start(self) -> None:
        if self.ns:
            subprocess.run(["ip", "netns", "add", self.ns], check=True, capture_output=True)
            subprocess.run([*self.prefix(), "ip", "link", "set", "lo", "up"], check=True)
        log = (self.tmp / "tgtd.log").open("wb")
        self.process = subprocess.Popen(
            [*self.prefix(), "tgtd", "-f", "--control-port", str(self.port), "--iscsi",
             f"portal=127.0.0.1:{self.iscsi_port}"], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 20
        while self.adm("--op", "show", "--mode", "target", check=False).returncode != 0:
            assert self.process.poll() is None, (self.tmp / "tgtd.log").read_text()
            assert time.monotonic() < deadline, "tgtd did not answer"
            time.sleep(0.1)

    def target(self, tid: int, iqn: str, luns: dict[int, int]) -> None:
        iscsi = ("--lld", "iscsi")
        self.adm(*iscsi, "--op", "new", "--mode", "target", "--tid", str(tid), "-T", iqn)
        for lun, size in luns.items():
            backing = self.tmp / f"t{tid}-lun{lun}.img"
            with backing.open("wb") as sparse:
                sparse.truncate(size)
            self.adm(*iscsi, "--op", "new", "--mode", "logicalunit", "--tid", str(tid),
                     "--lun", str(lun), "-b", str(backing))
        self.adm(*iscsi, "--op", "bind", "--mode", "target", "--tid", str(tid), "-I", "ALL")

    def stop(self) -> None:
        if self.process is not None:
            for tid in (1, 2):
                self.adm("--lld", "iscsi", "--op", "delete", "--force", "--mode", "target",
                         "--tid", str(tid), check=False)
            self.adm("--op", "delete", "--mode", "system", check=False)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()  # the last resort: tgtd ignores SIGTERM
                self.process.wait(timeout=10)
        if self.ns:
            subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


@pytest.fixture(scope="session")
def iscsi() -> types.SimpleNamespace:
    """The recordings and the helpers above, by name."""
    return types.SimpleNamespace(**{name: value for name, value in globals().items()
                                    if not name.startswith("_")})
