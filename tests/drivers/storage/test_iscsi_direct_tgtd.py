"""The iscsi-direct backend end to end against a real tgtd, and the CHAP secret's travels.

tgtd runs on loopback in a network namespace of its own (``ip netns``), with a private
control port, set up with tgtadm: a target with two LUNs backed by sparse files (plus
tgtd's controller LUN 0), and a second target that wants CHAP. libiscsi's tools reach it
through the backend's command prefix (``ip netns exec NS``): the only part of corral that
differs from production is that prefix. tgtd ignores SIGTERM, so the fixture stops it
with ``tgtadm --op delete --mode system`` once the targets are gone (kill -9 as a last
resort) and removes the namespace.
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode, SpawnRecord, monitor_all_spawns
from corral.core.host import Host
from corral.core.testing import running_host
from corral.drivers.storage import StorageDriver
from corral.drivers.storage.backends import StorageBackend
from corral.drivers.storage.backends.iscsi_direct import IscsiDirectBackend
from corral.drivers.storage.conf import format_pool, parse_pool

pytestmark = [pytest.mark.root, pytest.mark.netns, pytest.mark.slow]

DISKS = "iqn.2026-12.org.corral:disks"
CHAP_TARGET = "iqn.2026-12.org.corral:chap"
INITIATOR = "iqn.2026-12.org.corral:direct-initiator"
USER, PASSWORD = "corraluser", "Tgtd-Chap-Pw-7c1e"
SIZES = {1: 64 << 20, 2: (32 << 20) + 3 * 512}  # LUN -> exact bytes (an odd block count)
CHAP_SIZE = 16 << 20
TOOLS = ("ip", "tgtd", "tgtadm", "iscsi-ls", "iscsi-inq", "iscsi-readcapacity16")


@pytest.fixture(scope="module")
def tgtd(tmp_path_factory: pytest.TempPathFactory,
         iscsi: types.SimpleNamespace) -> Iterator[Any]:
    reason = iscsi.missing_tools(TOOLS)
    if reason:
        pytest.skip(reason)
    server = iscsi.Tgtd(tmp_path_factory.mktemp("tgtd"))
    try:
        server.start()
        server.target(1, DISKS, SIZES)
        server.target(2, CHAP_TARGET, {1: CHAP_SIZE})
        server.adm("--lld", "iscsi", "--op", "new", "--mode", "account", "--user", USER,
                   "--password", PASSWORD)
        server.adm("--lld", "iscsi", "--op", "bind", "--mode", "account", "--tid", "2",
                   "--user", USER)
        yield server
    finally:
        server.stop()
    assert server.ns not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                           text=True).stdout


def pool_xml(name: str, target: str, *, port: int = 3260, auth: bool = False) -> str:
    chap = f"<auth type='chap' username='{USER}'><secret usage='tgtd-chap'/></auth>" \
        if auth else ""
    return format_pool(parse_pool(f"""<pool type='iscsi-direct'><name>{name}</name>
      <source><host name='127.0.0.1' port='{port}'/><device path='{target}'/>
      <initiator><iqn name='{INITIATOR}'/></initiator>{chap}</source></pool>"""))


@pytest.fixture
def host(tmp_path: Path, tgtd: Any) -> Iterator[Host]:
    class InNamespace(StorageDriver):
        def make_backend(self, pool_type: str) -> StorageBackend:
            return IscsiDirectBackend(command_prefix=tgtd.prefix())

    config = f'audit_log_file = "{tmp_path}/audit.log"\n'
    with running_host(tmp_path / "root", drivers={"storage": InNamespace},
                      plugins=["audit"], config=config) as opened:
        yield opened


def call(on: Host, operation: str, /, **arguments: object) -> object:
    return on.call("storage", operation, **arguments)


def set_secret(on: Host, password: str) -> None:
    call(on, "secret-define", xml="<secret ephemeral='no' private='yes'><usage type='iscsi'>"
         "<target>tgtd-chap</target></usage></secret>")
    call(on, "secret-set-value", secret="tgtd-chap",
         value_b64=base64.b64encode(password.encode()).decode())


def test_find_sources_lists_both_targets(host: Host) -> None:
    found = call(host, "pool-find-sources", type="iscsi-direct", host="127.0.0.1",
                 initiator=INITIATOR)
    assert sorted(s["device"] for s in found["sources"]) == sorted([DISKS, CHAP_TARGET])  # type: ignore[index]


def test_listing_and_exact_sizes(host: Host) -> None:
    call(host, "pool-define", xml=pool_xml("disks", DISKS))
    call(host, "pool-start", name="disks")
    volumes = call(host, "volume-list", pool="disks")
    stem = f"ip-127.0.0.1:3260-iscsi-{DISKS}-lun-"
    assert volumes == [  # LUN 0, tgtd's controller, is not a volume
        {"name": f"unit:0:0:{lun}", "key": f"{stem}{lun}", "path": f"{stem}{lun}",
         "type": "network", "capacity": size, "allocation": size}
        for lun, size in SIZES.items()]
    info = call(host, "pool-info", name="disks")
    assert info["capacity"] == sum(SIZES.values()) and info["state"] == "running"  # type: ignore[index]
    call(host, "pool-refresh", name="disks")
    call(host, "pool-destroy", name="disks")
    assert call(host, "pool-list") == []


def error_of(on: Host, name: str) -> CorralError:
    with pytest.raises(CorralError) as caught:
        call(on, "pool-start", name=name)
    assert call(on, "pool-list") == [], "the pool must stay inactive"
    assert not (on.paths.runtime / "storage" / f"{name}.json").exists()
    return caught.value


def test_a_wrong_chap_password(host: Host) -> None:
    set_secret(host, "not-the-password")
    call(host, "pool-define", xml=pool_xml("chap", CHAP_TARGET, auth=True))
    error = error_of(host, "chap")
    assert error.code == ErrorCode.AUTH_FAILED
    assert (f"Cannot log in to the iSCSI target '{CHAP_TARGET}' at the portal "
            "'iscsi://127.0.0.1:3260': authentication failed") in str(error)
    assert "Authentication failure" in str(error) and "not-the-password" not in str(error)


def test_an_unreachable_portal(host: Host) -> None:
    call(host, "pool-define", xml=pool_xml("away", DISKS, port=3261))
    error = error_of(host, "away")
    assert f"'{DISKS}' at the portal 'iscsi://127.0.0.1:3261': the portal cannot be " \
           "reached" in str(error)
    assert "iscsi-inq exit status 10" in str(error)


def test_a_target_that_does_not_exist(host: Host) -> None:
    call(host, "pool-define", xml=pool_xml("nope", "iqn.2026-12.org.corral:nope"))
    error = error_of(host, "nope")
    assert "'iqn.2026-12.org.corral:nope' at the portal 'iscsi://127.0.0.1:3260': the " \
           "target does not exist at this portal" in str(error)


def test_the_chap_password_appears_nowhere(host: Host, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """A CHAP run, right and wrong: grep every file, output, error, event and record."""
    caplog.set_level(logging.DEBUG)  # every record of every logger, corral's included
    seen: list[str] = []

    class Spy:
        def check(self, record: SpawnRecord) -> None:
            return None

        def observe(self, record: SpawnRecord, spawn: object) -> object:
            outcome = spawn()  # type: ignore[operator]
            seen.append(repr(record))
            return outcome

        def reaped(self, record: SpawnRecord) -> None:
            seen.append(repr(record))

    with monitor_all_spawns(Spy()):  # type: ignore[arg-type]
        set_secret(host, PASSWORD)
        call(host, "pool-define", xml=pool_xml("chap", CHAP_TARGET, auth=True))
        seen.append(repr(call(host, "pool-start", name="chap")))
        for operation in ("pool-info", "pool-get-xml"):
            seen.append(repr(call(host, operation, name="chap")))
        volumes = call(host, "volume-list", pool="chap")
        assert [v["capacity"] for v in volumes] == [CHAP_SIZE]  # type: ignore[index]
        seen += [repr(volumes), repr(call(host, "secret-list")), repr(call(host, "pool-list"))]
        call(host, "pool-refresh", name="chap")
        call(host, "pool-destroy", name="chap")
        call(host, "secret-set-value", secret="tgtd-chap",
             value_b64=base64.b64encode(b"wrong-" + PASSWORD.encode()).decode())
        error = error_of(host, "chap")
        seen += [str(error), repr(error), json.dumps(error.to_dict())]
    assert error.code == ErrorCode.AUTH_FAILED
    assert any("LIBISCSI_CHAP_PASSWORD" in line for line in seen)  # the spy saw the spawns
    audit = (tmp_path / "audit.log").read_text()
    assert '"kind": "lifecycle"' in audit and "LIBISCSI_CHAP_PASSWORD" in audit
    texts = {"spawn records and outputs": "\n".join(seen), "logs": caplog.text,
             "audit log": audit}
    for path in tmp_path.rglob("*"):
        if path.is_file() and not path.name.endswith(".base64"):
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    secret_files = list(tmp_path.rglob("*.base64"))
    assert len(secret_files) == 1 and oct(secret_files[0].stat().st_mode & 0o777) == "0o600"
    for where, text in texts.items():
        assert PASSWORD not in text, f"the CHAP password leaked into {where}"
        assert base64.b64encode(PASSWORD.encode()).decode() not in text, where
