"""The iscsi-direct backend's argv and parsing, on libiscsi 1.19 output recorded from tgtd.

The outputs below were printed by libiscsi-bin 1.19.0 against tgtd (Debian 12) on this
machine (see tests/data/storage/README.md); test_iscsi_direct_tgtd.py runs the same
against a live tgtd.
"""

from __future__ import annotations

import pytest
from corral.core import ErrorCode, dry_run
from corral.core.testing import Recorded, Replay, replay
from corral.drivers.storage._secrets import SecretValue
from corral.drivers.storage.backends import Chap, StorageError, Volume
from corral.drivers.storage.backends.iscsi_direct import (
    REPORT_LUNS,
    IscsiDirectBackend,
    parse_device_type,
    parse_luns,
    parse_readcapacity,
)
from corral.drivers.storage.conf import PoolDefinition, parse_pool

TARGET = "iqn.2026-12.org.corral:t1"
INIT = "iqn.2026-12.org.corral:init"
URL = f"iscsi://127.0.0.1:3260/{TARGET}"
INQ_CONTROLLER = """Peripheral Qualifier:CONNECTED
Peripheral Device Type:STORAGE_ARRAY_CONTROLLER
Removable:0
Version:5 ANSI INCITS 408-2005 (SPC-3)
Vendor:IET     
Product:Controller      
Revision:0001
"""  # noqa: W291 (tgtd pads vendor and product with spaces)
INQ_DISK = INQ_CONTROLLER.replace("STORAGE_ARRAY_CONTROLLER", "DIRECT_ACCESS").replace(
    "Controller      ", "VIRTUAL-DISK    ")
READCAP = """RETURNED LOGICAL BLOCK ADDRESS:131071
LOGICAL BLOCK LENGTH IN BYTES:512
P_TYPE:0 PROT_EN:0
P_I_EXPONENT:0 LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT:3
LBPME:0 LBPRZ:0
LOWEST ALIGNED LOGICAL BLOCK ADDRESS:0
Total size:67108864
"""
AUTH_FAILED = "Login Failed. Failed to log in to target. Status: Authentication failure(513)\n"
PASSWORD = "direct-pw-1"


def pool(auth: bool = False) -> PoolDefinition:
    chap = "<auth type='chap' username='u1'><secret usage='x'/></auth>" if auth else ""
    return parse_pool(f"""<pool type='iscsi-direct'><name>d</name><source>
      <host name='127.0.0.1'/><device path='{TARGET}'/>
      <initiator><iqn name='{INIT}'/></initiator>{chap}</source></pool>""")


def tool(name: str, url: str, stdout: str = "", stderr: str = "", status: int = 0) -> Recorded:
    argv = (*REPORT_LUNS, "-i", INIT, url) if name == "reportluns" else (name, "-i", INIT, url)
    return Recorded(argv, stdout, stderr, status)


def test_parsers() -> None:
    assert parse_luns("Lun:0\nLun:3\n") == [0, 3]
    assert parse_device_type(INQ_CONTROLLER) == "STORAGE_ARRAY_CONTROLLER"
    assert parse_device_type(INQ_DISK) == "DIRECT_ACCESS"
    # 131071 is the LAST block's address: 131072 blocks of 512 bytes (libvirt 9.0: one short).
    assert parse_readcapacity(READCAP) == 64 << 20
    assert parse_readcapacity("Total size:1\n") is None


def test_refresh_lists_disks_with_exact_sizes_and_skips_the_controller() -> None:
    runs = [tool("reportluns", URL, "Lun:0\nLun:1\n"),
            tool("iscsi-inq", f"{URL}/0", INQ_CONTROLLER), tool("iscsi-inq", f"{URL}/1", INQ_DISK),
            tool("iscsi-readcapacity16", f"{URL}/1", READCAP)]
    with replay(runs, all_used=True) as table:
        volumes = IscsiDirectBackend().refresh(pool(), None)
    key = f"ip-127.0.0.1:3260-iscsi-{TARGET}-lun-1"
    assert volumes == [Volume("unit:0:0:1", key, key, "network", 64 << 20, 64 << 20)]
    assert table.commands[1:] == [f"iscsi-inq -i {INIT} {URL}/0", f"iscsi-inq -i {INIT} {URL}/1",
                                  f"iscsi-readcapacity16 -i {INIT} {URL}/1"]


def test_chap_goes_in_the_environment_never_the_url() -> None:
    table = Replay([tool("iscsi-inq", f"{URL}/0", INQ_CONTROLLER)])
    seen: list[tuple[list[str], dict[str, str]]] = []

    def spy(argv: list[str], env: dict[str, str], data: bytes | None) -> tuple[int, str, str]:
        seen.append((argv, env))  # what the tool itself gets
        return table(argv, env, data)

    with dry_run(spy) as record:
        IscsiDirectBackend().start(pool(auth=True), Chap("u1", SecretValue(PASSWORD.encode())))
    (argv, env), = seen
    assert env["LIBISCSI_CHAP_USERNAME"] == "u1" and env["LIBISCSI_CHAP_PASSWORD"] == PASSWORD
    assert not any(PASSWORD in arg for arg in argv)
    assert record.commands == [f"LIBISCSI_CHAP_USERNAME=u1 LIBISCSI_CHAP_PASSWORD='***' "
                               f"iscsi-inq -i {INIT} {URL}/0"]


def test_a_failed_login_names_portal_and_target_and_redacts() -> None:
    # libiscsi never echoes the password; if a tool ever did, the error would not carry it.
    words = AUTH_FAILED + f"(while using {PASSWORD})\n"
    with replay([tool("iscsi-inq", f"{URL}/0", "", words, 10)]), \
            pytest.raises(StorageError) as caught:
        IscsiDirectBackend().start(pool(auth=True), Chap("u1", SecretValue(PASSWORD.encode())))
    error = caught.value
    assert error.code == ErrorCode.AUTH_FAILED
    assert str(error).startswith(f"Cannot log in to the iSCSI target '{TARGET}' at the portal "
                                 "'iscsi://127.0.0.1:3260': authentication failed")
    assert PASSWORD not in repr(error.to_dict())


def test_find_sources_lists_targets_in_order() -> None:
    listing = (f"Target:iqn.2026-12.org.corral:chap Portal:127.0.0.1:3260,1\n"
               f"Target:{TARGET} Portal:127.0.0.1:3260,1\n")
    with replay([Recorded(("iscsi-ls", "-i", INIT, "iscsi://127.0.0.1:3260"), listing)],
                all_used=True):
        found = IscsiDirectBackend().find_sources("127.0.0.1", None, INIT)
    assert [source.device for source in found] == ["iqn.2026-12.org.corral:chap", TARGET]


def test_find_sources_needs_an_initiator_as_in_libvirt() -> None:
    with replay([]) as table, pytest.raises(StorageError, match="without an initiator IQN"):
        IscsiDirectBackend().find_sources("127.0.0.1", None, None)
    assert table.commands == []


def test_the_command_prefix_goes_first() -> None:
    prefix = ("ip", "netns", "exec", "ns")
    runs = [Recorded((*prefix, "iscsi-inq", "-i", INIT, f"{URL}/0"), INQ_CONTROLLER)]
    with replay(runs, all_used=True):
        IscsiDirectBackend(command_prefix=prefix).start(pool(), None)
