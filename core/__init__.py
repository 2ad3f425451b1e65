"""corral.core: the spawning engine, the error layer and what drivers and plugins build on.

The public names are re-exported here; the modules behind them are private. What the
daemon holds (the host, the registry, the plugin manager, corrald.conf loading) is the
separate :mod:`corral.core.host`, which this module never imports: a driver or plugin
importing ``corral.core`` never pulls in the host.
"""

from corral.core._driver import Driver, DriverContext, LifecycleSink
from corral.core._errors import (
    CommandError,
    ConfigError,
    CorralError,
    ErrorCode,
    ErrorDomain,
    HookScriptError,
    NoSupportError,
    ProtocolError,
    XMLError,
)
from corral.core._operation import Argument, Operation, operation
from corral.core._paths import HostPaths
from corral.core._plugin_context import PluginContext
from corral.core._settings import Config, ConfigKey
from corral.core.command import (
    PIPE,
    Command,
    CommandResult,
    DryRun,
    SpawnMonitor,
    SpawnRecord,
    dry_run,
    monitor_all_spawns,
    monitor_spawns,
)

__all__ = [
    "Argument",
    "Command",
    "CommandError",
    "CommandResult",
    "Config",
    "ConfigError",
    "ConfigKey",
    "CorralError",
    "Driver",
    "DriverContext",
    "DryRun",
    "ErrorCode",
    "ErrorDomain",
    "HookScriptError",
    "HostPaths",
    "LifecycleSink",
    "NoSupportError",
    "Operation",
    "PIPE",
    "PluginContext",
    "ProtocolError",
    "SpawnMonitor",
    "SpawnRecord",
    "XMLError",
    "dry_run",
    "monitor_all_spawns",
    "monitor_spawns",
    "operation",
]
