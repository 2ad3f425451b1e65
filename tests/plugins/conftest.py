"""A Host with the shipped plugins enabled from a real corrald.conf in a private root."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from corral.core import HostPaths
from corral.core.host import Host, Registry
from corral.plugins.audit import AuditPlugin
from corral.plugins.policy import PolicyPlugin

MakeHost = Callable[[str], Host]


@pytest.fixture
def make_host(tmp_path: Path) -> MakeHost:
    """Return ``make(conf_text)`` -> a Host over ``tmp_path/root`` with audit and policy found."""

    def make(conf: str) -> Host:
        path = tmp_path / "corrald.conf"
        path.write_text(conf)
        registry = Registry.for_test(plugins={"audit": AuditPlugin, "policy": PolicyPlugin})
        return Host.open(registry, HostPaths.under_root(tmp_path / "root"), path,
                         privileged=False)

    return make
