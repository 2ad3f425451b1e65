"""Building a :class:`NetworkDefinition` from a ``<network>`` tree the schema accepted.

Pure construction: one small function per element, reading attributes with the typed
readers of :mod:`._values`. Validation came before (the schema) and comes after
(:mod:`._network_check`, which walks the same tree in the same order for line numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from corral.core.xml._network import (
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
from corral.core.xml._values import child, children, integer, on_off, text, yes_no
from lxml import etree

__all__ = ["OPTION_TAG", "OPTIONS_TAG", "build_network"]

OPTIONS_TAG = f"{{{DNSMASQ_NAMESPACE}}}options"
OPTION_TAG = f"{{{DNSMASQ_NAMESPACE}}}option"

_T = TypeVar("_T")


def build_network(root: etree._Element) -> NetworkDefinition:
    """Return the definition a schema-valid ``<network>`` element describes."""
    mac = child(root, "mac")
    return NetworkDefinition(
        name=text(child(root, "name")) or "",
        uuid=text(child(root, "uuid")),
        connections=integer(root, "connections"),
        ipv6=yes_no(root, "ipv6"),
        trust_guest_rx_filters=yes_no(root, "trustGuestRxFilters"),
        bridge=_optional(child(root, "bridge"), _bridge),
        mtu=integer(child(root, "mtu"), "size"),
        mac=mac.get("address") if mac is not None else None,
        forward=_optional(child(root, "forward"), _forward),
        domain=_optional(child(root, "domain"), _domain),
        dns=_optional(child(root, "dns"), _dns),
        ips=tuple(_ip(element) for element in children(root, "ip")),
        routes=tuple(_route(element) for element in children(root, "route")),
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
        stp=on_off(element, "stp"),
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
        ipv6=yes_no(element, "ipv6"),
        address=None
        if address is None
        else AddressRange(start=str(address.get("start")), end=str(address.get("end"))),
        port=None
        if port is None
        else PortRange(start=int(str(port.get("start"))), end=int(str(port.get("end")))),
    )


def _domain(element: etree._Element) -> Domain:
    return Domain(name=str(element.get("name")), local_only=yes_no(element, "localOnly"))


def _dns(element: etree._Element) -> Dns:
    return Dns(
        enable=yes_no(element, "enable"),
        forward_plain_names=yes_no(element, "forwardPlainNames"),
        forwarders=tuple(
            DnsForwarder(addr=item.get("addr"), domain=item.get("domain"))
            for item in children(element, "forwarder")
        ),
        txts=tuple(
            DnsTxt(name=str(item.get("name")), value=str(item.get("value")))
            for item in children(element, "txt")
        ),
        srvs=tuple(_srv(item) for item in children(element, "srv")),
        hosts=tuple(
            DnsHost(
                ip=str(item.get("ip")),
                hostnames=tuple(text(name) or "" for name in children(item, "hostname")),
            )
            for item in children(element, "host")
        ),
    )


def _srv(element: etree._Element) -> DnsSrv:
    return DnsSrv(
        service=str(element.get("service")),
        protocol=cast(Protocol, element.get("protocol")),
        domain=element.get("domain"),
        target=element.get("target"),
        port=integer(element, "port"),
        priority=integer(element, "priority"),
        weight=integer(element, "weight"),
    )


def _ip(element: etree._Element) -> IpDefinition:
    tftp = child(element, "tftp")
    return IpDefinition(
        address=element.get("address"),
        netmask=element.get("netmask"),
        prefix=integer(element, "prefix"),
        family=cast(Family | None, element.get("family")),
        local_ptr=yes_no(element, "localPtr"),
        tftp_root=tftp.get("root") if tftp is not None else None,
        dhcp=_optional(child(element, "dhcp"), _dhcp),
    )


def _dhcp(element: etree._Element) -> Dhcp:
    return Dhcp(
        ranges=tuple(
            DhcpRange(
                start=str(item.get("start")),
                end=str(item.get("end")),
                lease=_optional(child(item, "lease"), _lease),
            )
            for item in children(element, "range")
        ),
        hosts=tuple(_dhcp_host(item) for item in children(element, "host")),
        bootp=_optional(child(element, "bootp"), _bootp),
    )


def _dhcp_host(element: etree._Element) -> DhcpHost:
    return DhcpHost(
        ip=str(element.get("ip")),
        mac=element.get("mac"),
        id=element.get("id"),
        name=element.get("name"),
        lease=_optional(child(element, "lease"), _lease),
    )


def _lease(element: etree._Element) -> Lease:
    return Lease(
        expiry=int(str(element.get("expiry"))),
        unit=cast(LeaseUnit | None, element.get("unit")),
    )


def _bootp(element: etree._Element) -> Bootp:
    return Bootp(file=str(element.get("file")), server=element.get("server"))


def _route(element: etree._Element) -> Route:
    return Route(
        address=str(element.get("address")),
        gateway=str(element.get("gateway")),
        family=cast(Family | None, element.get("family")),
        netmask=element.get("netmask"),
        prefix=integer(element, "prefix"),
        metric=integer(element, "metric"),
    )
