"""<network> definitions: what the dataclasses hold, formatting, and the round trip."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

import pytest
from corral.core import XMLError
from corral.drivers.network.conf import (
    DNSMASQ_NAMESPACE,
    AddressRange,
    Bootp,
    Bridge,
    DhcpHost,
    Dns,
    DnsForwarder,
    DnsHost,
    DnsSrv,
    Domain,
    Forward,
    ForwardInterface,
    IpDefinition,
    Lease,
    Nat,
    NetworkDefinition,
    PortRange,
    Route,
    format_network,
    load_network,
    parse_network,
)

CONFORMANCE = Path(__file__).resolve().parents[2] / "data" / "xml" / "conformance" / "network"
NETWORKS = sorted(CONFORMANCE.glob("*.xml"))


def load(case: str) -> NetworkDefinition:
    return load_network(CONFORMANCE / f"{case}.xml")


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_parse_format_parse_gives_the_same_definition(path: Path) -> None:
    definition = load_network(path)
    text = format_network(definition)
    assert parse_network(text) == definition
    assert format_network(parse_network(text)) == text  # formatting is stable too


def test_nat_network_in_full() -> None:
    net = load("nat-network")
    assert (net.name, net.uuid) == ("default", "81ff0d90-c91e-6742-64da-4a736edb9a9b")
    assert net.forward == Forward(mode="nat", dev="eth1")
    assert net.bridge == Bridge(name="virbr0", stp=True, delay=0)
    assert [ip.address for ip in net.ips] == [
        "192.168.122.1",
        "192.168.123.1",
        "2001:db8:ac10:fe01::1",
        "2001:db8:ac10:fd01::1",
        "10.24.10.1",
    ]
    first = net.ips[0]
    assert first.dhcp is not None
    assert [(r.start, r.end) for r in first.dhcp.ranges] == [("192.168.122.2", "192.168.122.254")]
    assert first.dhcp.hosts[0] == DhcpHost(
        ip="192.168.122.10", mac="00:16:3e:77:e2:ed", name="a.example.com"
    )
    assert (net.ips[2].family, net.ips[2].prefix, net.ips[2].dhcp) == ("ipv6", 64, None)
    assert (net.dns, net.domain, net.mtu, net.mac, net.routes) == (None, None, None, None, ())


def test_prefix_lengths_follow_libvirt_defaults() -> None:
    ips = load("nat-network").ips
    assert [str(ip.interface) for ip in ips] == [
        "192.168.122.1/24",  # netmask
        "192.168.123.1/24",
        "2001:db8:ac10:fe01::1/64",  # prefix
        "2001:db8:ac10:fd01::1/64",
        "10.24.10.1/8",  # neither: class A
    ]
    assert [ip.is_ipv6 for ip in ips] == [False, False, True, True, False]
    assert IpDefinition(address="172.16.0.1").interface.network == ipaddress.ip_network(
        "172.16.0.0/16"
    )


def test_dhcpv6_hosts_keep_duid_and_name() -> None:
    dhcp = load("dhcp6-network").ips[0].dhcp
    assert dhcp is not None
    assert [(h.id, h.name, h.ip) for h in dhcp.hosts][:3] == [
        ("0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63", None, "2001:db8:ac10:fd01::1:20"),
        (None, "paul", "2001:db8:ac10:fd01::1:21"),
        ("0:3:0:1:0:16:3e:11:22:33", "peter.xyz", "2001:db8:ac10:fd01::1:22"),
    ]
    assert load("dhcp6-network").domain == Domain(name="mynet")


@pytest.mark.parametrize(
    ("case", "range_lease", "unit"),
    [
        ("leasetime-seconds", Lease(200, "seconds"), "seconds"),
        ("leasetime-minutes", Lease(10, "minutes"), "minutes"),
        ("leasetime-hours", Lease(1, "hours"), "hours"),
        ("leasetime-infinite", Lease(0), "minutes"),
    ],
)
def test_leases(case: str, range_lease: Lease, unit: str) -> None:
    net = load(case)
    dhcp = net.ips[0].dhcp
    assert dhcp is not None and dhcp.ranges[0].lease == range_lease
    assert range_lease.effective_unit == unit
    assert [host.lease is not None for host in dhcp.hosts] == [True, True]
    assert net.forward is not None
    assert net.forward.interfaces == (ForwardInterface(dev="eth1"),)


def test_dns_records() -> None:
    srvs = load("nat-network-dns-srv-record").dns
    assert srvs is not None and len(srvs.srvs) == 7
    assert srvs.srvs[0] == DnsSrv(
        service="name",
        protocol="tcp",
        domain="test-domain-name.com",
        target="test.example.com",
        port=1111,
        priority=11,
        weight=111,
    )
    assert srvs.srvs[4] == DnsSrv(
        "name5", "udp", target="test5.example.com", priority=55, weight=555
    )
    forwarders = load("nat-network-dns-forwarders").dns
    assert forwarders is not None
    assert forwarders.forwarders == (
        DnsForwarder(addr="8.8.8.8"),
        DnsForwarder(addr="8.8.4.4"),
        DnsForwarder(addr="192.168.1.1", domain="example.com"),
        DnsForwarder(domain="www.example.com"),
    )
    hosts = load("nat-network-dns-hosts").dns
    assert hosts is not None and hosts.forward_plain_names is False
    assert hosts.hosts == (DnsHost(ip="192.168.122.1", hostnames=("host", "gateway")),)
    txt = load("nat-network-dns-txt-record").dns
    assert txt is not None and (txt.txts[0].name, txt.txts[0].value) == ("example", "example value")
    assert load("routed-network-no-dns").dns == Dns(enable=False)


def test_domain_mtu_mac_and_local_ptr() -> None:
    assert load("nat-network-dns-local-domain").domain == Domain("example.com", local_only=True)
    assert load("nat-network-mtu").mtu == 7000
    assert load("open-network").mac == "12:34:56:78:9A:BC"  # as written, case kept
    assert [ip.local_ptr for ip in load("ptr-domains-auto").ips] == [True, False, True, None, None]


def test_netboot() -> None:
    plain, proxy = load("netboot-network").ips[0], load("netboot-proxy-network").ips[0]
    assert plain.tftp_root == "/var/lib/tftproot"
    assert plain.dhcp is not None and plain.dhcp.bootp == Bootp(file="pxeboot.img")
    assert proxy.dhcp is not None
    assert proxy.dhcp.bootp == Bootp(file="pxeboot.img", server="10.20.30.40")
    assert load("netboot-network").bridge == Bridge(name="virbr1", stp=False, delay=1)


def test_dnsmasq_options_in_document_order() -> None:
    net = load("dnsmasq-options")
    assert net.dnsmasq_options == ("foo=bar", "cname=*.cloudapps.example.com,master.example.com")
    text = format_network(net)
    assert f"<network xmlns:dnsmasq='{DNSMASQ_NAMESPACE}'>" in text
    assert "    <dnsmasq:option value='foo=bar'/>\n" in text


def test_an_unprefixed_namespace_of_options_is_read_too() -> None:
    xml = (
        "<network><name>n</name>"
        f"<options xmlns='{DNSMASQ_NAMESPACE}'><option value='a=b'/></options></network>"
    )
    assert parse_network(xml).dnsmasq_options == ("a=b",)


def test_forward_defaults_to_nat() -> None:
    xml = "<network><name>n</name><forward/><ip address='10.0.0.1' prefix='8'/></network>"
    forward = parse_network(xml).forward
    assert forward == Forward() and forward.effective_mode == "nat"


def test_format_is_libvirt_style() -> None:
    text = format_network(load("nat-network-name-with-quotes"))
    assert text.startswith("<network>\n  <name>default&quot;with&quot;quotes&quot;</name>\n")
    assert "  <forward dev='eth1' mode='nat'>\n    <interface dev='eth1'/>\n  </forward>\n" in text
    assert "  <bridge name='virbr0' stp='on' delay='0'/>\n" in text
    assert text.endswith("</network>\n")


def test_everything_outside_the_conformance_files_round_trips_too() -> None:
    definition = NetworkDefinition(
        name="lab 'one' & <two>",
        connections=3,
        ipv6=True,
        trust_guest_rx_filters=False,
        bridge=Bridge(
            name="virbr9", zone="trusted", stp=False, delay=2, mac_table_manager="libvirt"
        ),
        forward=Forward(
            mode="nat",
            dev="eth0",
            interfaces=(ForwardInterface("eth0", connections=1),),
            nat=Nat(
                ipv6=True, address=AddressRange("10.1.0.1", "10.1.0.9"), port=PortRange(1024, 2048)
            ),
        ),
        dns=None,
        ips=(
            IpDefinition(address="10.9.0.1", prefix=24, family="ipv4"),
            IpDefinition(address="fd00::1", prefix=64, family="ipv6"),
        ),
        routes=(
            Route(address="10.10.0.0", gateway="10.9.0.254", prefix=16, metric=5),
            Route(address="fd01::", gateway="fd00::fe", family="ipv6", prefix=64),
        ),
        dnsmasq_options=("log-queries", "multi\nline\tvalue"),
    )
    assert parse_network(format_network(definition)) == definition


def test_dataclasses_are_frozen_and_use_tuples() -> None:
    net = load("nat-network")
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.name = "other"  # type: ignore[misc]
    assert isinstance(net.ips, tuple) and not hasattr(net, "__dict__")


def test_a_route_must_have_a_reachable_gateway_of_its_family() -> None:
    base = "<network><name>n</name><ip address='10.9.0.1' prefix='24'/>{}</network>"
    good = base.format("<route address='10.10.0.0' prefix='16' gateway='10.9.0.254'/>")
    assert parse_network(good).routes == (Route("10.10.0.0", "10.9.0.254", prefix=16),)
    mixed = base.format("<route family='ipv6' address='fd01::' prefix='64' gateway='10.9.0.254'/>")
    with pytest.raises(XMLError, match="gateway '10.9.0.254' is not of the address family"):
        parse_network(mixed)


def test_a_forward_without_a_mode_is_written_as_libvirt_writes_it() -> None:
    """libvirt defaults <forward/> to nat and writes the mode it chose (net-dumpxml)."""
    xml = ("<network><name>n</name><forward/>"
           "<ip address='10.9.0.1' netmask='255.255.255.0'/></network>")
    written = format_network(parse_network(xml))
    assert "<forward mode='nat'/>" in written
    forward = parse_network(written).forward
    assert forward is not None and forward.mode == "nat"
