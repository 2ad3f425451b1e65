"""The rules of a ``<network>`` that its schema cannot express, checked as libvirt does.

Each rule comes from libvirt's network parser or its network driver's validation
(``virNetworkDefParseXML``, ``virNetworkIPDefParseXML``, ``networkValidate``): address
families that must agree, ranges that must lie inside their network, one DHCP server per
address family, forward modes that need (or forbid) addresses and devices. A broken rule
is an :class:`XMLError` at the element's line: code XML_ERROR when the definition makes
no sense, CONFIG_UNSUPPORTED when it is meaningful but not supported (libvirt's codes).
The builder (:mod:`._build`) calls each ``check_*`` with what it has just built and the
element it built it from, so the line is always at hand.
"""

from __future__ import annotations

import ipaddress
from collections import Counter

from corral.core import ErrorCode
from corral.core.xml import Source, child, children
from corral.drivers.network.conf._model import (
    Bridge,
    DhcpHost,
    DhcpRange,
    DnsForwarder,
    DnsSrv,
    Forward,
    IpDefinition,
    Route,
)
from lxml import etree

__all__ = [
    "check_bootp",
    "check_dhcp_host",
    "check_dhcp_range",
    "check_dns_enabled",
    "check_forward",
    "check_forwarder",
    "check_ip",
    "check_name",
    "check_one_dhcp_per_family",
    "check_route",
    "check_srv",
]

_UNSUPPORTED = ErrorCode.CONFIG_UNSUPPORTED
# libvirt's SERVICE_CHARS: what /etc/services names use, minus "." (the SRV separator).
_SERVICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/*")
_ROUTED_MODES = frozenset({"nat", "route", "open"})
_DNS_RECORDS = ("forwarder", "txt", "srv", "host")


def check_name(name: str, element: etree._Element | None, source: Source) -> None:
    """The network name must be a plain, non-empty file name."""
    if not name:
        source.fail(element, "the network name must not be empty")
    if "/" in name:
        source.fail(element, f"the network name '{name}' must not contain '/'")


def _check_family(
    element: etree._Element,
    address: str,
    family: str | None,
    netmask: str | None,
    prefix: int | None,
    source: Source,
) -> None:
    """The address, family, netmask and prefix of an ``<ip>`` or ``<route>`` must agree."""
    ipv6 = ipaddress.ip_address(address).version == 6
    if family == "ipv6" and not ipv6:
        source.fail(
            element, f"family 'ipv6' is given for the IPv4 address '{address}'", code=_UNSUPPORTED
        )
    if family != "ipv6" and ipv6:
        given = "family 'ipv4' is" if family else "no family is"
        rule = f"{given} given for the IPv6 address '{address}' (it needs family='ipv6')"
        source.fail(element, rule, code=_UNSUPPORTED)
    if netmask is not None:
        if ipv6:
            rule = f"a netmask is not allowed for the IPv6 address '{address}'"
            source.fail(element, rule, code=_UNSUPPORTED)
        bits = f"{int(ipaddress.IPv4Address(netmask)):032b}"
        if "01" in bits:
            source.fail(element, f"the netmask '{netmask}' is not a contiguous run of one bits")
    if prefix is not None and not ipv6 and prefix > 32:
        source.fail(element, f"the IPv4 prefix '{prefix}' is larger than 32", code=_UNSUPPORTED)


def check_ip(ip: IpDefinition, element: etree._Element, source: Source) -> None:
    """An ``<ip>`` (before its DHCP): address, family and prefix agree; TFTP is IPv4's."""
    if ip.address is None:
        source.fail(element, "element 'ip' needs an 'address' attribute")
    _check_family(element, ip.address, ip.family, ip.netmask, ip.prefix, source)
    if not ip.is_ipv6 and ip.netmask is None and ip.prefix is None:
        if int(ipaddress.IPv4Address(ip.address)) >> 28 >= 0xE:
            rule = f"the address '{ip.address}' is not of class A, B or C: it needs a prefix"
            source.fail(element, rule)
    if ip.tftp_root is not None and ip.is_ipv6:
        rule = "TFTP is supported only on an IPv4 address, not on an IPv6 one"
        source.fail(child(element, "tftp"), rule, code=_UNSUPPORTED)


def check_dhcp_range(
    item: DhcpRange, ip: IpDefinition, element: etree._Element, source: Source
) -> None:
    """A DHCP ``<range>`` lies, the right way round, inside the network of its ``<ip>``."""
    network = ip.interface.network
    start, end = ipaddress.ip_address(item.start), ipaddress.ip_address(item.end)
    span = f"the DHCP range {item.start} - {item.end}"
    if start.version != network.version or end.version != network.version:
        rule = f"{span} is not of the address family of {ip.address}"
        source.fail(element, rule, code=_UNSUPPORTED)
    if int(start) > int(end):
        source.fail(element, f"{span} starts after it ends")
    if start not in network or end not in network:
        rule = f"{span} is not entirely within the network {network}"
        source.fail(element, rule, code=_UNSUPPORTED)


def check_dhcp_host(
    host: DhcpHost, ip: IpDefinition, element: etree._Element, source: Source
) -> None:
    """A static DHCP ``<host>`` is named the way its ``<ip>``'s address family needs."""
    ipv6 = ip.is_ipv6
    if ipv6 and host.mac is not None:
        rule = (
            f"the static host with MAC address '{host.mac}' is in an IPv6 network (use id, a DUID)"
        )
        source.fail(element, rule)
    if ipv6 and not (host.id or host.name):
        source.fail(element, "a static host in an IPv6 network needs an id or a name attribute")
    if not ipv6 and not (host.mac or host.name):
        source.fail(element, "a static host in an IPv4 network needs a mac or a name attribute")
    if host.name is not None and not host.name[:1].isalpha():
        source.fail(element, f"the host name '{host.name}' does not start with a letter")
    # The schema vouches for the address's form: only IPv6 addresses have a colon.
    if (":" in host.ip) != ipv6:
        rule = f"the static host address '{host.ip}' is not of the address family of {ip.address}"
        source.fail(element, rule, code=_UNSUPPORTED)


def check_bootp(ip: IpDefinition, element: etree._Element, source: Source) -> None:
    """``<bootp>`` is IPv4's."""
    if ip.is_ipv6:
        rule = "BOOTP is supported only on an IPv4 address, not on an IPv6 one"
        source.fail(element, rule, code=_UNSUPPORTED)


def check_one_dhcp_per_family(
    ips: list[tuple[IpDefinition, etree._Element]], source: Source
) -> None:
    """dnsmasq gets one DHCP configuration per address family (libvirt's networkValidate)."""
    seen: Counter[bool] = Counter()
    for ip, element in ips:
        if ip.dhcp is not None and (ip.dhcp.ranges or ip.dhcp.hosts):
            seen[ip.is_ipv6] += 1
            if seen[ip.is_ipv6] > 1:
                family = "IPv6" if ip.is_ipv6 else "IPv4"
                rule = f"DHCP is supported on only one {family} address of a network"
                source.fail(element, rule, code=_UNSUPPORTED)


def check_forward(
    forward: Forward,
    bridge: Bridge | None,
    ips: list[IpDefinition],
    root: etree._Element,
    source: Source,
) -> None:
    """The forward mode fits the devices, addresses and bridge of the network."""
    element = child(root, "forward")
    if element is None:
        return
    mode = forward.effective_mode
    _check_nat(mode, child(element, "nat"), source)
    devices = [item.dev for item in forward.interfaces]
    if forward.dev is not None and devices and devices[0] != forward.dev:
        rule = f"the forward dev '{forward.dev}' does not match the first interface '{devices[0]}'"
        source.fail(element, rule)
    for dev, count in Counter(devices).items():
        if count > 1:
            source.fail(element, f"the forward interface '{dev}' is listed more than once")
    used = set(devices) | ({forward.dev} if forward.dev else set())
    if mode in _ROUTED_MODES:
        _check_routed_forward(ips, mode, used, element, source)
    else:
        _check_bridge_forward(bridge, used, root, element, source)


def _check_nat(mode: str, element: etree._Element | None, source: Source) -> None:
    if element is None:
        return
    if mode != "nat":
        source.fail(element, f"element 'nat' is allowed only with forward mode 'nat', not '{mode}'")
    address, port = child(element, "address"), child(element, "port")
    if address is not None:
        start, end = str(address.get("start")), str(address.get("end"))
        if int(ipaddress.IPv4Address(start)) > int(ipaddress.IPv4Address(end)):
            source.fail(address, f"the NAT address range {start} - {end} starts after it ends")
    if port is not None and int(str(port.get("start"))) > int(str(port.get("end"))):
        source.fail(
            port, f"the NAT port range {port.get('start')} - {port.get('end')} starts after it ends"
        )


def _check_routed_forward(
    ips: list[IpDefinition],
    mode: str,
    used: set[str],
    element: etree._Element,
    source: Source,
) -> None:
    if not ips:
        source.fail(element, f"forward mode '{mode}' needs an <ip> address on the network")
    if len(used) > 1:
        source.fail(element, f"forward mode '{mode}' supports only one forward interface")
    if mode == "open" and used:
        source.fail(element, "forward mode 'open' does not allow a forward device")


def _check_bridge_forward(
    bridge: Bridge | None,
    used: set[str],
    root: etree._Element,
    element: etree._Element,
    source: Source,
) -> None:
    # The bridge belongs to the host, not to corral: no addresses, DHCP, DNS or STP here.
    if bridge is not None and (bridge.stp is not None or bridge.delay is not None):
        rule = "bridge stp and delay are allowed only with forward modes nat, route and open"
        source.fail(child(root, "bridge"), rule)
    has_name = bridge is not None and bridge.name is not None
    if has_name == bool(used):
        rule = "forward mode 'bridge' needs either a bridge name or a forward device, and not both"
        source.fail(element, rule)
    for tag in ("ip", "dns", "domain"):
        found = child(root, tag)
        if found is not None:
            rule = f"element '{tag}' is not supported with forward mode 'bridge'"
            source.fail(found, rule, code=_UNSUPPORTED)


def check_dns_enabled(enable: bool | None, element: etree._Element, source: Source) -> None:
    """A ``<dns enable='no'>`` has no records (checked before its records are built)."""
    if enable is False and any(children(element, tag) for tag in _DNS_RECORDS):
        source.fail(element, "DNS is disabled (enable='no') but element 'dns' still has content")


def check_forwarder(forwarder: DnsForwarder, element: etree._Element, source: Source) -> None:
    """A DNS ``<forwarder>`` says where or for what (or both)."""
    if forwarder.addr is None and forwarder.domain is None:
        source.fail(element, "a DNS forwarder needs an addr or a domain attribute (or both)")


def check_srv(srv: DnsSrv, element: etree._Element, source: Source) -> None:
    """A DNS ``<srv>`` record: a service name dnsmasq takes, a target for its numbers."""
    if not set(srv.service) <= _SERVICE_CHARS:
        rule = f"the SRV service '{srv.service}' may use only letters, digits and _-+/*"
        source.fail(element, rule)
    if srv.target is None and (srv.port, srv.priority, srv.weight) != (None, None, None):
        rule = f"the SRV record '{srv.service}' has a port, priority or weight but no target"
        source.fail(element, rule)
    if srv.port == 0:
        source.fail(element, f"the SRV record '{srv.service}' has port 0 (the port is 1 to 65535)")


def check_route(
    route: Route, ips: tuple[IpDefinition, ...], element: etree._Element, source: Source
) -> None:
    """A ``<route>``: address and family agree; the gateway is reachable from an ``<ip>``."""
    _check_family(element, route.address, route.family, route.netmask, route.prefix, source)
    gateway = ipaddress.ip_address(route.gateway)
    if gateway.version != ipaddress.ip_address(route.address).version:
        rule = f"the gateway '{route.gateway}' is not of the address family of '{route.address}'"
        source.fail(element, rule, code=_UNSUPPORTED)
    # libvirt requires the gateway to be directly reachable through one of the bridge's subnets.
    if not any(ip.address and gateway in ip.interface.network for ip in ips):
        rule = f"the route gateway '{route.gateway}' is not inside any <ip> subnet of the network"
        source.fail(element, rule, code=_UNSUPPORTED)
