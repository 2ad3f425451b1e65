"""The ``<network>`` definition as frozen dataclasses: what the network driver works from.

One class per element of corral's ``network.rng``, named after it; one field per
attribute or child. Values stay as the user wrote them (addresses are strings, the MAC
keeps its case) so the dnsmasq configuration renders exactly what libvirt renders;
numbers the schema types as numbers are ints; yes/no and on/off are bools; anything
absent is None (or an empty tuple), never a default filled in -- libvirt's defaults (a
forward without mode means NAT, a lease without unit means minutes, STP on) live in the
few properties below, named as such. Building (and checking) is in :mod:`._build`,
formatting back to XML in :mod:`._format`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Final, Literal

from corral.core import CorralError, ErrorCode

__all__ = [
    "DNSMASQ_NAMESPACE",
    "AddressRange",
    "Bootp",
    "Bridge",
    "Dhcp",
    "DhcpHost",
    "DhcpRange",
    "Dns",
    "DnsForwarder",
    "DnsHost",
    "DnsSrv",
    "DnsTxt",
    "Domain",
    "Forward",
    "ForwardInterface",
    "IpDefinition",
    "Lease",
    "Nat",
    "NetworkDefinition",
    "PortRange",
    "Route",
]

#: The namespace of ``<dnsmasq:options>`` (options passed to dnsmasq verbatim).
DNSMASQ_NAMESPACE: Final = "http://libvirt.org/schemas/network/dnsmasq/1.0"

ForwardMode = Literal["nat", "route", "open", "bridge"]
Family = Literal["ipv4", "ipv6"]
LeaseUnit = Literal["seconds", "minutes", "hours"]
MacTableManager = Literal["kernel", "libvirt"]
Protocol = Literal["tcp", "udp"]


@dataclasses.dataclass(frozen=True, slots=True)
class Bridge:
    """``<bridge name zone stp delay macTableManager>``: the host bridge of the network."""

    name: str | None = None
    zone: str | None = None
    stp: bool | None = None
    delay: int | None = None
    mac_table_manager: MacTableManager | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class AddressRange:
    """``<address start end>`` inside ``<nat>``: the IPv4 addresses NAT may use."""

    start: str
    end: str


@dataclasses.dataclass(frozen=True, slots=True)
class PortRange:
    """``<port start end>`` inside ``<nat>``: the source ports NAT may use."""

    start: int
    end: int


@dataclasses.dataclass(frozen=True, slots=True)
class Nat:
    """``<nat ipv6>`` inside ``<forward mode='nat'>``."""

    ipv6: bool | None = None
    address: AddressRange | None = None
    port: PortRange | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ForwardInterface:
    """``<interface dev connections>`` inside ``<forward>``."""

    dev: str
    connections: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Forward:
    """``<forward dev mode>``: how traffic leaves the network (absent: isolated)."""

    mode: ForwardMode | None = None
    dev: str | None = None
    interfaces: tuple[ForwardInterface, ...] = ()
    nat: Nat | None = None

    @property
    def effective_mode(self) -> ForwardMode:
        """The mode, with libvirt's default (``nat``) when the attribute is absent."""
        return self.mode or "nat"


@dataclasses.dataclass(frozen=True, slots=True)
class Domain:
    """``<domain name localOnly>``: the DNS domain of the network."""

    name: str
    local_only: bool | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DnsForwarder:
    """``<forwarder addr domain>``: where dnsmasq forwards (a domain's) queries."""

    addr: str | None = None
    domain: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DnsTxt:
    """``<txt name value>``: a DNS TXT record."""

    name: str
    value: str


@dataclasses.dataclass(frozen=True, slots=True)
class DnsSrv:
    """``<srv service protocol domain target port priority weight>``: a DNS SRV record."""

    service: str
    protocol: Protocol
    domain: str | None = None
    target: str | None = None
    port: int | None = None
    priority: int | None = None
    weight: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DnsHost:
    """``<host ip>`` with its ``<hostname>`` children: extra names dnsmasq answers for."""

    ip: str
    hostnames: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Dns:
    """``<dns enable forwardPlainNames>`` and its records."""

    enable: bool | None = None
    forward_plain_names: bool | None = None
    forwarders: tuple[DnsForwarder, ...] = ()
    txts: tuple[DnsTxt, ...] = ()
    srvs: tuple[DnsSrv, ...] = ()
    hosts: tuple[DnsHost, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Lease:
    """``<lease expiry unit>``: a DHCP lease time; ``expiry=0`` means infinite."""

    expiry: int
    unit: LeaseUnit | None = None

    @property
    def effective_unit(self) -> LeaseUnit:
        """The unit, with libvirt's default (``minutes``) when the attribute is absent."""
        return self.unit or "minutes"


@dataclasses.dataclass(frozen=True, slots=True)
class DhcpRange:
    """``<range start end>``: addresses the DHCP server hands out."""

    start: str
    end: str
    lease: Lease | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DhcpHost:
    """``<host mac|id name ip>``: a static DHCP reservation (``id`` is a DHCPv6 DUID)."""

    ip: str
    mac: str | None = None
    id: str | None = None
    name: str | None = None
    lease: Lease | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Bootp:
    """``<bootp file server>``: the PXE boot file (and the server holding it)."""

    file: str
    server: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Dhcp:
    """``<dhcp>``: the ranges, static hosts and BOOTP settings of one ``<ip>``."""

    ranges: tuple[DhcpRange, ...] = ()
    hosts: tuple[DhcpHost, ...] = ()
    bootp: Bootp | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class IpDefinition:
    """``<ip address netmask|prefix family localPtr>`` with ``<tftp>`` and ``<dhcp>``."""

    address: str | None = None
    netmask: str | None = None
    prefix: int | None = None
    family: Family | None = None
    local_ptr: bool | None = None
    tftp_root: str | None = None
    dhcp: Dhcp | None = None

    @property
    def is_ipv6(self) -> bool:
        """Whether the address is IPv6 (the family attribute must then say so, too)."""
        return self.address is not None and ":" in self.address

    @property
    def interface(self) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
        """The address with its prefix length, as :mod:`ipaddress` sees it.

        The prefix comes from ``prefix``, else ``netmask``, else libvirt's default: the
        classful length for IPv4 (8, 16 or 24) and 64 for IPv6.
        """
        if self.address is None:
            raise CorralError(
                "This <ip> has no address, so it has no interface.", code=ErrorCode.INVALID_ARG
            )
        address = ipaddress.ip_address(self.address)
        if self.prefix is not None:
            length = self.prefix
        elif self.netmask is not None:
            # A contiguous mask (the checks make sure of it): its one bits are the prefix.
            length = bin(int(ipaddress.IPv4Address(self.netmask))).count("1")
        elif address.version == 6:
            length = 64
        else:
            first = int(address) >> 24
            length = 8 if first < 128 else 16 if first < 192 else 24
        return ipaddress.ip_interface(f"{address}/{length}")


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """``<route family address netmask|prefix gateway metric>``: a static route."""

    address: str
    gateway: str
    family: Family | None = None
    netmask: str | None = None
    prefix: int | None = None
    metric: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class NetworkDefinition:
    """A whole ``<network>``: everything the network driver needs, and nothing from lxml.

    ``dnsmasq_options`` are the ``value`` attributes of ``<dnsmasq:options>/<dnsmasq:option>``
    in document order. ``connections`` is status libvirt writes; it is kept as read.
    """

    name: str
    uuid: str | None = None
    connections: int | None = None
    ipv6: bool | None = None
    trust_guest_rx_filters: bool | None = None
    bridge: Bridge | None = None
    mtu: int | None = None
    mac: str | None = None
    forward: Forward | None = None
    domain: Domain | None = None
    dns: Dns | None = None
    ips: tuple[IpDefinition, ...] = ()
    routes: tuple[Route, ...] = ()
    dnsmasq_options: tuple[str, ...] = ()
