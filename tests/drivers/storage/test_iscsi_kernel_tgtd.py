"""The iscsi backend for real: the kernel initiator logging in to a tgtd on loopback.

Only where the kernel has the iSCSI initiator (``/sys/module/iscsi_tcp``) and iscsid runs;
elsewhere (this CI machine's kernel has no such module) it is skipped with that reason, and
test_iscsi_backend.py covers the same steps against recorded iscsiadm output. tgtd runs in
the host's network namespace (the kernel's iSCSI sessions are not per namespace), on a port
of its own so it disturbs no other target.
"""

from __future__ import annotations

import shutil
import subprocess
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corral.core.testing import running_host
from corral.drivers.storage.conf import format_pool, parse_pool

pytestmark = [pytest.mark.root, pytest.mark.iscsi_tcp, pytest.mark.slow]

TARGET = "iqn.2026-12.org.corral:kernel"
PORT = 3262
SIZE = 24 << 20


def _no_initiator() -> str | None:
    if not Path("/sys/module/iscsi_tcp").exists():
        return "the kernel has no iSCSI initiator (no iscsi_tcp module)"
    if shutil.which("iscsiadm") is None:
        return "iscsiadm is not installed (open-iscsi)"
    sessions = subprocess.run(["iscsiadm", "--mode", "session"], capture_output=True, text=True)
    if "can not connect to iSCSI daemon" in sessions.stderr:
        return "iscsid is not running"
    return None


@pytest.fixture(scope="module")
def tgtd(tmp_path_factory: pytest.TempPathFactory,
         iscsi: types.SimpleNamespace) -> Iterator[Any]:
    reason = _no_initiator() or iscsi.missing_tools(("tgtd", "tgtadm"))
    if reason:
        pytest.skip(reason)
    server = iscsi.Tgtd(tmp_path_factory.mktemp("tgtd"), namespace=False, iscsi_port=PORT)
    try:
        server.start()
        server.target(1, TARGET, {1: SIZE})
        yield server
    finally:
        server.stop()


def test_start_refresh_stop_for_real(tmp_path: Path, tgtd: Any) -> None:
    xml = format_pool(parse_pool(f"""<pool type='iscsi'><name>real</name><source>
      <host name='127.0.0.1' port='{PORT}'/><device path='{TARGET}'/></source>
      <target><path>/dev/disk/by-path</path></target></pool>"""))
    with running_host(tmp_path, drivers=["storage"]) as host:
        found = host.call("storage", "pool-find-sources", type="iscsi", host="127.0.0.1",
                          port=PORT)
        assert TARGET in [source["device"] for source in found["sources"]]
        host.call("storage", "pool-define", xml=xml)
        host.call("storage", "pool-start", name="real")
        try:
            volumes = host.call("storage", "volume-list", pool="real")
            assert [(v["name"], v["capacity"]) for v in volumes] == [("unit:0:0:1", SIZE)]
        finally:
            host.call("storage", "pool-destroy", name="real")
        sessions = subprocess.run(["iscsiadm", "--mode", "session"], capture_output=True,
                                  text=True)
        assert TARGET not in sessions.stdout
