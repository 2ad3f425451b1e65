"""Recorded iscsiadm output (libvirt's fixtures and this machine's), for the replay tests.

Tests reach these helpers through the ``iscsi`` fixture (this module itself): with
``--import-mode=importlib`` a test cannot import a sibling module.
"""

from __future__ import annotations

import json
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


@pytest.fixture
def iscsi() -> types.SimpleNamespace:
    """The recordings and the helpers above, by name."""
    return types.SimpleNamespace(**{name: value for name, value in globals().items()
                                    if not name.startswith("_")})
