"""net-update as a pure edit of a definition: sections, commands, matching, refusals."""

from __future__ import annotations

import pytest
from corral.core import CorralError, ErrorCode, XMLError
from corral.drivers.network._update import update_definition
from corral.drivers.network.conf import (
    DhcpHost,
    DhcpRange,
    DnsHost,
    DnsTxt,
    NetworkDefinition,
    format_network,
    parse_network,
)

BASE = parse_network("""<network><name>u</name><bridge name='virbr9'/>
  <dns><txt name='t1' value='one'/></dns>
  <ip address='10.9.0.1' prefix='24'><dhcp>
    <range start='10.9.0.10' end='10.9.0.20'/>
    <host mac='52:54:00:00:00:01' name='a' ip='10.9.0.2'/>
  </dhcp></ip>
  <ip family='ipv6' address='2001:db8::1' prefix='64'/>
</network>""")


def edit(command: str, section: str, fragment: str, parent_index: int = -1,
         base: NetworkDefinition | None = None) -> NetworkDefinition:
    """Update ``base`` and check that the XML and the definition agree."""
    start = BASE if base is None else base
    updated = update_definition(start, format_network(start), command, section, fragment,
                                parent_index)
    assert parse_network(updated.xml) == updated.definition
    return updated.definition


def hosts(definition: object) -> tuple[DhcpHost, ...]:
    dhcp = definition.ips[0].dhcp  # type: ignore[attr-defined]
    return tuple(dhcp.hosts)


def test_add_last_and_add_first_place_the_host() -> None:
    last = edit("add", "ip-dhcp-host",
                             "<host mac='52:54:00:00:00:02' ip='10.9.0.3'/>")
    assert [host.ip for host in hosts(last)] == ["10.9.0.2", "10.9.0.3"]
    first = edit("add-first", "ip-dhcp-host",
                              "<host mac='52:54:00:00:00:02' ip='10.9.0.3'/>")
    assert [host.ip for host in hosts(first)] == ["10.9.0.3", "10.9.0.2"]


def test_modify_finds_the_host_by_mac_and_delete_removes_it() -> None:
    modified = edit("modify", "ip-dhcp-host",
                                 "<host mac='52:54:00:00:00:01' name='b' ip='10.9.0.4'/>")
    assert hosts(modified) == (DhcpHost(ip="10.9.0.4", mac="52:54:00:00:00:01", name="b"),)
    deleted = edit("delete", "ip-dhcp-host",
                                "<host mac='52:54:00:00:00:01'/>")
    assert hosts(deleted) == ()


def test_ranges_dns_hosts_and_txt_records() -> None:
    ranged = edit("add", "ip-dhcp-range",
                               "<range start='10.9.0.30' end='10.9.0.40'/>")
    assert ranged.ips[0].dhcp is not None
    assert ranged.ips[0].dhcp.ranges[-1] == DhcpRange("10.9.0.30", "10.9.0.40")
    named = edit("add", "dns-host",
                              "<host ip='10.9.0.50'><hostname>x</hostname></host>")
    assert named.dns is not None and named.dns.hosts == (DnsHost("10.9.0.50", ("x",)),)
    untexted = edit("delete", "dns-txt", "<txt name='t1' value='one'/>")
    assert untexted.dns is not None and untexted.dns.txts == ()
    texted = edit("add", "dns-txt", "<txt name='t2' value='two'/>")
    assert texted.dns is not None
    assert texted.dns.txts == (DnsTxt("t1", "one"), DnsTxt("t2", "two"))


def test_an_ipv6_host_goes_to_the_ipv6_ip_and_parent_index_chooses() -> None:
    added = edit("add", "ip-dhcp-host",
                              "<host id='0:3:0:1:0:16:3e:11:22:33' ip='2001:db8::5'/>")
    assert added.ips[1].dhcp is not None and added.ips[1].dhcp.hosts[0].ip == "2001:db8::5"
    with pytest.raises(CorralError) as caught:
        edit("add", "ip-dhcp-host", "<host mac='52:54:00:00:00:09' "
                          "ip='10.9.0.9'/>", parent_index=5)
    assert caught.value.code == ErrorCode.OPERATION_INVALID


@pytest.mark.parametrize(("command", "section", "xml", "code"), [
    ("add", "ip-dhcp-host", "<host mac='52:54:00:00:00:01' ip='10.9.0.8'/>",
     ErrorCode.OPERATION_INVALID),  # same MAC
    ("add", "ip-dhcp-host", "<host mac='52:54:00:00:00:08' ip='10.9.0.2'/>",
     ErrorCode.OPERATION_INVALID),  # same address
    ("delete", "ip-dhcp-host", "<host mac='52:54:00:00:00:99'/>", ErrorCode.OPERATION_INVALID),
    ("modify", "dns-txt", "<txt name='t1' value='x'/>", ErrorCode.ARGUMENT_UNSUPPORTED),
    ("add", "forward", "<forward/>", ErrorCode.ARGUMENT_UNSUPPORTED),
    ("replace", "dns-txt", "<txt name='t1' value='x'/>", ErrorCode.ARGUMENT_UNSUPPORTED),
    ("add", "dns-txt", "<host ip='1.2.3.4'/>", ErrorCode.XML_ERROR),
])
def test_refusals(command: str, section: str, xml: str, code: ErrorCode) -> None:
    with pytest.raises(CorralError) as caught:
        edit(command, section, xml)
    assert caught.value.code == code


def test_a_result_the_rules_refuse_is_an_xml_error_naming_net_update() -> None:
    with pytest.raises(XMLError) as caught:  # backwards: a rule of the builder's
        edit("add", "ip-dhcp-range",
                          "<range start='10.9.0.40' end='10.9.0.30'/>")
    assert "net-update" in str(caught.value)


def test_a_second_ipv4_dhcp_block_and_records_under_disabled_dns_are_refused() -> None:
    two = parse_network("""<network><name>u</name><bridge name='virbr9'/>
      <ip address='10.9.0.1' prefix='24'><dhcp><range start='10.9.0.10' end='10.9.0.20'/>
      </dhcp></ip><ip address='10.8.0.1' prefix='24'/></network>""")
    with pytest.raises(CorralError) as caught:
        edit("add", "ip-dhcp-host", "<host mac='52:54:00:00:00:09' ip='10.8.0.9'/>",
             parent_index=1, base=two)
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED
    quiet = parse_network("<network><name>q</name><dns enable='no'/></network>")
    with pytest.raises(CorralError) as caught:
        edit("add", "dns-txt", "<txt name='a' value='b'/>", base=quiet)
    assert caught.value.code == ErrorCode.OPERATION_INVALID


def test_the_first_host_of_an_ip_without_dhcp_creates_its_dhcp_block() -> None:
    bare = parse_network("<network><name>b</name><ip address='10.7.0.1' prefix='24'/>"
                         "</network>")
    added = edit("add", "ip-dhcp-host", "<host mac='52:54:00:00:00:01' ip='10.7.0.5'/>",
                 base=bare)
    assert added.ips[0].dhcp is not None
    assert added.ips[0].dhcp.hosts == (DhcpHost(ip="10.7.0.5", mac="52:54:00:00:00:01"),)
    first_dns = edit("add", "dns-host", "<host ip='10.7.0.6'><hostname>h</hostname></host>",
                     base=bare)
    assert first_dns.dns is not None and first_dns.dns.hosts[0].ip == "10.7.0.6"
