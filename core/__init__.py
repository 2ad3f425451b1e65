"""corral.core: the spawning engine, the error layer and the services drivers build on.

The public names are re-exported here; the modules behind them are private.
"""

from corral.core._config import Config, ConfigKey, load_config
from corral.core._driver import Driver, DriverContext, HostPaths, operation
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
from corral.core._host import Host
from corral.core._plugin_monitor import PluginSpawnMonitor
from corral.core._plugins import PluginContext
from corral.core._registry import EntryPointInfo, Registry
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
    "EntryPointInfo",
    "ErrorCode",
    "ErrorDomain",
    "HookScriptError",
    "Host",
    "HostPaths",
    "NoSupportError",
    "PIPE",
    "PluginContext",
    "PluginSpawnMonitor",
    "ProtocolError",
    "Registry",
    "SpawnMonitor",
    "SpawnRecord",
    "XMLError",
    "dry_run",
    "load_config",
    "monitor_all_spawns",
    "monitor_spawns",
    "operation",
]
