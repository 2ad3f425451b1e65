"""Building a :class:`NetworkDefinition` from a ``<network>`` tree the schema accepted.

One small function per element, reading attributes with the typed readers of
:mod:`corral.core.xml`. The schema came before; the rules it cannot express are checked
as the definition is built (corral's one checking pattern, see ``docs/xml.md``): each
builder hands what it built, with its element, to the rule of :mod:`._check` for it, and
the rules spanning several elements run once their parts are built, their elements still
at hand -- so every error names the right line without a second walk of the tree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from typing import TypeVar, cast

from corral.core.xml import ON_OFF, YES_NO, Source, child, children, integer, text
from corral.drivers.network.conf._check import (
    check_bootp,
    check_dhcp_host,
    check_dhcp_range,
    check_dns_enabled,
    check_forward,
    check_forwarder,
    check_ip,
    check_name,
    check_one_dhcp_per_family,
    check_route,
    check_srv,
)
from corral.drivers.network.conf._model import (
    DNSMASQ_NAMESPACE,
    AddressRange,
    Bootp,
    Bridge,
    Dhcp,
    DhcpHost,
    DhcpRange,
    Dns,
    DnsForwarder,
    DnsHost,
    DnsSrv,
    DnsTxt,
    Domain,
    Family,
    Forward,
    ForwardInterface,
    ForwardMode,
    IpDefinition,
    Lease,
    LeaseUnit,
    MacTableManager,
    Nat,
    NetworkDefinition,
    PortRange,
    Protocol,
    Route,
)
from lxml import etree

__all__ = ["OPTION_TAG", "OPTIONS_TAG", "build_network"]

OPTIONS_TAG = f"{{{DNSMASQ_NAMESPACE}}}options"
OPTION_TAG = f"{{{DNSMASQ_NAMESPACE}}}option"

_T = TypeVar("_T")


def build_network(root: etree._Element, source: Source) -> NetworkDefinition:
    """Return the definition a schema-valid ``<network>`` element describes.

    Raises:
        XMLError: A rule the schema cannot express is broken (at the element's line).
    """
    name = text(child(root, "name")) or ""
    check_name(name, child(root, "name"), source)
    ips = [(_ip(element, source), element) for element in children(root, "ip")]
    check_one_dhcp_per_family(ips, source)
    bridge = _optional(child(root, "bridge"), _bridge)
    forward = _optional(child(root, "forward"), _forward)
    if forward is not None:
        check_forward(forward, bridge, [ip for ip, _ in ips], root, source)
    addresses = tuple(ip for ip, _ in ips)
    mac = child(root, "mac")
    return NetworkDefinition(
        name=name,
        uuid=text(child(root, "uuid")),
        connections=integer(root, "connections"),
        ipv6=YES_NO.read(root, "ipv6"),
        trust_guest_rx_filters=YES_NO.read(root, "trustGuestRxFilters"),
        bridge=bridge,
        mtu=integer(child(root, "mtu"), "size"),
        mac=mac.get("address") if mac is not None else None,
        forward=forward,
        domain=_optional(child(root, "domain"), _domain),
        dns=_optional(child(root, "dns"), partial(_dns, source=source)),
        ips=addresses,
        routes=tuple(_route(element, addresses, source) for element in children(root, "route")),
        dnsmasq_options=tuple(
            str(option.get("value"))
            for options in children(root, OPTIONS_TAG)
            for option in children(options, OPTION_TAG)
        ),
    )


def _optional(element: etree._Element | None, build: Callable[[etree._Element], _T]) -> _T | None:
    return None if element is None else build(element)


def _bridge(element: etree._Element) -> Bridge:
    return Bridge(
        name=element.get("name"),
        zone=element.get("zone"),
        stp=ON_OFF.read(element, "stp"),
        delay=integer(element, "delay"),
        mac_table_manager=cast(MacTableManager | None, element.get("macTableManager")),
    )


def _forward(element: etree._Element) -> Forward:
    return Forward(
        mode=cast(ForwardMode | None, element.get("mode")),
        dev=element.get("dev"),
        interfaces=tuple(
            ForwardInterface(dev=str(item.get("dev")), connections=integer(item, "connections"))
            for item in children(element, "interface")
        ),
        nat=_optional(child(element, "nat"), _nat),
    )


def _nat(element: etree._Element) -> Nat:
    address = child(element, "address")
    port = child(element, "port")
    return Nat(
        ipv6=YES_NO.read(element, "ipv6"),
        address=None
        if address is None
        else AddressRange(start=str(address.get("start")), end=str(address.get("end"))),
        port=None
        if port is None
        else PortRange(start=int(str(port.get("start"))), end=int(str(port.get("end")))),
    )


def _domain(element: etree._Element) -> Domain:
    return Domain(name=str(element.get("name")), local_only=YES_NO.read(element, "localOnly"))


def _dns(element: etree._Element, source: Source) -> Dns:
    enable = YES_NO.read(element, "enable")
    check_dns_enabled(enable, element, source)
    return Dns(
        enable=enable,
        forward_plain_names=YES_NO.read(element, "forwardPlainNames"),
        forwarders=tuple(_forwarder(item, source) for item in children(element, "forwarder")),
        txts=tuple(
            DnsTxt(name=str(item.get("name")), value=str(item.get("value")))
            for item in children(element, "txt")
        ),
        srvs=tuple(_srv(item, source) for item in children(element, "srv")),
        hosts=tuple(
            DnsHost(
                ip=str(item.get("ip")),
                hostnames=tuple(text(name) or "" for name in children(item, "hostname")),
            )
            for item in children(element, "host")
        ),
    )


def _forwarder(element: etree._Element, source: Source) -> DnsForwarder:
    forwarder = DnsForwarder(addr=element.get("addr"), domain=element.get("domain"))
    check_forwarder(forwarder, element, source)
    return forwarder


def _srv(element: etree._Element, source: Source) -> DnsSrv:
    srv = DnsSrv(
        service=str(element.get("service")),
        protocol=cast(Protocol, element.get("protocol")),
        domain=element.get("domain"),
        target=element.get("target"),
        port=integer(element, "port"),
        priority=integer(element, "priority"),
        weight=integer(element, "weight"),
    )
    check_srv(srv, element, source)
    return srv


def _ip(element: etree._Element, source: Source) -> IpDefinition:
    tftp = child(element, "tftp")
    ip = IpDefinition(
        address=element.get("address"),
        netmask=element.get("netmask"),
        prefix=integer(element, "prefix"),
        family=cast(Family | None, element.get("family")),
        local_ptr=YES_NO.read(element, "localPtr"),
        tftp_root=tftp.get("root") if tftp is not None else None,
    )
    check_ip(ip, element, source)
    dhcp = child(element, "dhcp")
    # Built once the address is known good: its ranges and hosts are checked against it.
    return ip if dhcp is None else dataclasses.replace(ip, dhcp=_dhcp(dhcp, ip, source))


def _dhcp(element: etree._Element, ip: IpDefinition, source: Source) -> Dhcp:
    ranges = tuple(_dhcp_range(item, ip, source) for item in children(element, "range"))
    hosts = tuple(_dhcp_host(item, ip, source) for item in children(element, "host"))
    bootp = child(element, "bootp")
    if bootp is not None:
        check_bootp(ip, bootp, source)
    return Dhcp(ranges=ranges, hosts=hosts, bootp=_optional(bootp, _bootp))


def _dhcp_range(element: etree._Element, ip: IpDefinition, source: Source) -> DhcpRange:
    item = DhcpRange(
        start=str(element.get("start")),
        end=str(element.get("end")),
        lease=_optional(child(element, "lease"), _lease),
    )
    check_dhcp_range(item, ip, element, source)
    return item


def _dhcp_host(element: etree._Element, ip: IpDefinition, source: Source) -> DhcpHost:
    host = DhcpHost(
        ip=str(element.get("ip")),
        mac=element.get("mac"),
        id=element.get("id"),
        name=element.get("name"),
        lease=_optional(child(element, "lease"), _lease),
    )
    check_dhcp_host(host, ip, element, source)
    return host


def _lease(element: etree._Element) -> Lease:
    return Lease(
        expiry=int(str(element.get("expiry"))),
        unit=cast(LeaseUnit | None, element.get("unit")),
    )


def _bootp(element: etree._Element) -> Bootp:
    return Bootp(file=str(element.get("file")), server=element.get("server"))


def _route(element: etree._Element, ips: tuple[IpDefinition, ...], source: Source) -> Route:
    route = Route(
        address=str(element.get("address")),
        gateway=str(element.get("gateway")),
        family=cast(Family | None, element.get("family")),
        netmask=element.get("netmask"),
        prefix=integer(element, "prefix"),
        metric=integer(element, "metric"),
    )
    check_route(route, ips, element, source)
    return route
