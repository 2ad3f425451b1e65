"""The network driver for real: bridges, dnsmasq and nft rules inside network namespaces.

Each test makes its own namespaces (``net`` in conftest.py) and the driver runs inside
one of them (``netns_driver.py`` under ``ip netns exec``), so the host's own namespace is
never touched; removing the namespaces at the end removes whatever a failure left.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.root, pytest.mark.netns, pytest.mark.slow]

GOLDEN_NFT = Path(__file__).resolve().parents[2] / "data" / "network" / "nft"

NAT = """<network>
  <name>{name}</name>
  <bridge name="{bridge}" stp="off" delay="0"/>
  <forward mode="nat"/>
  <dns><host ip="10.77.0.50"><hostname>web.example</hostname></host></dns>
  <ip address="10.77.0.1" netmask="255.255.255.0">
    <dhcp>
      <range start="10.77.0.100" end="10.77.0.150"/>
      <host mac="52:54:00:aa:bb:cc" name="fixed" ip="10.77.0.9"/>
    </dhcp>
  </ip>
</network>"""


def nat(name: str = "t1", bridge: str = "ctb0") -> str:
    return NAT.format(name=name, bridge=bridge)


def dig(client: Any, name: str) -> str:
    done = client.exec("dig", "+short", "+time=1", "+tries=3", "@10.77.0.1", name)
    return str(done.stdout.strip())


def started(net: Any, xml: str, name: str = "t1") -> Any:
    server = net.namespace()
    answers = net.driver(server, ("network-define", {"xml": xml}),
                         ("network-start", {"name": name}))
    assert answers == [{}, {}]
    return server


def test_a_client_gets_a_lease_from_the_range_and_it_is_listed(net: Any) -> None:
    server, client = started(net, nat()), net.namespace()
    net.join(server, "ctb0", client, "eth0")
    address = net.obtain_lease(client, "eth0")
    assert 100 <= int(address.rsplit(".", 1)[1]) <= 150
    mac = json.loads(client.exec("ip", "-j", "link", "show", "eth0").stdout)[0]["address"]

    def leased() -> list[Any]:
        return [lease for lease in net.driver(server, ("network-dhcp-leases", {"name": "t1"}))[0]
                if lease["ipaddr"] == address]

    (lease,) = net.wait_for(leased)
    assert lease["mac"] == mac and lease["type"] == "ipv4" and lease["prefix"] == 24
    assert lease["iface"] == "ctb0" and lease["expirytime"] > 0
    assert set(lease) == {"iface", "expirytime", "type", "mac", "iaid", "ipaddr", "prefix",
                          "hostname", "clientid"}
    mine, other = net.driver(server, ("network-dhcp-leases", {"name": "t1", "mac": mac.upper()}),
                             ("network-dhcp-leases", {"name": "t1", "mac": "52:54:00:00:00:99"}))
    assert [entry["ipaddr"] for entry in mine] == [address] and other == []


def test_a_static_host_gets_its_fixed_address(net: Any) -> None:
    server, client = started(net, nat()), net.namespace()
    net.join(server, "ctb0", client, "eth0", mac="52:54:00:aa:bb:cc")
    assert net.obtain_lease(client, "eth0") == "10.77.0.9"


def test_dns_answers_a_dns_host_and_an_update_adds_one_without_a_restart(net: Any) -> None:
    server, client = started(net, nat()), net.namespace()
    net.join(server, "ctb0", client, "eth0")
    net.obtain_lease(client, "eth0")
    assert dig(client, "web.example") == "10.77.0.50"
    pid = net.pid_of("t1")
    host = "<host ip='10.77.0.51'><hostname>new.example</hostname></host>"
    assert net.driver(server, ("network-update", {"name": "t1", "command": "add",
                                                  "section": "dns-host", "xml": host})) == [{}]
    assert net.wait_for(lambda: dig(client, "new.example")) == "10.77.0.51"
    assert net.pid_of("t1") == pid
    assert any("t1.conf" in line for line in server.processes())


def test_an_added_dhcp_host_takes_effect_with_the_same_dnsmasq(net: Any) -> None:
    server, client = started(net, nat()), net.namespace()
    pid = net.pid_of("t1")
    host = "<host mac='52:54:00:11:22:33' ip='10.77.0.33'/>"
    answer = net.driver(server, ("network-update", {"name": "t1", "command": "add",
                                                    "section": "ip-dhcp-host", "xml": host,
                                                    "live": True, "config": True}))
    assert answer == [{}]
    net.join(server, "ctb0", client, "eth0", mac="52:54:00:11:22:33")
    assert net.obtain_lease(client, "eth0") == "10.77.0.33"
    assert net.pid_of("t1") == pid
    inactive, live = net.driver(server, ("network-get-xml", {"name": "t1", "inactive": True}),
                                ("network-get-xml", {"name": "t1"}))
    assert "10.77.0.33" in live["xml"] and "10.77.0.33" in inactive["xml"]


def test_a_range_update_restarts_dnsmasq_and_a_failed_update_changes_nothing(net: Any) -> None:
    server = started(net, nat())
    pid = net.pid_of("t1")
    conf = net.root / "var/lib/corral/network/t1.conf"
    before = conf.read_text()
    duplicate = "<host mac='52:54:00:aa:bb:cc' ip='10.77.0.99'/>"
    (failed,) = net.driver(server, ("network-update", {"name": "t1", "command": "add",
                                                       "section": "ip-dhcp-host",
                                                       "xml": duplicate}))
    assert failed["error"] == "OPERATION_INVALID"
    assert conf.read_text() == before and net.pid_of("t1") == pid
    extra = "<range start='10.77.0.200' end='10.77.0.210'/>"
    assert net.driver(server, ("network-update", {"name": "t1", "command": "add",
                                                  "section": "ip-dhcp-range",
                                                  "xml": extra})) == [{}]
    assert "dhcp-range=10.77.0.200,10.77.0.210" in conf.read_text()
    assert net.pid_of("t1") != pid
    assert sum("t1.conf" in line for line in server.processes()) == 2  # leader + helper


def test_the_nat_ruleset_read_back_is_the_specified_one(net: Any) -> None:
    server = started(net, nat())
    ruleset = server.ruleset()
    tables = [entry["table"] for entry in ruleset if "table" in entry]
    assert [(table["family"], table["name"]) for table in tables] == [("ip", "corral")]
    chains = {entry["chain"]["name"]: entry["chain"] for entry in ruleset if "chain" in entry}
    assert set(chains) == {"fwd-ctb0", "nat-ctb0"}
    assert (chains["fwd-ctb0"]["hook"], chains["fwd-ctb0"]["type"]) == ("forward", "filter")
    assert (chains["nat-ctb0"]["hook"], chains["nat-ctb0"]["type"]) == ("postrouting", "nat")
    rules = [entry["rule"] for entry in ruleset if "rule" in entry]
    nat_rules = [rule["expr"] for rule in rules if rule["chain"] == "nat-ctb0"]
    masquerades = [expr for expr in nat_rules if any("masquerade" in part for part in expr)]
    assert len(masquerades) == 3
    port_ranges = [part["masquerade"] for expr in masquerades for part in expr
                   if "masquerade" in part and part["masquerade"]]
    assert port_ranges == [{"port": {"range": [1024, 65535]}}] * 2
    for expr in masquerades:  # to anywhere but the network itself
        assert {"match": {"op": "!=", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                          "right": {"prefix": {"addr": "10.77.0.0", "len": 24}}}} in expr
    fwd_verdicts = [next(key for part in rule["expr"] for key in part
                         if key in ("accept", "reject"))
                    for rule in rules if rule["chain"] == "fwd-ctb0"]
    assert fwd_verdicts == ["accept", "accept", "accept", "reject", "reject"]


def test_destroy_leaves_no_bridge_no_dnsmasq_no_table_no_file(net: Any) -> None:
    server = started(net, nat())
    server.exec("nft", "add", "table", "inet", "someone_else")
    assert net.driver(server, ("network-destroy", {"name": "t1"})) == [{}]
    assert "ctb0" not in server.links()
    assert not any("dnsmasq" in line for line in server.processes())
    tables = [entry["table"] for entry in server.ruleset() if "table" in entry]
    assert [(table["family"], table["name"]) for table in tables] == [("inet", "someone_else")]
    # What stays is the lease file's lock: leases outlive a stop (libvirt keeps them too).
    assert net.files() == {"var/lib/corral/network/t1.status.lock"}


def test_a_restarted_driver_reattaches_with_the_same_pid_and_keeps_leases(net: Any) -> None:
    server, client = started(net, nat()), net.namespace()
    net.join(server, "ctb0", client, "eth0")
    address = net.obtain_lease(client, "eth0")
    pid = net.pid_of("t1")
    net.wait_for(lambda: net.driver(server, ("network-dhcp-leases", {"name": "t1"}))[0])
    info, leases = net.driver(server, ("network-info", {"name": "t1"}),
                              ("network-dhcp-leases", {"name": "t1"}))
    assert info["active"] is True
    assert [lease["ipaddr"] for lease in leases] == [address]
    assert net.pid_of("t1") == pid
    assert sum("t1.conf" in line for line in server.processes()) == 2


def test_a_network_that_vanished_is_inactive_and_cleaned_after_a_restart(net: Any) -> None:
    server = started(net, nat())
    pid = net.pid_of("t1")
    server.exec("ip", "link", "delete", "ctb0")
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is False
    assert not any("t1.conf" in line for line in server.processes()), pid
    assert [entry for entry in server.ruleset() if "table" in entry] == []
    assert net.files() <= {"var/lib/corral/network/t1.status",
                           "var/lib/corral/network/t1.status.lock"}


def test_a_dead_dnsmasq_is_restarted_when_the_driver_comes_back(net: Any) -> None:
    server = started(net, nat())
    old = net.pid_of("t1")
    server.exec("kill", "-9", str(old))
    net.wait_for(lambda: not any("t1.conf" in line for line in server.processes()))
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is True
    assert net.pid_of("t1") != old
    assert any("t1.conf" in line for line in server.processes())


def test_a_failed_dnsmasq_start_rolls_everything_back(net: Any) -> None:
    server = net.namespace()
    # A real conflict: something else holds the DNS port on every address.
    with server.popen(
        "python3", "-c",
        "import socket, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.bind(('0.0.0.0', 53)); print('bound', flush=True); time.sleep(600)",
    ) as blocker:
        assert blocker.stdout is not None and blocker.stdout.readline().strip() == "bound"
        define, start = net.driver(server, ("network-define", {"xml": nat()}),
                                   ("network-start", {"name": "t1"}))
        blocker.kill()
    assert define == {} and "dnsmasq" in start["message"], start
    assert "ctb0" not in server.links()
    assert [entry for entry in server.ruleset() if "table" in entry] == []
    assert not any("dnsmasq" in line for line in server.processes())
    assert net.files() == set()
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is False


def test_a_taken_bridge_name_is_refused_before_anything_is_done(net: Any) -> None:
    server = net.namespace()
    server.exec("ip", "link", "add", "ctb0", "type", "veth", "peer", "name", "ctb0p")
    _, start = net.driver(server, ("network-define", {"xml": nat()}),
                          ("network-start", {"name": "t1"}))
    assert start["error"] == "OPERATION_FAILED" and "ctb0" in start["message"]
    assert [entry for entry in server.ruleset() if "table" in entry] == []
    assert net.files() == set()


def test_transient_network_is_gone_after_destroy(net: Any) -> None:
    server = net.namespace()
    created, listed, destroyed, after = net.driver(
        server, ("network-create", {"xml": nat("tr", "ctb1")}), ("network-list", {}),
        ("network-destroy", {"name": "tr"}), ("network-list", {"all": True}))
    assert created == {} and destroyed == {}
    assert [(n["name"], n["persistent"]) for n in listed] == [("tr", False)]
    assert "tr" not in [n["name"] for n in after]
    assert net.files() == set()


@pytest.mark.parametrize("golden", sorted(GOLDEN_NFT.glob("*.nft")), ids=lambda p: p.stem)
def test_every_golden_ruleset_is_accepted_by_real_nft(net: Any, golden: Path) -> None:
    server = net.namespace()
    server.exec("nft", "-f", str(golden))
    tables = {(entry["table"]["family"]) for entry in server.ruleset() if "table" in entry}
    assert tables <= {"ip", "ip6"}


def test_autostart_starts_a_network_once_per_boot(net: Any) -> None:
    server = net.namespace()
    assert net.driver(server, ("network-define", {"xml": nat()}),
                      ("network-set-autostart", {"name": "t1", "autostart": True})) == [{}, {}]
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is False  # this boot's autostart already ran (at the first start)
    (net.root / "run/corral/network/autostarted").unlink()  # what a reboot does to /run
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is True and info["autostart"] is True
    assert net.driver(server, ("network-destroy", {"name": "t1"})) == [{}]
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is False  # not again in the same boot


def test_a_flushed_ruleset_is_restored_when_the_driver_comes_back(net: Any) -> None:
    server = started(net, nat())
    before = [entry for entry in server.ruleset() if "rule" in entry]
    server.exec("nft", "flush", "ruleset")
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is True
    after = [entry for entry in server.ruleset() if "rule" in entry]

    def shape(rules: list[Any]) -> list[Any]:  # the counters' values do not matter
        return [[part for part in rule["rule"]["expr"] if "counter" not in part]
                for rule in rules]

    assert after and shape(after) == shape(before)


def test_a_start_cut_short_by_a_killed_corral_is_completed_on_its_return(net: Any) -> None:
    # What a kill -9 right after the bridge was created leaves: the live status and a bare
    # bridge (no address, no rule, no dnsmasq).
    server = started(net, nat())
    server.exec("kill", "-9", str(net.pid_of("t1")))
    server.exec("ip", "address", "flush", "dev", "ctb0")
    server.exec("nft", "flush", "ruleset")
    net.wait_for(lambda: not any("t1.conf" in line for line in server.processes()))
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is True
    assert server.addresses("ctb0")[0] == "10.77.0.1"
    assert {entry["chain"]["name"] for entry in server.ruleset() if "chain" in entry} == {
        "fwd-ctb0", "nat-ctb0"}
    client = net.namespace()
    net.join(server, "ctb0", client, "eth0", mac="52:54:00:aa:bb:cc")
    assert net.obtain_lease(client, "eth0") == "10.77.0.9"


def test_an_option_dnsmasq_rejects_is_refused_before_dnsmasq_starts(net: Any) -> None:
    server = net.namespace()
    xml = nat().replace("<network>", "<network xmlns:dnsmasq="
                        "'http://libvirt.org/schemas/network/dnsmasq/1.0'>").replace(
        "</network>", "<dnsmasq:options><dnsmasq:option value='foo=bar'/></dnsmasq:options>"
        "</network>")
    _, start = net.driver(server, ("network-define", {"xml": xml}),
                          ("network-start", {"name": "t1"}))
    assert start["error"] == "CONFIG_UNSUPPORTED"
    assert "<dnsmasq:option value='foo=bar'/>" in start["message"], start
    assert "ctb0" not in server.links()
    assert [entry for entry in server.ruleset() if "table" in entry] == []
    assert not any("dnsmasq" in line for line in server.processes())
    assert net.files() == set()


def test_a_dnsmasq_killed_while_corral_runs_is_restarted_by_an_update(net: Any) -> None:
    server, client = started(net, nat()), net.namespace()
    net.join(server, "ctb0", client, "eth0")
    net.obtain_lease(client, "eth0")
    pidfile = str(net.root / "run/corral/network/t1.pid")
    host = "<host ip='10.77.0.52'><hostname>late.example</hostname></host>"
    killed, updated = net.driver(server, ("kill-9", {"pidfile": pidfile}),
                                 ("network-update", {"name": "t1", "command": "add",
                                                     "section": "dns-host", "xml": host}))
    assert updated == {}
    assert net.pid_of("t1") != killed  # started again, not a SIGHUP sent to a dead pid
    assert net.wait_for(lambda: dig(client, "late.example")) == "10.77.0.52"


def test_a_failing_start_hook_refuses_the_start_and_leaves_no_bridge(net: Any) -> None:
    """Issue 11: the hooks driver vetoes the network driver's start through the seam."""
    server = net.namespace()
    hooks = net.root / "etc" / "corral" / "hooks"
    hooks.mkdir(parents=True)
    script = hooks / "network"
    script.write_text('#!/bin/sh\ncat > "$0.stdin"\n'
                      'if [ "$2" = start ]; then echo "no bridges today" >&2; exit 3; fi\n')
    script.chmod(0o755)
    define, start = net.driver(server, ("network-define", {"xml": nat()}),
                               ("network-start", {"name": "t1"}), drivers=("hooks", "network"))
    assert define == {}
    assert start["error"] == "HOOK_SCRIPT_FAILED", start
    assert "no bridges today" in start["message"] and str(script) in start["message"]
    assert "ctb0" not in server.links()
    assert [entry for entry in server.ruleset() if "table" in entry] == []
    assert not any("dnsmasq" in line for line in server.processes())
    stdin = (hooks / "network.stdin").read_text()
    assert stdin.startswith("<hookData>") and "<name>t1</name>" in stdin
    (info,) = net.driver(server, ("network-info", {"name": "t1"}))
    assert info["active"] is False
