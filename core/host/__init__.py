"""corral.core.host: what the daemon holds -- drivers, plugins, the registry, corrald.conf.

This layer sits above the engine, the XML toolkit and the state files, and below the
daemon and the CLI. Drivers and plugins never import it (an import-linter contract in
``pyproject.toml`` enforces that): what they need -- :class:`~corral.core.Driver`,
:class:`~corral.core.DriverContext`, :class:`~corral.core.PluginContext`,
:class:`~corral.core.ConfigKey` -- lives in :mod:`corral.core`, which never imports this
package.
"""

from corral.core.host._config import load_config
from corral.core.host._host import Host
from corral.core.host._plugin_monitor import PluginSpawnMonitor
from corral.core.host._registry import (
    DEFINITION_GROUP,
    DRIVER_GROUP,
    PLUGIN_GROUP,
    EntryPointInfo,
    Registry,
)

__all__ = [
    "DEFINITION_GROUP",
    "DRIVER_GROUP",
    "PLUGIN_GROUP",
    "EntryPointInfo",
    "Host",
    "PluginSpawnMonitor",
    "Registry",
    "load_config",
]
