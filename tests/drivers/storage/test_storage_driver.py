"""The storage driver through a real Host: definitions, lifecycle, state files, re-attach.

The kernel backend runs against recorded iscsiadm output (``replay``), its sysfs a tree of
the test's own; a plugin records the lifecycle events and may refuse a start.
"""

from __future__ import annotations

import base64
import json
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, HostPaths
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.host import Host
from corral.core.testing import Recorded, replay, running_host
from corral.drivers.storage import StorageDriver
from corral.drivers.storage.backends import StorageBackend
from corral.drivers.storage.backends.iscsi import IscsiBackend

PASSWORD = "recorded-pw"
SECRET_XML = """<secret ephemeral='no' private='yes'>
  <uuid>5b0f2a3c-8f1e-4d3a-9c2b-7e6d5c4b3a21</uuid>
  <usage type='iscsi'><target>recorded</target></usage>
</secret>"""


class Recorder:
    """A plugin recording lifecycle events; refuses to start pools named in ``refuse``."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.xml: dict[str, str] = {}  # the XML each begin/event carried, by its name
        self.refuse: set[str] = set()

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> str | None:
        self.events.append((event.object_type, event.name, f"begin {event.event}"))
        self.xml[f"begin {event.event}"] = event.xml
        return "maintenance" if event.name in self.refuse else None

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        self.events.append((event.object_type, event.name, event.event))
        self.xml[event.event] = event.xml


@pytest.fixture
def sysfs(tmp_path: Path, iscsi: types.SimpleNamespace) -> Path:
    return iscsi.make_sysfs(tmp_path / "sys")


@pytest.fixture
def driver_class(sysfs: Path) -> type[StorageDriver]:
    class TestStorage(StorageDriver):
        def make_backend(self, pool_type: str) -> StorageBackend:
            if pool_type == "iscsi":
                return IscsiBackend(sysfs=sysfs)
            return super().make_backend(pool_type)

    return TestStorage


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def host(tmp_path: Path, driver_class: type[StorageDriver],
         recorder: Recorder) -> Iterator[Host]:
    with running_host(tmp_path / "root", drivers={"storage": driver_class},
                      plugins={"recorder": recorder}) as opened:
        yield opened


def call(on: Host, operation: str, /, **arguments: object) -> object:
    return on.call("storage", operation, **arguments)


def define(host: Host, iscsi: types.SimpleNamespace, *, auth: bool = True) -> None:
    if auth:
        call(host, "secret-define", xml=SECRET_XML)
        call(host, "secret-set-value", secret="recorded",
             value_b64=base64.b64encode(PASSWORD.encode()).decode())
    from corral.drivers.storage.conf import format_pool

    call(host, "pool-define", xml=format_pool(iscsi.kernel_pool(auth=auth)))


def login_runs(iscsi: types.SimpleNamespace, *, login: Recorded | None = None) -> list[Recorded]:
    """A start: no session, a new node, CHAP, the login; then the refresh finds session 1."""
    node = iscsi.NODE
    return [iscsi.recorded(*iscsi.SESSION), iscsi.session_with_target(),
            iscsi.recorded(*node), iscsi.recorded(*node, "--op", "new"),
            *(iscsi.recorded(*node, "--op", "update", "--name", f"node.session.auth.{name}",
                             "--value", value)
              for name, value in (("authmethod", "CHAP"), ("username", "corral"),
                                  ("password", PASSWORD))),
            login or iscsi.run((*node, "--login"), "Login to [...] successful.\n"),
            iscsi.run(("iscsiadm", "--mode", "session", "-r", "1", "-R"))]


def test_the_whole_lifecycle(host: Host, iscsi: types.SimpleNamespace, recorder: Recorder,
                             tmp_path: Path) -> None:
    define(host, iscsi)
    assert call(host, "pool-list") == []
    assert call(host, "pool-list", all=True) == [{
        "name": "kernel", "uuid": call(host, "pool-list", all=True)[0]["uuid"],  # type: ignore[index]
        "active": False, "persistent": True, "autostart": False}]
    with replay(login_runs(iscsi), all_used=True) as table:
        assert call(host, "pool-start", name="kernel") == {}
    assert table.commands[-1] == "iscsiadm --mode session -r 1 -R"
    info = call(host, "pool-info", name="kernel")
    assert info == {"name": "kernel", "uuid": info["uuid"], "state": "running",  # type: ignore[index]
                    "persistent": True, "autostart": False, "capacity": 96 << 20,
                    "allocation": 96 << 20, "available": 0}
    volumes = call(host, "volume-list", pool="kernel")
    assert [v["name"] for v in volumes] == ["unit:0:0:1", "unit:0:0:2"]  # type: ignore[union-attr,index]
    assert volumes[0]["path"] == (  # type: ignore[index]
        f"/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-{iscsi.TARGET}-lun-1")
    live = call(host, "pool-get-xml", name="kernel")["xml"]  # type: ignore[index]
    assert f"<capacity unit='bytes'>{96 << 20}</capacity>" in live
    inactive = call(host, "pool-get-xml", name="kernel", inactive=True)["xml"]  # type: ignore[index]
    assert "<capacity unit='bytes'>0</capacity>" in inactive
    status = tmp_path / "root/run/corral/storage/kernel.json"
    assert len(json.loads(status.read_text())["volumes"]) == 2
    with pytest.raises(CorralError, match="still active") as caught:
        call(host, "pool-undefine", name="kernel")
    assert caught.value.code == ErrorCode.OPERATION_INVALID
    with replay([iscsi.session_with_target(), iscsi.run((*iscsi.NODE, "--logout"))],
                all_used=True):
        call(host, "pool-destroy", name="kernel")
    assert not status.exists()
    call(host, "pool-undefine", name="kernel")
    assert call(host, "pool-list", all=True) == []
    pool_events = [event for event in recorder.events if event[0] == "pool"]
    assert pool_events == [("pool", "kernel", "defined"), ("pool", "kernel", "begin start"),
                           ("pool", "kernel", "started"), ("pool", "kernel", "stopped"),
                           ("pool", "kernel", "undefined")]
    # The hook scripts get the pool's XML on stdin (libvirt's storage hooks).
    for step in ("begin start", "started", "stopped"):
        assert recorder.xml[step].startswith("<pool type='iscsi'>"), step
        assert "<name>kernel</name>" in recorder.xml[step]


def test_a_refused_start_runs_nothing(host: Host, iscsi: types.SimpleNamespace,
                                      recorder: Recorder) -> None:
    define(host, iscsi)
    recorder.refuse.add("kernel")
    with replay([]) as table, pytest.raises(CorralError, match="maintenance") as caught:
        call(host, "pool-start", name="kernel")
    assert caught.value.code == ErrorCode.OPERATION_DENIED and table.commands == []
    assert call(host, "pool-list") == []


def test_a_failed_login_leaves_the_pool_inactive_and_no_node(
        host: Host, iscsi: types.SimpleNamespace, recorder: Recorder, tmp_path: Path) -> None:
    define(host, iscsi)
    failed = iscsi.run((*iscsi.NODE, "--login"), "",
                       "iscsiadm: Login failed to authenticate with target\n", 24)
    runs = [*login_runs(iscsi, login=failed)[:-1], iscsi.recorded(*iscsi.NODE, "--op", "delete")]
    runs = [runs[0], *runs[2:]]  # no session before, and none after: no refresh
    with replay(runs, all_used=True) as table, pytest.raises(CorralError) as caught:
        call(host, "pool-start", name="kernel")
    assert table.commands[-1].endswith("--op delete")
    assert caught.value.code == ErrorCode.AUTH_FAILED
    assert iscsi.TARGET in str(caught.value) and iscsi.PORTAL in str(caught.value)
    assert call(host, "pool-list") == []
    assert not (tmp_path / "root/run/corral/storage/kernel.json").exists()
    assert ("pool", "kernel", "started") not in recorder.events


def test_a_refresh_failing_after_the_login_logs_out(host: Host,
                                                    iscsi: types.SimpleNamespace) -> None:
    define(host, iscsi)
    rescan = iscsi.recorded("iscsiadm", "--mode", "session", "-r", "1", "-R")
    runs = [*login_runs(iscsi)[:-1], rescan, iscsi.run((*iscsi.NODE, "--logout"))]
    with replay(runs, all_used=True) as table, pytest.raises(CorralError, match="sid 1"):
        call(host, "pool-start", name="kernel")
    assert table.commands[-1].endswith("--logout")
    assert call(host, "pool-list") == []


def test_a_failed_refresh_stops_the_pool_as_libvirt_does(
        host: Host, iscsi: types.SimpleNamespace, recorder: Recorder) -> None:
    define(host, iscsi, auth=False)
    rescan = ("iscsiadm", "--mode", "session", "-r", "1", "-R")
    with replay([iscsi.session_with_target(), iscsi.run(rescan)]):
        call(host, "pool-start", name="kernel")
    with replay([iscsi.session_with_target(), iscsi.recorded(*rescan),
                 iscsi.run((*iscsi.NODE, "--logout"))], all_used=True), \
            pytest.raises(CorralError, match="exit status 22"):
        call(host, "pool-refresh", name="kernel")
    assert call(host, "pool-list") == []
    assert recorder.events[-1] == ("pool", "kernel", "stopped")


def test_errors_of_state(host: Host, iscsi: types.SimpleNamespace) -> None:
    with pytest.raises(CorralError, match="no storage pool named 'nope'") as caught:
        call(host, "pool-start", name="nope")
    assert caught.value.code == ErrorCode.NO_STORAGE_POOL
    define(host, iscsi, auth=False)
    with pytest.raises(CorralError, match="is not active"):
        call(host, "pool-destroy", name="kernel")
    with pytest.raises(CorralError, match="is not active"):
        call(host, "volume-list", pool="kernel")
    with replay([iscsi.session_with_target(), iscsi.session_with_target(),
                 iscsi.run(("iscsiadm", "--mode", "session", "-r", "1", "-R"))]):
        call(host, "pool-start", name="kernel")
    with replay([]), pytest.raises(CorralError, match="already active") as caught:
        call(host, "pool-start", name="kernel")
    assert caught.value.code == ErrorCode.OPERATION_INVALID


def test_a_missing_secret_fails_before_anything_runs(host: Host,
                                                     iscsi: types.SimpleNamespace) -> None:
    from corral.drivers.storage.conf import format_pool

    call(host, "pool-define", xml=format_pool(iscsi.kernel_pool(auth=True)))
    with replay([]) as table, pytest.raises(CorralError, match="no secret") as caught:
        call(host, "pool-start", name="kernel")
    assert caught.value.code == ErrorCode.INVALID_ARG and table.commands == []


def test_definition_conflicts_are_libvirts(host: Host, iscsi: types.SimpleNamespace) -> None:
    from corral.drivers.storage.conf import format_pool

    call(host, "pool-define", xml=format_pool(iscsi.kernel_pool()))
    with pytest.raises(CorralError, match="conflicts with the pool 'kernel'"):
        call(host, "pool-define", xml=format_pool(iscsi.kernel_pool(name="other")))
    # Redefining the same name keeps its UUID.
    uuid = call(host, "pool-info", name="kernel")["uuid"]  # type: ignore[index]
    call(host, "pool-define", xml=format_pool(iscsi.kernel_pool()))
    assert call(host, "pool-info", name="kernel")["uuid"] == uuid  # type: ignore[index]


def test_reattach_and_autostart_after_a_restart(tmp_path: Path, iscsi: types.SimpleNamespace,
                                                driver_class: type[StorageDriver],
                                                recorder: Recorder) -> None:
    root = tmp_path / "root"
    with running_host(root, drivers={"storage": driver_class},
                      plugins={"recorder": recorder}) as first:
        define(first, iscsi)
        with replay(login_runs(iscsi)):
            call(first, "pool-start", name="kernel")
        call(first, "pool-set-autostart", name="kernel", autostart=True)
    assert (root / "etc/corral/storage/autostart/kernel.xml").is_symlink()
    # corrald restarts: the session is still there, the pool is re-attached (a refresh).
    rescan = iscsi.run(("iscsiadm", "--mode", "session", "-r", "1", "-R"))
    with replay([iscsi.session_with_target(), rescan], all_used=True), \
            running_host(root, drivers={"storage": driver_class}) as second:
        assert [p["name"] for p in call(second, "pool-list")] == ["kernel"]  # type: ignore[index,union-attr]
    # The session went away while corrald was down: inactive, then autostarted again.
    gone = [iscsi.recorded(*iscsi.SESSION), *login_runs(iscsi)]  # re-attach, then the start
    with replay(gone, all_used=True), \
            running_host(root, drivers={"storage": driver_class}) as third:
        assert call(third, "pool-info", name="kernel")["state"] == "running"  # type: ignore[index]
    # No session and a login that fails: the autostart is logged, corrald starts anyway.
    failed = iscsi.run((*iscsi.NODE, "--login"), "", "iscsiadm: Login timed out\n", 8)
    runs = [iscsi.recorded(*iscsi.SESSION), iscsi.recorded(*iscsi.NODE, index=1),
            *login_runs(iscsi)[4:7], failed]
    with replay(runs), running_host(root, drivers={"storage": driver_class}) as fourth:
        assert call(fourth, "pool-list") == []
        assert not (root / "run/corral/storage/kernel.json").exists()
    assert HostPaths.under_root(root).config.is_dir()


def test_find_sources_answers_libvirts_sources_document(host: Host,
                                                        iscsi: types.SimpleNamespace) -> None:
    discovery = ("iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal",
                 "10.20.30.40:3260,1", "--op", "nonpersistent")
    with replay([iscsi.run(discovery, iscsi.fixture("sendtargets.txt"))]):
        found = call(host, "pool-find-sources", type="iscsi", host="10.20.30.40")
    assert found["sources"][0] == {  # type: ignore[index]
        "host": "10.20.30.40", "port": 3260, "device": "iqn.2004-06.example:example1:iscsi.test"}
    assert found["xml"].startswith(  # type: ignore[index]
        "<sources>\n  <source>\n    <host name='10.20.30.40' port='3260'/>\n"
        "    <device path='iqn.2004-06.example:example1:iscsi.test'/>\n  </source>\n")


def test_an_unknown_pool_type_names_the_installed_backends(host: Host) -> None:
    with pytest.raises(CorralError, match=r"installed: iscsi, iscsi-direct") as caught:
        call(host, "pool-find-sources", type="rbd", host="h")
    assert caught.value.code == ErrorCode.NO_SUPPORT


def test_the_operations_are_daemon_mds() -> None:
    assert StorageDriver.operations() == {
        "pool-define", "pool-undefine", "pool-start", "pool-destroy", "pool-refresh",
        "pool-set-autostart", "pool-list", "pool-get-xml", "pool-info", "volume-list",
        "pool-find-sources", "secret-define", "secret-undefine", "secret-set-value",
        "secret-list"}
    read_only = {name for name, op in StorageDriver.describe_operations().items()
                 if op.read_only}
    assert read_only == {"pool-list", "pool-get-xml", "pool-info", "volume-list",
                         "pool-find-sources", "secret-list"}


def test_the_entry_points(host: Host) -> None:
    from importlib import metadata

    assert metadata.entry_points(group="corral.drivers", name="storage")[
        "storage"].load() is StorageDriver
    backends = metadata.entry_points(group="corral.storage.backends")
    assert {point.name for point in backends} == {"iscsi", "iscsi-direct"}


def test_secret_operations_never_return_a_value(host: Host, recorder: Recorder,
                                                tmp_path: Path) -> None:
    made = call(host, "secret-define", xml="<secret><usage type='iscsi'><target>t1</target>"
                "</usage></secret>")
    uuid = made["uuid"]  # type: ignore[index]
    value = base64.b64encode(PASSWORD.encode()).decode()
    assert call(host, "secret-set-value", secret="t1", value_b64=value) == {}
    assert call(host, "secret-list") == [{"uuid": uuid, "usage": "iscsi t1"}]
    assert [e for e in recorder.events if e[0] == "secret"] == [
        ("secret", uuid, "defined"), ("secret", "t1", "value-changed")]
    with pytest.raises(CorralError) as caught:
        call(host, "secret-set-value", secret=uuid, value_b64="%%" + PASSWORD)
    assert PASSWORD not in json.dumps(caught.value.to_dict())
    assert call(host, "secret-undefine", secret=uuid) == {}
    assert call(host, "secret-list") == []
    assert list((tmp_path / "root/etc/corral/secrets").iterdir()) == []


@pytest.mark.parametrize("port", [0, 99999, -1])
def test_find_sources_refuses_a_port_outside_1_to_65535(host: Host, port: int) -> None:
    wanted = rf"The port {port} is not a TCP port \(1 to 65535\)"
    with replay([]) as table, pytest.raises(CorralError, match=wanted) as caught:
        call(host, "pool-find-sources", type="iscsi", host="10.20.30.40", port=port)
    assert caught.value.code == ErrorCode.INVALID_ARG and table.commands == []
