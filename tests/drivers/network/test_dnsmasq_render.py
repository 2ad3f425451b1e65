"""render() beyond libvirt's test data: what it refuses, paths, reloads, net-dumpconf."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import ipaddress
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, XMLError
from corral.core.testing import assert_golden
from corral.drivers.network.conf import DhcpHost, NetworkDefinition, load_network, parse_network
from corral.drivers.network.dnsmasq import (
    ADDNHOSTS_MARK,
    HOSTSFILE_MARK,
    DnsmasqPaths,
    dnsmasq_needed,
    dumpconf,
    escape_name,
    needs_restart,
    render,
)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
CONFORMANCE = DATA / "xml" / "conformance" / "network"
DEFAULT_XML = ROOT / "config" / "networks" / "default.xml"
PATHS = DnsmasqPaths.for_network("n", "/state", "/run")


def _network(body: str, *, forward: str = "<forward mode='nat'/>", name: str = "n") -> str:
    return (f"<network><name>{name}</name>{forward}<bridge name='virbr9'/>{body}</network>")


def _refused(xml: str, code: ErrorCode, *words: str) -> CorralError:
    with pytest.raises(CorralError) as caught:
        render(parse_network(xml), PATHS)
    error = caught.value
    assert (error.code, error.domain, error.detail["network"]) == (code, "network", "n")
    for word in words:
        assert word in str(error)
    return error


def _conf_lines(xml: str) -> list[str]:
    return render(parse_network(xml), PATHS).conf.splitlines()


IP24 = "<ip address='192.168.5.1' prefix='24'>{}</ip>"


# --- what is refused ------------------------------------------------------------------

def test_forward_mode_bridge_is_refused_as_unsupported() -> None:
    xml = "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/></network>"
    _refused(xml, ErrorCode.CONFIG_UNSUPPORTED, "forward mode 'bridge' is not implemented")


@pytest.mark.parametrize("mode", ["private", "vepa", "passthrough", "hostdev"])
def test_the_other_libvirt_forward_modes_do_not_even_parse(mode: str) -> None:
    xml = f"<network><name>n</name><forward mode='{mode}' dev='eth0'/></network>"
    with pytest.raises(XMLError) as caught:
        parse_network(xml)
    assert caught.value.line == 1


def test_two_ipv4_dhcp_blocks_are_refused_by_render_too() -> None:
    # The definition refuses them at parse time; a definition built in code is refused here.
    first = parse_network(_network(IP24.format("<dhcp><range start='192.168.5.2' "
                                               "end='192.168.5.9'/></dhcp>")))
    second = dataclasses.replace(first.ips[0], address="192.168.6.1")
    network = dataclasses.replace(first, ips=(first.ips[0], second))
    with pytest.raises(CorralError) as caught:
        render(network, PATHS)
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED
    assert "for IPv4, multiple DHCP definitions cannot be specified" in str(caught.value)


@pytest.mark.parametrize(("ip", "family"), [
    ("<ip address='10.1.0.1' prefix='20' localPtr='yes'/>", "IPv4 network with prefix 20"),
    ("<ip address='10.1.0.1' prefix='12' localPtr='yes'/>", "IPv4 network with prefix 12"),
    ("<ip family='ipv6' address='fd00::1' prefix='66' localPtr='yes'/>",
     "IPv6 network with prefix 66"),
])
def test_a_ptr_zone_for_an_odd_prefix_is_refused(ip: str, family: str) -> None:
    _refused(_network(ip), ErrorCode.CONFIG_UNSUPPORTED, family, "cannot be automatically created")


@pytest.mark.parametrize(("ip", "zone"), [
    ("<ip address='10.1.0.1' prefix='16' localPtr='yes'/>", "local=/1.10.in-addr.arpa/"),
    ("<ip address='10.1.2.3' prefix='8' localPtr='yes'/>", "local=/10.in-addr.arpa/"),
    ("<ip family='ipv6' address='fd00:1:2:3::1' prefix='60' localPtr='yes'/>",
     "local=/0.0.0.2.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa/"),
])
def test_a_ptr_zone_covers_the_network_of_the_prefix(ip: str, zone: str) -> None:
    assert zone in _conf_lines(_network(ip))


def test_no_ptr_zone_when_dns_is_off() -> None:
    lines = _conf_lines(_network("<dns enable='no'/><ip address='10.1.0.1' prefix='20' "
                                 "localPtr='yes'/>"))
    assert "port=0" in lines and not any(line.startswith("local=") for line in lines)


@pytest.mark.parametrize(("start", "end", "code", "words"), [
    ("192.168.5.0", "192.168.5.9", ErrorCode.XML_ERROR, "starts at the network address"),
    ("192.168.5.2", "192.168.5.255", ErrorCode.XML_ERROR, "ends at the broadcast address"),
])
def test_a_range_over_the_network_or_broadcast_address_is_refused(
    start: str, end: str, code: ErrorCode, words: str
) -> None:
    xml = _network(IP24.format(f"<dhcp><range start='{start}' end='{end}'/></dhcp>"))
    _refused(xml, code, words, f"{start} - {end}")


@pytest.mark.parametrize(("ip", "start", "end"), [
    ("<ip address='10.0.0.1' prefix='8'>{}</ip>", "10.0.0.2", "10.1.0.1"),
    ("<ip family='ipv6' address='fd00::1' prefix='64'>{}</ip>", "fd00::2", "fd00::1:1"),
])
def test_a_range_over_65535_addresses_is_refused(ip: str, start: str, end: str) -> None:
    xml = _network(ip.format(f"<dhcp><range start='{start}' end='{end}'/></dhcp>"))
    _refused(xml, ErrorCode.CONFIG_UNSUPPORTED, "is too large (> 65535 addresses)")


def test_the_largest_range_counts_every_address() -> None:
    xml = _network("<ip address='10.0.0.1' prefix='8'><dhcp><range start='10.0.0.1' "
                   "end='10.0.255.255'/></dhcp></ip>")
    assert "dhcp-lease-max=65535" in _conf_lines(xml)


@pytest.mark.parametrize(("body", "what"), [
    ("<dns><txt name='t' value='a&#10;dhcp-script=/tmp/evil'/></dns>" + IP24.format(""),
     "TXT value"),
    ("<ip address='192.168.5.1' prefix='24'><tftp root='/a&#13;enable-ra'/></ip>", "TFTP root"),
    ("<dns><srv service='s' protocol='tcp' target='a&#10;port=0'/></dns>" + IP24.format(""),
     "SRV target"),
    (IP24.format("<dhcp><host mac='52:54:00:00:00:01' name='a&#10;b' ip='192.168.5.3'/></dhcp>"),
     "host name"),
])
def test_a_value_with_a_line_break_never_becomes_a_second_directive(body: str, what: str) -> None:
    _refused(_network(body), ErrorCode.CONFIG_UNSUPPORTED, what, "contains a line break")


def test_a_network_name_with_a_line_break_is_refused() -> None:
    with pytest.raises(CorralError, match="network name") as caught:
        render(parse_network(_network(IP24.format(""), name="a&#10;b")), PATHS)
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED


@pytest.mark.parametrize(("body", "what"), [
    (IP24.format("<dhcp><host mac='52:54:00:00:00:01' name='a,infinite' ip='192.168.5.3'/>"
                 "</dhcp>"), "host name 'a,infinite'"),
    # dnsmasq takes these without a word, meaning something else: a root and an interface,
    # a file and a server name.
    ("<ip address='192.168.5.1' prefix='24'><tftp root='/srv,eth0'/></ip>", "TFTP root"),
    (IP24.format("<dhcp><range start='192.168.5.2' end='192.168.5.9'/><bootp file='a,b'/>"
                 "</dhcp>"), "BOOTP file 'a,b'"),
    ("<dns><srv service='s' protocol='tcp' target='a,b' port='1'/></dns>" + IP24.format(""),
     "SRV target 'a,b'"),
])
def test_a_comma_that_would_shift_a_lines_fields_is_refused(body: str, what: str) -> None:
    _refused(_network(body), ErrorCode.CONFIG_UNSUPPORTED, what, "contains a comma")


@pytest.mark.parametrize("dhcp", ["<range start='fd00::2' end='fd00::9'/>",
                                  "<host name='h' ip='fd00::3'/>"])
def test_dhcpv6_on_a_prefix_under_64_is_refused_before_dnsmasq_refuses_to_start(
    dhcp: str
) -> None:
    xml = _network(f"<ip family='ipv6' address='fd00::1' prefix='48'><dhcp>{dhcp}</dhcp></ip>")
    _refused(xml, ErrorCode.CONFIG_UNSUPPORTED, "DHCPv6 on fd00::1/48 needs a prefix of 64")


def test_a_dnsmasq_option_with_a_line_break_is_refused() -> None:
    xml = ("<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>"
           "<name>n</name><bridge name='virbr9'/>" + IP24.format("") +
           "<dnsmasq:options><dnsmasq:option value='a=1&#10;b=2'/></dnsmasq:options></network>")
    _refused(xml, ErrorCode.CONFIG_UNSUPPORTED, "dnsmasq option", "line break")


def test_a_network_without_a_bridge_name_is_refused() -> None:
    network = dataclasses.replace(load_network(CONFORMANCE / "nat-network.xml"), bridge=None)
    with pytest.raises(CorralError, match="has no bridge name") as caught:
        render(network, PATHS)
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED


# --- details of the mapping ----------------------------------------------------------

def test_addresses_are_printed_the_way_libvirt_prints_them() -> None:
    xml = _network("<ip family='ipv6' address='FD00:0:0:0::1' prefix='64'><dhcp>"
                   "<range start='FD00::0010' end='fd00::00ff'/>"
                   "<host name='h' ip='FD00::0020'/></dhcp></ip>")
    files = render(parse_network(xml), PATHS)
    assert "dhcp-range=fd00::10,fd00::ff,64" in files.conf.splitlines()
    assert files.hosts == "h,[fd00::20]\n"


def test_dns_hosts_sharing_an_address_share_a_line() -> None:
    xml = _network("<dns><host ip='192.168.5.7'><hostname>a</hostname></host>"
                   "<host ip='192.168.5.8'><hostname>b</hostname></host>"
                   "<host ip='192.168.5.7'><hostname>c</hostname><hostname>d</hostname></host>"
                   "</dns>" + IP24.format(""))
    assert render(parse_network(xml), PATHS).addn_hosts == (
        "192.168.5.7\ta\tc\td\t\n192.168.5.8\tb\t\n")


def test_an_ipv4_host_with_a_mac_only_or_a_name_only() -> None:
    xml = _network(IP24.format("<dhcp><host mac='52:54:00:00:00:01' ip='192.168.5.3'/>"
                               "<host name='only' ip='192.168.5.4'><lease expiry='5'/></host>"
                               "</dhcp>"))
    files = render(parse_network(xml), PATHS)
    assert files.hosts == "52:54:00:00:00:01,192.168.5.3\nonly,192.168.5.4,5m\n"
    assert "dhcp-range=192.168.5.1,static" in files.conf.splitlines()


def test_tftp_without_dhcp_still_needs_dnsmasq() -> None:
    network = parse_network(_network("<dns enable='no'/><ip address='192.168.5.1' prefix='24'>"
                                     "<tftp root='/srv/tftp'/></ip>"))
    assert dnsmasq_needed(network)
    assert ["enable-tftp", "tftp-root=/srv/tftp"] == [
        line for line in render(network, PATHS).conf.splitlines() if "tftp" in line]


def test_no_address_no_dnsmasq() -> None:
    assert not dnsmasq_needed(parse_network(_network("", forward="")))


# --- paths, arguments, reloads -------------------------------------------------------

def test_paths_follow_libvirts_layout() -> None:
    paths = DnsmasqPaths.for_network('a"b', "/s", "/r", "/usr/bin/corral-leaseshelper")
    assert paths.conf == Path('/s/a"b.conf')  # the conf keeps the raw name, as libvirt's
    assert (paths.hostsfile, paths.addnhosts, paths.pid_file) == (
        Path("/s/a&quot;b.hostsfile"), Path("/s/a&quot;b.addnhosts"), Path("/r/a&quot;b.pid"))
    assert paths.arguments() == ['--conf-file=/s/a"b.conf', "--leasefile-ro",
                                 "--dhcp-script=/usr/bin/corral-leaseshelper"]
    assert escape_name("<&'>") == "&lt;&amp;&apos;&gt;"


def test_arguments_need_a_lease_helper() -> None:
    with pytest.raises(CorralError, match="no lease helper") as caught:
        PATHS.arguments()
    assert caught.value.code == ErrorCode.INVALID_ARG


def _with_hosts(network: NetworkDefinition, count: int) -> NetworkDefinition:
    ip = network.ips[0]
    assert ip.dhcp is not None
    base = ipaddress.IPv4Address("192.168.122.100")
    hosts = tuple(DhcpHost(ip=str(base + i), mac=f"52:54:00:00:00:{i:02x}") for i in range(count))
    dhcp = dataclasses.replace(ip.dhcp, hosts=ip.dhcp.hosts + hosts)
    return dataclasses.replace(network, ips=(dataclasses.replace(ip, dhcp=dhcp), *network.ips[1:]))


def test_a_new_static_host_is_a_reload_a_new_range_a_restart() -> None:
    network = load_network(DEFAULT_XML)
    before = render(network, PATHS)
    added = render(_with_hosts(network, 1), PATHS)
    assert added.hosts == before.hosts + "52:54:00:00:00:00,192.168.122.100\n"
    assert not needs_restart(before, added)
    ip = network.ips[0]
    assert ip.dhcp is not None
    narrower = dataclasses.replace(ip.dhcp, ranges=(dataclasses.replace(
        ip.dhcp.ranges[0], end="192.168.122.99"),))
    changed = render(dataclasses.replace(network, ips=(dataclasses.replace(ip, dhcp=narrower),)),
                     PATHS)
    assert needs_restart(before, changed)


# --- the default network and net-dumpconf --------------------------------------------

def test_the_default_network_is_libvirts() -> None:
    network = load_network(DEFAULT_XML)
    assert network.name == "default"
    assert network.forward is not None and network.forward.effective_mode == "nat"
    assert network.bridge is not None and network.bridge.name == "virbr0"
    (ip,) = network.ips
    assert str(ip.interface.network) == "192.168.122.0/24"
    assert ip.address == "192.168.122.1" and ip.dhcp is not None
    assert [(r.start, r.end) for r in ip.dhcp.ranges] == [("192.168.122.2", "192.168.122.254")]
    assert dnsmasq_needed(network)


def test_dumpconf_of_the_default_network() -> None:
    assert_golden(dumpconf(str(DEFAULT_XML)), DATA / "dnsmasq" / "dumpconf" / "default.txt")


def test_dumpconf_puts_the_hosts_files_after_their_marks() -> None:
    path = CONFORMANCE / "nat-network-dns-hosts.xml"
    network = load_network(path)
    files = render(network, DnsmasqPaths.for_network(
        network.name, "/var/lib/corral/network", "/run/corral/network"))
    assert dumpconf(str(path)) == (f"{files.conf}{HOSTSFILE_MARK}\n{files.hosts}"
                                   f"{ADDNHOSTS_MARK}\n{files.addn_hosts}")
    assert dumpconf(str(path)).endswith("# --- addnhosts\n192.168.122.1\thost\tgateway\t\n")


def test_dumpconf_is_the_entry_point_the_cli_finds() -> None:
    (entry,) = importlib.metadata.entry_points(group="corral.dumpconf", name="network")
    assert entry.load() is dumpconf


def test_dumpconf_of_a_broken_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text("<network>\n  <name>x</name>\n  <forward mode='bogus'/>\n</network>\n")
    with pytest.raises(XMLError) as caught:
        dumpconf(str(path))
    assert (caught.value.file, caught.value.line) == (str(path), 3)


def test_dumpconf_of_an_unsupported_network_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bridge.xml"
    path.write_text("<network><name>b</name><forward mode='bridge'/><bridge name='br0'/>"
                    "</network>")
    with pytest.raises(CorralError, match="forward mode 'bridge'") as caught:
        dumpconf(str(path))
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED
    assert str(caught.value).startswith(f"{path}: Network 'b' cannot be served by dnsmasq")
    assert caught.value.detail["file"] == str(path)


def test_the_public_names_are_exactly_these_and_documented() -> None:
    import inspect

    from corral.drivers.network import dnsmasq

    assert set(dnsmasq.__all__) == {
        "ADDNHOSTS_MARK", "DUMPCONF_RUNTIME_DIR", "DUMPCONF_STATE_DIR", "HOSTSFILE_MARK",
        "IMPLEMENTED_MODES", "DnsmasqFiles", "DnsmasqPaths", "dnsmasq_needed", "dumpconf",
        "escape_name", "explain_test_failure", "needs_restart", "render",
        "syntax_check_arguments",
    }  # fmt: skip
    for name in dnsmasq.__all__:
        value = getattr(dnsmasq, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name
