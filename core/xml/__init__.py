"""corral.core.xml: network and storage pool definitions, from XML and back.

The pipeline is: a hardened parser (no network, no DTD, no entities, a 10 MiB cap), then
corral's RelaxNG schema for the root element (``<network>`` or ``<pool>``, compatible with
libvirt's), then frozen dataclasses, then the rules the schema cannot express. Every
failure is an :class:`~corral.core.XMLError` with ``file``, ``line`` and ``rule``. Drivers
work from the dataclasses and never see an lxml tree; ``format_network`` and
``format_pool`` write libvirt-style XML that parses back to the same definition.
"""

from corral.core.xml._load import (
    Definition,
    load_definition,
    load_network,
    load_pool,
    parse_definition,
    parse_network,
    parse_pool,
)
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
    Forward,
    ForwardInterface,
    IpDefinition,
    Lease,
    Nat,
    NetworkDefinition,
    PortRange,
    Route,
)
from corral.core.xml._network_format import format_network
from corral.core.xml._parse import MAX_XML_SIZE
from corral.core.xml._pool import (
    DEFAULT_ISCSI_PORT,
    Permissions,
    PoolAuth,
    PoolDefinition,
    PoolHost,
    PoolSource,
    PoolTarget,
)
from corral.core.xml._pool_format import format_pool

__all__ = [
    "DEFAULT_ISCSI_PORT",
    "DNSMASQ_NAMESPACE",
    "MAX_XML_SIZE",
    "AddressRange",
    "Bootp",
    "Bridge",
    "Definition",
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
    "Permissions",
    "PoolAuth",
    "PoolDefinition",
    "PoolHost",
    "PoolSource",
    "PoolTarget",
    "PortRange",
    "Route",
    "format_network",
    "format_pool",
    "load_definition",
    "load_network",
    "load_pool",
    "parse_definition",
    "parse_network",
    "parse_pool",
]
