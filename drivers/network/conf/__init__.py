"""corral.drivers.network.conf: the ``<network>`` definition, from XML and back.

:data:`NETWORK` is the definition kind (registered as the ``corral.definitions`` entry
point ``network``): the hardened parser, ``network.rng`` (libvirt's schema, trimmed to
what a dnsmasq-backed bridge network can use), then :class:`NetworkDefinition` built and
checked against the rules the schema cannot express, all failures an
:class:`~corral.core.XMLError` with ``file``, ``line`` and ``rule``. The driver works from
the dataclasses and never sees an lxml tree; :func:`format_network` writes libvirt-style
XML that parses back to the same definition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from corral.core.xml import DefinitionKind
from corral.drivers.network.conf._build import build_network
from corral.drivers.network.conf._format import format_network
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
    Forward,
    ForwardInterface,
    IpDefinition,
    Lease,
    Nat,
    NetworkDefinition,
    PortRange,
    Route,
)

#: The folder of ``network.rng`` and ``networkcommon.rng``.
SCHEMA_DIR: Final = Path(__file__).resolve().parent / "schemas"

#: The ``<network>`` definition kind: call it with a parsed tree, or use its
#: ``parse(xml)`` and ``load(path)``.
NETWORK: Final = DefinitionKind("network", SCHEMA_DIR / "network.rng", build_network)



#: ``parse_network(xml, *, file=None)``: the ``<network>`` definition the text holds
#: (:meth:`corral.core.xml.DefinitionKind.parse`).
parse_network: Final = NETWORK.parse

#: ``load_network(path)``: the ``<network>`` definition in a file
#: (:meth:`corral.core.xml.DefinitionKind.load`).
load_network: Final = NETWORK.load

__all__ = [
    "DNSMASQ_NAMESPACE",
    "NETWORK",
    "SCHEMA_DIR",
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
    "format_network",
    "load_network",
    "parse_network",
]
