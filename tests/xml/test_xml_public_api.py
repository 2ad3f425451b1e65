"""The public names of corral.core.xml: exactly these, all importable, all documented."""

from __future__ import annotations

import inspect

import corral.core.xml

EXPECTED = {
    # the pipeline
    "parse_definition", "load_definition", "parse_network", "load_network",
    "parse_pool", "load_pool", "format_network", "format_pool", "Definition",
    "MAX_XML_SIZE",
    # <network>
    "NetworkDefinition", "Bridge", "Forward", "ForwardInterface", "Nat", "AddressRange",
    "PortRange", "Domain", "Dns", "DnsForwarder", "DnsTxt", "DnsSrv", "DnsHost",
    "IpDefinition", "Dhcp", "DhcpRange", "DhcpHost", "Lease", "Bootp", "Route",
    "DNSMASQ_NAMESPACE",
    # <pool>
    "PoolDefinition", "PoolSource", "PoolHost", "PoolAuth", "PoolTarget", "Permissions",
    "DEFAULT_ISCSI_PORT",
}  # fmt: skip


def test_all_is_exactly_the_public_api() -> None:
    assert set(corral.core.xml.__all__) == EXPECTED
    assert sorted(corral.core.xml.__all__) == sorted(set(corral.core.xml.__all__))
    for name in EXPECTED:
        assert hasattr(corral.core.xml, name), name


def test_every_public_class_and_function_has_a_docstring() -> None:
    for name in EXPECTED:
        value = getattr(corral.core.xml, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name
