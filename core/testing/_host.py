"""A Host with chosen drivers and plugins in a temporary root: the daemon's view, in a test.

Drivers and plugins are given as objects (``{"dummy": DummyDriver}``) or by the names of
installed entry points (``["dummy"]``, found through the real ``corral.drivers`` and
``corral.plugins`` groups); both can be mixed. Every plugin given is enabled, every driver
started in order, and everything is shut down when the block ends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.core._paths import HostPaths
from corral.core.host import DRIVER_GROUP, PLUGIN_GROUP, EntryPointInfo, Host, Registry

__all__ = ["registry_of", "running_host"]

Given = Mapping[str, Any] | Sequence[str]
_KEYWORDS = {DRIVER_GROUP: "drivers", PLUGIN_GROUP: "plugins"}


def registry_of(drivers: Given = (), plugins: Given = ()) -> Registry:
    """Return a registry of the given objects and the named installed entry points.

    Raises:
        CorralError: If an installed entry point fails to load, or a name is unknown.
    """
    installed: Registry | None = None
    table: dict[str, dict[str, tuple[Any, EntryPointInfo]]] = {}
    for group, items in ((DRIVER_GROUP, drivers), (PLUGIN_GROUP, plugins)):
        if isinstance(items, Mapping):
            source = Registry.for_test(**{_KEYWORDS[group]: items})
        else:
            installed = installed or Registry.discover((DRIVER_GROUP, PLUGIN_GROUP))
            source = installed
        table[group] = {name: (source.load(group, name), source.info(group, name))
                        for name in items}
    return Registry(table)


@contextlib.contextmanager
def running_host(root: str | os.PathLike[str], *, drivers: Given = (), plugins: Given = (),
                 config: str = "", privileged: bool = False) -> Iterator[Host]:
    """Open a Host under ``root``, start its drivers, and shut them down at the end.

    Args:
        root: The temporary root: ``etc/corral``, ``var/lib/corral`` and ``run/corral``
            go below it, and the generated ``etc/corral/corrald.conf``.
        drivers: Driver classes by name, or the names of installed driver entry points;
            started in this order.
        plugins: Plugin objects by name, or names of installed plugin entry points; all
            enabled.
        config: More corrald.conf lines (the plugins' settings).
        privileged: What the drivers are told about system mode.

    Yields:
        The Host, its drivers running.

    Raises:
        CorralError: What opening the host or starting a driver raised.
    """
    paths = HostPaths.under_root(root)
    paths.config.mkdir(parents=True, exist_ok=True)
    conf = Path(paths.config, "corrald.conf")
    enabled = ", ".join(f'"{name}"' for name in plugins)
    conf.write_text(f"plugins = [{enabled}]\n{config}", encoding="utf-8")
    host = Host.open(registry_of(drivers, plugins), paths, conf, privileged=privileged)
    host.start_drivers(list(drivers))
    try:
        yield host
    finally:
        host.shutdown()
