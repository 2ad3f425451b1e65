"""The iscsi backend against recorded iscsiadm output: the exact argv of each operation.

Replay tables come from libvirt's fixtures and real runs on this machine (see
tests/data/storage/README.md); ``all_used=True`` makes every recorded step part of the
expected sequence, and ``table.commands`` is compared whole.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from corral.core import ErrorCode
from corral.core.testing import replay
from corral.drivers.storage._secrets import SecretValue
from corral.drivers.storage.backends import Chap, FoundSource, StorageError, Volume
from corral.drivers.storage.backends._iscsiadm import (
    EXIT_STATUS,
    parse_ifaces,
    parse_sessions,
    parse_targets,
    portal_of,
)
from corral.drivers.storage.backends._protocol import last_lines
from corral.drivers.storage.backends.iscsi import IscsiBackend, iface_name

PASSWORD = "recorded-pw"
CHAP = Chap("corral", SecretValue(PASSWORD.encode()))
NODE_S = ("iscsiadm --mode node --portal 127.0.0.1:3260,1 --targetname "
          "iqn.2026-12.org.corral:recorded")


def commands(table: object) -> list[str]:
    return list(table.commands)  # type: ignore[attr-defined]


# --- parsing: libvirt's expectations (viriscsitest.c) -------------------------------------

@pytest.mark.parametrize("name", ["session.txt", "session-nonflash.txt"])
def test_sessions_as_libvirt_reads_them(iscsi: types.SimpleNamespace, name: str) -> None:
    sessions = parse_sessions(iscsi.fixture(name))
    assert sessions["iqn.2004-06.example:example1:iscsi.test"] == "1"
    assert sessions["iqn.2009-04.example:example1:iscsi.seven"] == "7"
    assert "iqn.2009-04.example:example1:iscsi.eight" not in sessions


def test_sendtargets_in_file_order(iscsi: types.SimpleNamespace) -> None:
    assert parse_targets(iscsi.fixture("sendtargets.txt")) == [
        "iqn.2004-06.example:example1:iscsi.test", "iqn.2005-05.example:example1:iscsi.hello",
        "iqn.2006-04.example:example1:iscsi.world", "iqn.2007-04.example:example1:iscsi.foo",
        "iqn.2008-04.example:example1:iscsi.bar", "iqn.2009-04.example:example1:iscsi.seven"]


def test_ifaces(iscsi: types.SimpleNamespace) -> None:
    assert parse_ifaces(iscsi.fixture("iface-default.txt"), portal="p") == {
        "default": None, "iser": None}
    assert parse_ifaces(iscsi.fixture("iface-with-libvirt-iface.txt"), portal="p")[
        "libvirt-iface-03020100"] == "iqn.2004-06.example:example1:initiator"


def test_a_malformed_iface_line_is_an_error_naming_it() -> None:
    with pytest.raises(StorageError, match="malformed iscsiadm output line 'default tcp'"):
        parse_ifaces("default tcp\n", portal="p")


def test_portal_strings() -> None:
    assert portal_of("10.0.0.1", 3260) == "10.0.0.1:3260,1"
    assert portal_of("fe80::1", 3261) == "[fe80::1]:3261,1"


def test_the_exit_status_table_covers_open_iscsi() -> None:
    assert sorted(EXIT_STATUS) == list(range(33))
    assert EXIT_STATUS[24].code == ErrorCode.AUTH_FAILED
    assert EXIT_STATUS[8].code == ErrorCode.OPERATION_TIMEOUT
    assert EXIT_STATUS[15].name == "ISCSI_ERR_SESS_EXISTS"
    assert EXIT_STATUS[1].name == "ISCSI_ERR" and EXIT_STATUS[0].name == "ISCSI_SUCCESS"
    assert len({status.name for status in EXIT_STATUS.values()}) == len(EXIT_STATUS)


# --- find-sources ---------------------------------------------------------------------------

DISCOVERY = ("iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal",
             "10.20.30.40:3260,1", "--op", "nonpersistent")


def test_find_sources_is_a_nonpersistent_sendtargets(iscsi: types.SimpleNamespace) -> None:
    with replay([iscsi.run(DISCOVERY, iscsi.fixture("sendtargets.txt"))], all_used=True) as t:
        found = IscsiBackend().find_sources("10.20.30.40", None, None)
    assert found[0] == FoundSource("10.20.30.40", 3260, "iqn.2004-06.example:example1:iscsi.test")
    assert len(found) == 6
    assert commands(t) == [" ".join(DISCOVERY)]


def test_find_sources_through_the_iface_of_the_initiator(iscsi: types.SimpleNamespace) -> None:
    runs = [iscsi.run(iscsi.IFACE, iscsi.fixture("iface-with-libvirt-iface.txt")),
            iscsi.run((*DISCOVERY, "--interface", "libvirt-iface-03020100"),
                      iscsi.fixture("sendtargets.txt"))]
    with replay(runs, all_used=True):
        found = IscsiBackend().find_sources("10.20.30.40", 3260,
                                            "iqn.2004-06.example:example1:initiator")
    assert len(found) == 6


def test_find_sources_creates_an_iface_and_removes_it(iscsi: types.SimpleNamespace) -> None:
    name = iface_name(iscsi.INITIATOR)
    new = iscsi.recorded("iscsiadm", "--mode", "iface", "--interface",
                         "corral-iface-recorded", "--op", "new")
    listed = iscsi.recorded("iscsiadm", "--mode", "iface", index=1).stdout.replace(
        "corral-iface-recorded tcp,<empty>,<empty>,<empty>,<empty>",
        f"{name} tcp,<empty>,<empty>,<empty>,{iscsi.INITIATOR}")
    iface = ("iscsiadm", "--mode", "iface", "--interface", name)
    runs = [iscsi.recorded("iscsiadm", "--mode", "iface"),  # first answer: not there yet
            iscsi.run(iscsi.IFACE, listed),
            iscsi.run((*iface, "--op", "new"), new.stdout.replace("corral-iface-recorded", name)),
            iscsi.run((*iface, "--op", "update", "--name", "iface.initiatorname", "--value",
                       iscsi.INITIATOR)),
            iscsi.run((*DISCOVERY, "--interface", name), iscsi.fixture("sendtargets.txt")),
            iscsi.run((*iface, "--op", "delete"), f"{name} unbound and deleted.\n")]
    with replay(runs, all_used=True) as table:
        IscsiBackend().find_sources("10.20.30.40", 3260, iscsi.INITIATOR)
    assert commands(table) == [
        "iscsiadm --mode iface", f"iscsiadm --mode iface --interface {name} --op new",
        f"iscsiadm --mode iface --interface {name} --op update --name iface.initiatorname "
        f"--value {iscsi.INITIATOR}",
        "iscsiadm --mode iface", " ".join(DISCOVERY) + f" --interface {name}",
        f"iscsiadm --mode iface --interface {name} --op delete"]


def test_discovery_without_the_kernel_module_is_a_clear_error(
        iscsi: types.SimpleNamespace) -> None:
    discovery = ("iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal",
                 iscsi.PORTAL, "--op", "nonpersistent")
    with replay([iscsi.recorded(*discovery)]), pytest.raises(StorageError) as caught:
        IscsiBackend().find_sources("127.0.0.1", 3260, None)
    error = caught.value
    assert error.code == ErrorCode.OPERATION_UNSUPPORTED
    assert "discover the targets of the iSCSI portal '127.0.0.1:3260,1'" in str(error)
    assert "iSCSI driver not found" in str(error) and "exit status 12" in str(error)
    assert error.detail["portal"] == iscsi.PORTAL


# --- start ----------------------------------------------------------------------------------

def start_runs(iscsi: types.SimpleNamespace, login: object) -> list[object]:
    return [iscsi.recorded(*iscsi.SESSION), iscsi.recorded(*iscsi.NODE),
            iscsi.recorded(*iscsi.NODE, "--op", "new"),
            *(iscsi.recorded(*iscsi.NODE, "--op", "update", "--name",
                             f"node.session.auth.{name}", "--value", value)
              for name, value in (("authmethod", "CHAP"), ("username", "corral"),
                                  ("password", PASSWORD))),
            login]


CHAP_COMMANDS = [f"{NODE_S} --op update --name node.session.auth.authmethod --value CHAP",
                 f"{NODE_S} --op update --name node.session.auth.username --value corral",
                 f"{NODE_S} --op update --name node.session.auth.password --value '***'"]


def test_start_creates_the_node_sets_chap_and_logs_in(iscsi: types.SimpleNamespace) -> None:
    login = iscsi.run((*iscsi.NODE, "--login"), "Logging in to [...]\nLogin to [...] "
                      "successful.\n")
    with replay(start_runs(iscsi, login), all_used=True) as table:
        IscsiBackend().start(iscsi.kernel_pool(auth=True), CHAP)
    assert commands(table) == ["iscsiadm --mode session", NODE_S, f"{NODE_S} --op new",
                               *CHAP_COMMANDS, f"{NODE_S} --login"]


def test_an_existing_session_is_success_without_a_login(iscsi: types.SimpleNamespace) -> None:
    with replay([iscsi.session_with_target()], all_used=True) as table:
        IscsiBackend().start(iscsi.kernel_pool(), None)
    assert commands(table) == ["iscsiadm --mode session"]


def test_exit_15_session_exists_is_success(iscsi: types.SimpleNamespace) -> None:
    login = iscsi.run((*iscsi.NODE, "--login"), "", "iscsiadm: default: 1 session requested, "
                      "but 1 already present.\n", 15)
    with replay(start_runs(iscsi, login), all_used=True):
        IscsiBackend().start(iscsi.kernel_pool(auth=True), CHAP)


@pytest.mark.parametrize(("status", "stderr", "code", "words"), [
    (20, None, ErrorCode.OPERATION_FAILED, "iscsid is not running"),
    (24, "iscsiadm: Login failed to authenticate with target\n", ErrorCode.AUTH_FAILED,
     "authentication failed"),
    (8, "iscsiadm: Login timed out\n", ErrorCode.OPERATION_TIMEOUT, "portal cannot be reached"),
    (19, "iscsiadm: initiator reported error (19 - encountered non-retryable iSCSI login "
     "failure)\n", ErrorCode.OPERATION_FAILED, "does not exist at this portal"),
])
def test_a_failed_login_removes_the_node_record_it_created(
        iscsi: types.SimpleNamespace, status: int, stderr: str | None, code: ErrorCode,
        words: str) -> None:
    login = (iscsi.recorded(*iscsi.NODE, "--login") if stderr is None
             else iscsi.run((*iscsi.NODE, "--login"), "", stderr, status))
    delete = iscsi.recorded(*iscsi.NODE, "--op", "delete")
    with replay([*start_runs(iscsi, login), delete], all_used=True) as table, \
            pytest.raises(StorageError) as caught:
        IscsiBackend().start(iscsi.kernel_pool(auth=True), CHAP)
    assert commands(table)[-2:] == [f"{NODE_S} --login", f"{NODE_S} --op delete"]
    error = caught.value
    assert error.code == code and f"exit status {status}" in str(error) and words in str(error)
    assert (f"Cannot log in to the iSCSI target '{iscsi.TARGET}' at the portal "
            f"'{iscsi.PORTAL}'") in str(error)
    assert error.detail["target"] == iscsi.TARGET and error.detail["status"] == status
    assert PASSWORD not in repr(error.to_dict())


def test_a_node_record_that_was_there_is_kept(iscsi: types.SimpleNamespace) -> None:
    runs = [iscsi.recorded(*iscsi.SESSION), iscsi.recorded(*iscsi.NODE, index=1),
            iscsi.recorded(*iscsi.NODE, "--login")]
    with replay(runs, all_used=True) as table, pytest.raises(StorageError):
        IscsiBackend().start(iscsi.kernel_pool(), None)
    assert commands(table) == ["iscsiadm --mode session", NODE_S, f"{NODE_S} --login"]


def test_a_failed_node_creation_leaves_nothing_to_undo(iscsi: types.SimpleNamespace) -> None:
    runs = [iscsi.recorded(*iscsi.SESSION), iscsi.recorded(*iscsi.NODE),
            iscsi.run((*iscsi.NODE, "--op", "new"), "", "iscsiadm: Could not add new record\n",
                      6)]
    with replay(runs, all_used=True) as table, pytest.raises(StorageError, match="database"):
        IscsiBackend().start(iscsi.kernel_pool(), None)
    assert commands(table)[-1] == f"{NODE_S} --op new"


def test_a_failed_iface_creation_is_undone(iscsi: types.SimpleNamespace) -> None:
    name = iface_name(iscsi.INITIATOR)
    iface = ("iscsiadm", "--mode", "iface", "--interface", name)
    update = (*iface, "--op", "update", "--name", "iface.initiatorname", "--value",
              iscsi.INITIATOR)
    real = iscsi.recorded("iscsiadm", "--mode", "iface", "--interface", "corral-iface-recorded",
                          "--op", "update", "--name", "iface.initiatorname", "--value",
                          iscsi.INITIATOR)
    runs = [iscsi.recorded(*iscsi.SESSION), iscsi.recorded(*iscsi.IFACE),
            iscsi.run((*iface, "--op", "new"), f"New interface {name} added\n"),
            iscsi.run(update, real.stdout, real.stderr.replace("corral-iface-recorded", name),
                      real.status),
            iscsi.run((*iface, "--op", "delete"), f"{name} unbound and deleted.\n")]
    with replay(runs, all_used=True) as table, pytest.raises(StorageError) as caught:
        IscsiBackend().start(iscsi.kernel_pool(initiator=True), None)
    assert commands(table)[-1] == f"iscsiadm --mode iface --interface {name} --op delete"
    assert caught.value.code == ErrorCode.INTERNAL_ERROR  # 7: iscsiadm refused an argument
    assert f"Cound not locate transport for iface {name}" in str(caught.value)


def test_start_logs_in_through_the_initiator_iface(iscsi: types.SimpleNamespace) -> None:
    iface_list = iscsi.fixture("iface-default.txt") + (
        f"corral-a tcp,<empty>,<empty>,<empty>,{iscsi.INITIATOR}\n")
    node = (*iscsi.NODE, "--interface", "corral-a")
    runs = [iscsi.recorded(*iscsi.SESSION), iscsi.run(iscsi.IFACE, iface_list),
            iscsi.run(node, "# BEGIN RECORD 2.1.8\n"), iscsi.run((*node, "--login"))]
    with replay(runs, all_used=True) as table:
        IscsiBackend().start(iscsi.kernel_pool(initiator=True), None)
    assert commands(table)[-1] == f"{NODE_S} --interface corral-a --login"


# --- refresh and stop -----------------------------------------------------------------------

def test_refresh_rescans_and_reads_the_disks_from_sysfs(
        iscsi: types.SimpleNamespace, tmp_path: Path) -> None:
    rescan = iscsi.run(("iscsiadm", "--mode", "session", "-r", "1", "-R"),
                       "Rescanning session [sid: 1, target: ..., portal: ...]\n")
    with replay([iscsi.session_with_target(), rescan], all_used=True) as table:
        volumes = IscsiBackend(sysfs=iscsi.make_sysfs(tmp_path)).refresh(
            iscsi.kernel_pool(), None)
    stem = f"ip-127.0.0.1:3260-iscsi-{iscsi.TARGET}-lun-"
    assert volumes == [  # LUN 0 is a controller (type 12), 3:0:0:1 another host's
        Volume("unit:0:0:1", f"{stem}1", f"/dev/disk/by-path/{stem}1", "block", 64 << 20,
               64 << 20),
        Volume("unit:0:0:2", f"{stem}2", f"/dev/disk/by-path/{stem}2", "block", 32 << 20,
               32 << 20)]
    assert commands(table) == ["iscsiadm --mode session", "iscsiadm --mode session -r 1 -R"]


def test_refresh_without_a_session_names_portal_and_target(
        iscsi: types.SimpleNamespace) -> None:
    with replay([iscsi.recorded(*iscsi.SESSION)]), pytest.raises(StorageError) as caught:
        IscsiBackend().refresh(iscsi.kernel_pool(), None)
    assert f"'{iscsi.TARGET}' at the portal '{iscsi.PORTAL}' has no session" in str(caught.value)


def test_a_failed_rescan_is_an_error(iscsi: types.SimpleNamespace) -> None:
    rescan = iscsi.recorded("iscsiadm", "--mode", "session", "-r", "1", "-R")
    with replay([iscsi.session_with_target(), rescan]), pytest.raises(StorageError) as caught:
        IscsiBackend().refresh(iscsi.kernel_pool(), None)
    assert "exit status 22" in str(caught.value)
    assert "Could not get session info for sid 1" in str(caught.value)


def test_stop_logs_out(iscsi: types.SimpleNamespace) -> None:
    with replay([iscsi.session_with_target(), iscsi.run((*iscsi.NODE, "--logout"))],
                all_used=True) as table:
        IscsiBackend().stop(iscsi.kernel_pool())
    assert commands(table) == ["iscsiadm --mode session", f"{NODE_S} --logout"]


def test_stop_without_a_session_does_nothing(iscsi: types.SimpleNamespace) -> None:
    with replay([iscsi.recorded(*iscsi.SESSION)], all_used=True) as table:
        IscsiBackend().stop(iscsi.kernel_pool())
    assert commands(table) == ["iscsiadm --mode session"]


def test_a_logout_finding_no_session_is_success(iscsi: types.SimpleNamespace) -> None:
    # The session went away between the listing and the logout: 21, recorded.
    with replay([iscsi.session_with_target(), iscsi.recorded(*iscsi.NODE, "--logout")]):
        IscsiBackend().stop(iscsi.kernel_pool())


def test_check_is_whether_a_session_exists(iscsi: types.SimpleNamespace) -> None:
    with replay([iscsi.session_with_target()]):
        assert IscsiBackend().check(iscsi.kernel_pool())
    with replay([iscsi.recorded(*iscsi.SESSION)]):
        assert not IscsiBackend().check(iscsi.kernel_pool())


def test_a_command_the_engine_cannot_run_still_names_portal_and_target(
        iscsi: types.SimpleNamespace) -> None:
    from corral.core import monitor_spawns

    class Refuse:
        def check(self, record: object) -> str:
            return "iscsiadm is not allowed here"

        def observe(self, record: object, spawn: object) -> object:
            return spawn()  # type: ignore[operator]

        def reaped(self, record: object) -> None:
            return None

    # The engine refuses with a CommandError; the backend says where it was going.
    with monitor_spawns(Refuse()), pytest.raises(StorageError) as caught:  # type: ignore[arg-type]
        IscsiBackend().start(iscsi.kernel_pool(), None)
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert f"at the portal '{iscsi.PORTAL}'" in str(caught.value)
    assert "iscsiadm is not allowed here" in str(caught.value)


def test_iscsiadm_words_are_whole_lines_on_one_line(iscsi: types.SimpleNamespace) -> None:
    noise = "".join(f"iscsiadm: retrying the login to portal number {n}\n" for n in range(20))
    stderr = noise + "iscsiadm: Could not login to [iface: default]\niscsiadm: Login failed\n"
    login = iscsi.run((*iscsi.NODE, "--login"), "", stderr, 19)
    delete = iscsi.recorded(*iscsi.NODE, "--op", "delete")
    with replay([*start_runs(iscsi, login), delete], all_used=True), \
            pytest.raises(StorageError) as caught:
        IscsiBackend().start(iscsi.kernel_pool(auth=True), CHAP)
    message, words = str(caught.value), caught.value.detail["stderr"]
    assert "\n" not in message and message.endswith(
        "; iscsiadm: Could not login to [iface: default]; iscsiadm: Login failed")
    assert all(part.startswith("iscsiadm: ") for part in words.split("; "))
    assert len(words) <= 400 and "number 19; " in words and "number 0;" not in words


def test_last_lines_keeps_whole_lines_within_the_budget() -> None:
    assert last_lines("a b\n\n  c d  \ne f\n", budget=8) == "c d; e f"
    assert last_lines("one\nline longer than the budget\n", budget=5) == (
        "line longer than the budget")
    assert last_lines("") == ""
