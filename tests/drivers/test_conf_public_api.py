"""The public names of the drivers' definition packages: exactly these, all documented."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest
from corral.drivers.network import conf as network_conf
from corral.drivers.storage import backends
from corral.drivers.storage import conf as storage_conf
from corral.drivers.storage.backends import iscsi_rules

EXPECTED = {
    network_conf: {
        "NETWORK", "SCHEMA_DIR", "parse_network", "load_network", "format_network",
        "NetworkDefinition", "Bridge", "Forward", "ForwardInterface", "Nat", "AddressRange",
        "PortRange", "Domain", "Dns", "DnsForwarder", "DnsTxt", "DnsSrv", "DnsHost",
        "IpDefinition", "Dhcp", "DhcpRange", "DhcpHost", "Lease", "Bootp", "Route",
        "DNSMASQ_NAMESPACE",
    },
    storage_conf: {
        "POOL", "SCHEMA_DIR", "parse_pool", "load_pool", "format_pool", "PoolDefinition",
        "PoolSource", "PoolHost", "PoolAuth", "PoolTarget", "Permissions",
        "SECRET", "SecretDefinition", "parse_secret", "format_secret",
    },
    backends: {"BACKEND_GROUP", "POOL_TYPE_RULES", "Chap", "FoundSource", "StorageBackend",
               "StorageError", "Volume", "redact"},
    iscsi_rules: {
        "DEFAULT_ISCSI_PORT", "ISCSI_POOL_TYPES", "IscsiPoolType", "check_iscsi_pool",
        "portal_port",
    },
}  # fmt: skip


@pytest.mark.parametrize("module", list(EXPECTED), ids=lambda m: m.__name__)
def test_all_is_exactly_the_public_api(module: ModuleType) -> None:
    assert set(module.__all__) == EXPECTED[module]
    assert len(module.__all__) == len(EXPECTED[module])
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name


def test_the_backend_group_is_the_storage_drivers() -> None:
    assert backends.BACKEND_GROUP == "corral.storage.backends"
    assert set(backends.POOL_TYPE_RULES) == {"iscsi", "iscsi-direct"}
