"""Formatting a :class:`NetworkDefinition` back to ``<network>`` XML, in libvirt's order.

Elements and attributes come out in the order libvirt's ``virNetworkDefFormatBuf`` writes
them (name, uuid, forward, bridge, mtu, mac, domain, dns, ip, route, dnsmasq:options) so
the result reads like ``virsh net-dumpxml``. Unlike libvirt nothing is filled in: a value
the definition does not have is not written, which is what makes parse -> format -> parse
give back the very same definition.
"""

from __future__ import annotations

from corral.core.xml import ON_OFF, YES_NO, XMLWriter
from corral.drivers.network.conf._model import (
    DNSMASQ_NAMESPACE,
    Dhcp,
    Dns,
    Forward,
    IpDefinition,
    Lease,
    NetworkDefinition,
    Route,
)

__all__ = ["format_network"]


def format_network(definition: NetworkDefinition) -> str:
    """Return ``definition`` as libvirt-style ``<network>`` XML (two-space indent).

    Args:
        definition: The network, e.g. from :func:`corral.drivers.network.conf.parse_network`.

    Returns:
        The XML text, ending in a newline; parsing it gives back ``definition``.
    """
    out = XMLWriter()
    attributes = [
        ("connections", definition.connections),
        ("ipv6", YES_NO.word(definition.ipv6)),
        ("trustGuestRxFilters", YES_NO.word(definition.trust_guest_rx_filters)),
        ("xmlns:dnsmasq", DNSMASQ_NAMESPACE if definition.dnsmasq_options else None),
    ]
    with out.element("network", attributes):
        out.text("name", definition.name)
        if definition.uuid is not None:
            out.text("uuid", definition.uuid)
        _forward(out, definition.forward)
        _bridge_to_domain(out, definition)
        _dns(out, definition.dns)
        for ip in definition.ips:
            _ip(out, ip)
        for route in definition.routes:
            _route(out, route)
        if definition.dnsmasq_options:
            with out.element("dnsmasq:options"):
                for value in definition.dnsmasq_options:
                    out.empty("dnsmasq:option", [("value", value)])
    return out.result()


def _forward(out: XMLWriter, forward: Forward | None) -> None:
    if forward is None:
        return
    # libvirt writes the mode it defaulted to: <forward/> reads back as mode="nat".
    with out.element("forward", [("dev", forward.dev), ("mode", forward.effective_mode)]):
        nat = forward.nat
        if nat is not None:
            with out.element("nat", [("ipv6", YES_NO.word(nat.ipv6))]):
                if nat.address is not None:
                    out.empty("address", [("start", nat.address.start), ("end", nat.address.end)])
                if nat.port is not None:
                    out.empty("port", [("start", nat.port.start), ("end", nat.port.end)])
        for interface in forward.interfaces:
            out.empty("interface", [("dev", interface.dev), ("connections", interface.connections)])


def _bridge_to_domain(out: XMLWriter, definition: NetworkDefinition) -> None:
    bridge = definition.bridge
    if bridge is not None:
        out.empty(
            "bridge",
            [
                ("name", bridge.name),
                ("zone", bridge.zone),
                ("stp", ON_OFF.word(bridge.stp)),
                ("delay", bridge.delay),
                ("macTableManager", bridge.mac_table_manager),
            ],
        )
    if definition.mtu is not None:
        out.empty("mtu", [("size", definition.mtu)])
    if definition.mac is not None:
        out.empty("mac", [("address", definition.mac)])
    if definition.domain is not None:
        domain = definition.domain
        out.empty("domain", [("name", domain.name), ("localOnly", YES_NO.word(domain.local_only))])


def _dns(out: XMLWriter, dns: Dns | None) -> None:
    if dns is None:
        return
    attributes = [
        ("enable", YES_NO.word(dns.enable)),
        ("forwardPlainNames", YES_NO.word(dns.forward_plain_names)),
    ]
    with out.element("dns", attributes):
        for forwarder in dns.forwarders:
            out.empty("forwarder", [("domain", forwarder.domain), ("addr", forwarder.addr)])
        for txt in dns.txts:
            out.empty("txt", [("name", txt.name), ("value", txt.value)])
        for srv in dns.srvs:
            fields = ("service", "protocol", "domain", "target", "port", "priority", "weight")
            out.empty("srv", [(name, getattr(srv, name)) for name in fields])
        for host in dns.hosts:
            with out.element("host", [("ip", host.ip)]):
                for hostname in host.hostnames:
                    out.text("hostname", hostname)


def _ip(out: XMLWriter, ip: IpDefinition) -> None:
    attributes = [
        ("family", ip.family),
        ("address", ip.address),
        ("netmask", ip.netmask),
        ("prefix", ip.prefix),
        ("localPtr", YES_NO.word(ip.local_ptr)),
    ]
    with out.element("ip", attributes):
        if ip.tftp_root is not None:
            out.empty("tftp", [("root", ip.tftp_root)])
        if ip.dhcp is not None:
            _dhcp(out, ip.dhcp)


def _dhcp(out: XMLWriter, dhcp: Dhcp) -> None:
    with out.element("dhcp"):
        for item in dhcp.ranges:
            with out.element("range", [("start", item.start), ("end", item.end)]):
                _lease(out, item.lease)
        for host in dhcp.hosts:
            attributes = [("mac", host.mac), ("id", host.id), ("name", host.name), ("ip", host.ip)]
            with out.element("host", attributes):
                _lease(out, host.lease)
        if dhcp.bootp is not None:
            out.empty("bootp", [("file", dhcp.bootp.file), ("server", dhcp.bootp.server)])


def _lease(out: XMLWriter, lease: Lease | None) -> None:
    if lease is not None:
        out.empty("lease", [("expiry", lease.expiry), ("unit", lease.unit)])


def _route(out: XMLWriter, route: Route) -> None:
    fields = ("family", "address", "netmask", "prefix", "gateway", "metric")
    out.empty("route", [(name, getattr(route, name)) for name in fields])
