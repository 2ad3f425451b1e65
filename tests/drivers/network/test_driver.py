"""The network driver without root: definitions, errors, and every start step failing in turn.

The commands it runs are answered by a fake ``ip``/``nft``/``dnsmasq`` through
:func:`~corral.core.dry_run`, so nothing is spawned and no namespace is touched; the
kernel side is tested for real in ``test_netns.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode, dry_run
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.host import Host
from corral.core.testing import running_host
from corral.drivers.network._driver import NetworkDriver

BRIDGE = "ctbfake0"
XML = f"""<network>
  <name>n1</name>
  <bridge name="{BRIDGE}" stp="off"/>
  <forward mode="nat"/>
  <ip address="10.88.0.1" prefix="24">
    <dhcp><range start="10.88.0.10" end="10.88.0.20"/></dhcp>
  </ip>
</network>"""


class FakeTools:
    """ip, nft and dnsmasq as a dry-run callback, failing the ``fail``-th matching step."""

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.chains: dict[str, set[str]] = {}
        self.scripts: list[str] = []

    def __call__(self, argv: list[str], env: dict[str, str],
                 data: bytes | None) -> tuple[int, str, str]:
        line = " ".join(argv)
        if self.fail is not None and line.startswith(self.fail):
            return 2, "", f"{argv[0]}: injected failure\n"
        if argv[:3] == ["nft", "-j", "list"]:
            family = argv[4]
            if family not in self.chains:
                return 1, "", "Error: No such file or directory\n"
            entries = [{"chain": {"name": name}} for name in sorted(self.chains[family])]
            return 0, json.dumps({"nftables": entries}), ""
        if argv[:2] == ["nft", "-f"]:
            self.scripts.append((data or b"").decode())
            self._apply((data or b"").decode())
        if argv[0].endswith("dnsmasq"):
            return 0, "", ""  # it "starts" but writes no pid file: the start fails there
        return 0, "", ""

    def _apply(self, script: str) -> None:
        for words in (line.split() for line in script.splitlines()):
            if words[:2] == ["add", "table"]:
                self.chains.setdefault(words[2], set())
            elif words[:2] == ["add", "chain"]:
                self.chains[words[2]].add(words[4])
            elif words[:2] == ["delete", "chain"]:
                self.chains[words[2]].discard(words[4])
            elif words[:2] == ["delete", "table"]:
                del self.chains[words[2]]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    with running_host(tmp_path / "root", drivers={"network": NetworkDriver},
                      privileged=True) as started:
        proc = tmp_path / "proc"
        (proc / "net/ipv4").mkdir(parents=True)
        (proc / "net/ipv4/ip_forward").write_text("0\n")
        driver = started.drivers["network"]
        assert isinstance(driver, NetworkDriver)
        driver.proc_sys = proc
        yield started


def network_files(host: Host) -> set[str]:
    found = set()
    for directory in (host.paths.state / "network", host.paths.runtime / "network"):
        found |= {path.name for path in directory.iterdir()
                  if path.name not in ("autostarted", "default-installed")}
    return found


def call(host: Host, operation: str, **arguments: Any) -> Any:
    return host.call("network", operation, **arguments)


def test_define_lists_describes_dumps_and_undefines(host: Host) -> None:
    assert call(host, "network-define", xml=XML) == {}
    listed = call(host, "network-list", all=True)
    assert [entry["name"] for entry in listed] == ["default", "n1"]
    info = call(host, "network-info", name="n1")
    assert info["active"] is False and info["persistent"] is True and info["bridge"] == BRIDGE
    assert len(info["uuid"]) == 36
    assert call(host, "network-list") == []
    xml = call(host, "network-get-xml", name="n1")["xml"]
    assert f"<uuid>{info['uuid']}</uuid>" in xml and "<mac address='52:54:00:" in xml
    assert (host.paths.config / "networks/n1.xml").read_text() == xml
    assert call(host, "network-undefine", name="n1") == {}
    with pytest.raises(CorralError) as caught:
        call(host, "network-info", name="n1")
    assert caught.value.code == ErrorCode.NO_NETWORK and caught.value.domain == "network"


def test_redefinition_keeps_the_uuid_mac_and_bridge(host: Host) -> None:
    call(host, "network-define", xml=XML.replace(f' name="{BRIDGE}"', ""))
    first = call(host, "network-get-xml", name="n1")["xml"]
    call(host, "network-define", xml=XML.replace(f' name="{BRIDGE}"', ""))
    assert call(host, "network-get-xml", name="n1")["xml"] == first
    assert "<bridge name='virbr" in first


def test_a_second_network_cannot_take_a_uuid_or_a_bridge(host: Host) -> None:
    call(host, "network-define", xml=XML)
    uuid = call(host, "network-info", name="n1")["uuid"]
    for xml in (XML.replace("<name>n1</name>", "<name>n2</name>"),
                XML.replace("<name>n1</name>", f"<name>n2</name><uuid>{uuid}</uuid>")
                .replace(BRIDGE, "ctbother")):
        with pytest.raises(CorralError) as caught:
            call(host, "network-define", xml=xml)
        assert caught.value.code == ErrorCode.NETWORK_EXIST


def test_autostart_is_a_link_and_transient_networks_cannot_have_it(host: Host) -> None:
    call(host, "network-define", xml=XML)
    assert call(host, "network-set-autostart", name="n1", autostart=True) == {}
    link = host.paths.config / "networks/autostart/n1.xml"
    assert link.is_symlink() and link.resolve() == host.paths.config / "networks/n1.xml"
    assert call(host, "network-info", name="n1")["autostart"] is True
    call(host, "network-set-autostart", name="n1", autostart=False)
    assert not link.exists()


def test_the_default_network_is_installed_once_and_not_autostarted(tmp_path: Path) -> None:
    root = tmp_path / "root"
    with running_host(root, drivers={"network": NetworkDriver}) as host:
        info = call(host, "network-info", name="default")
        assert (info["bridge"], info["autostart"], info["active"]) == ("virbr0", False, False)
        assert len(info["uuid"]) == 36
        call(host, "network-undefine", name="default")
    with running_host(root, drivers={"network": NetworkDriver}) as host:
        assert call(host, "network-list", all=True) == []  # undefined stays undefined


# Each step of a start, failing in turn; ``undo`` is what must run after it failed.
STEPS = {
    "ip link add": [],
    "ip address replace": [f"ip link delete dev {BRIDGE}"],
    "ip link set": [f"ip link delete dev {BRIDGE}"],
    "nft -f": [f"ip link delete dev {BRIDGE}"],
    "/usr/sbin/dnsmasq": [f"ip link delete dev {BRIDGE}"],
}


@pytest.mark.parametrize("step", STEPS)
def test_each_failing_start_step_rolls_back_everything_before_it(host: Host, step: str) -> None:
    call(host, "network-define", xml=XML)
    before = network_files(host)
    tools = FakeTools(fail=step)
    with dry_run(tools) as run, pytest.raises(CorralError):
        call(host, "network-start", name="n1")
    # A command line reads "LC_ALL=C PATH=... ip link add ...": its environment comes first.
    failed_at = next(index for index, line in enumerate(run.commands) if f" {step} " in line)
    after = run.commands[failed_at + 1:]
    for undo in STEPS[step]:
        assert any(line.endswith(undo) for line in after), (undo, after)
    assert tools.chains == {}  # whatever was added is gone (the table too)
    assert network_files(host) == before
    assert call(host, "network-info", name="n1")["active"] is False


def test_dnsmasq_that_writes_no_pid_file_fails_the_start_and_rolls_back(host: Host) -> None:
    call(host, "network-define", xml=XML)
    tools = FakeTools()
    with dry_run(tools) as run, pytest.raises(CorralError) as caught:
        call(host, "network-start", name="n1")
    assert caught.value.code == ErrorCode.OPERATION_FAILED and "pid file" in str(caught.value)
    assert run.commands[-1].endswith(f"ip link delete dev {BRIDGE}")
    assert tools.chains == {} and network_files(host) == set()


def test_a_forwarding_switch_that_cannot_be_written_rolls_back(host: Host,
                                                               tmp_path: Path) -> None:
    driver = host.drivers["network"]
    assert isinstance(driver, NetworkDriver)
    driver.proc_sys = tmp_path / "no-such-proc"
    call(host, "network-define", xml=XML)
    with dry_run(FakeTools()) as run, pytest.raises(CorralError) as caught:
        call(host, "network-start", name="n1")
    assert caught.value.code == ErrorCode.SYSTEM_ERROR and "forwarding" in str(caught.value)
    assert not any(" nft -f " in line for line in run.commands)
    assert run.commands[-1].endswith(f"ip link delete dev {BRIDGE}")


def test_start_switches_forwarding_on_for_nat(host: Host) -> None:
    call(host, "network-define", xml=XML)
    with dry_run(FakeTools()), pytest.raises(CorralError):
        call(host, "network-start", name="n1")  # fails at dnsmasq, after forwarding
    driver = host.drivers["network"]
    assert isinstance(driver, NetworkDriver)
    assert (driver.proc_sys / "net/ipv4/ip_forward").read_text() == "1\n"


class Refuser:
    """A plugin refusing every network start (as a failing hook script does)."""

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> str | None:
        return "networks are frozen" if event.event == "start" else None


def test_a_refused_start_runs_nothing(tmp_path: Path) -> None:
    with running_host(tmp_path / "root", drivers={"network": NetworkDriver},
                      plugins={"refuser": Refuser()}, privileged=True) as host:
        call(host, "network-define", xml=XML)
        with dry_run(FakeTools()) as run, pytest.raises(CorralError) as caught:
            call(host, "network-start", name="n1")
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert "networks are frozen" in str(caught.value)
    assert run.commands == []


def test_an_unprivileged_driver_refuses_to_start_and_runs_nothing(tmp_path: Path) -> None:
    with running_host(tmp_path / "root", drivers={"network": NetworkDriver}) as host:
        call(host, "network-define", xml=XML)
        with dry_run(FakeTools()) as run, pytest.raises(CorralError) as caught:
            call(host, "network-start", name="n1")
    assert caught.value.code == ErrorCode.OPERATION_INVALID and "root" in str(caught.value)
    assert run.commands == []


@pytest.mark.parametrize(("operation", "arguments", "code"), [
    ("network-start", {"name": "nope"}, ErrorCode.NO_NETWORK),
    ("network-destroy", {"name": "n1"}, ErrorCode.OPERATION_INVALID),
    ("network-dhcp-leases", {"name": "n1"}, ErrorCode.OPERATION_INVALID),
    ("network-update", {"name": "n1", "command": "add", "section": "bridge",
                        "xml": "<bridge/>", "config": True}, ErrorCode.ARGUMENT_UNSUPPORTED),
    ("network-update", {"name": "n1", "command": "add", "section": "dns-host",
                        "xml": "<host ip='1.2.3.4'/>", "live": True},
     ErrorCode.OPERATION_INVALID),
])
def test_misuse_is_a_clear_error(host: Host, operation: str, arguments: dict[str, Any],
                                 code: ErrorCode) -> None:
    call(host, "network-define", xml=XML)
    with pytest.raises(CorralError) as caught:
        call(host, operation, **arguments)
    assert caught.value.code == code


def test_an_inactive_update_changes_the_definition_only(host: Host) -> None:
    call(host, "network-define", xml=XML)
    host_xml = "<host mac='52:54:00:00:00:07' name='h7' ip='10.88.0.7'/>"
    with dry_run(FakeTools()) as run:
        call(host, "network-update", name="n1", command="add", section="ip-dhcp-host",
             xml=host_xml)
    assert run.commands == []
    assert "10.88.0.7" in (host.paths.config / "networks/n1.xml").read_text()


QUIET = f"""<network>
  <name>q1</name>
  <bridge name="{BRIDGE}" stp="off"/>
  <dns enable="no"/>
  <ip address="10.88.0.1" prefix="24"/>
</network>"""


def test_a_network_without_dnsmasq_starts_and_stops_in_that_order(host: Host) -> None:
    call(host, "network-define", xml=QUIET)
    tools = FakeTools()
    with dry_run(tools) as run:
        call(host, "network-start", name="q1")
        assert call(host, "network-info", name="q1")["active"] is True
        assert (host.paths.runtime / "network/q1.xml").exists()
        call(host, "network-destroy", name="q1")
    steps = [line.split(" ip ", 1)[-1].split(" nft ", 1)[-1].split()[0:2] for line in run.commands]
    assert steps[:4] == [["link", "add"], ["address", "replace"], ["link", "set"], ["-f", "-"]]
    assert tools.chains == {} and network_files(host) == set()


def test_an_update_whose_live_half_fails_leaves_the_definition_as_it_was(host: Host) -> None:
    call(host, "network-define", xml=QUIET)
    with dry_run(FakeTools()):
        call(host, "network-start", name="q1")
    definition = host.paths.config / "networks/q1.xml"
    before = definition.read_text()
    status = (host.paths.runtime / "network/q1.xml").read_text()
    # A first DHCP host needs a dnsmasq, which (faked) writes no pid file: the live half fails.
    dhcp_host = "<host mac='52:54:00:00:00:07' ip='10.88.0.7'/>"
    with dry_run(FakeTools()), pytest.raises(CorralError) as caught:
        call(host, "network-update", name="q1", command="add", section="ip-dhcp-host",
             xml=dhcp_host, live=True, config=True)
    assert "pid file" in str(caught.value)
    assert definition.read_text() == before
    assert (host.paths.runtime / "network/q1.xml").read_text() == status
    assert "10.88.0.7" not in call(host, "network-get-xml", name="q1")["xml"]
    assert "10.88.0.7" not in call(host, "network-get-xml", name="q1", inactive=True)["xml"]
    assert network_files(host) == {"q1.xml"}  # no dnsmasq file of the failed attempt


def test_reload_rereads_the_definitions_and_autostart_links(host: Host) -> None:
    call(host, "network-define", xml=XML)
    definitions = host.paths.config / "networks"
    second = XML.replace("<name>n1</name>", "<name>n2</name>").replace(BRIDGE, "ctbfake1")
    (definitions / "n2.xml").write_text(second)
    (definitions / "autostart/n2.xml").symlink_to(definitions / "n2.xml")
    (definitions / "n1.xml").unlink()
    host.reload()
    listed = {entry["name"]: entry for entry in call(host, "network-list", all=True)}
    assert "n1" not in listed
    assert listed["n2"]["autostart"] is True and listed["n2"]["bridge"] == "ctbfake1"
