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

__all__ = [
    "CommandError",
    "Config",
    "ConfigError",
    "ConfigKey",
    "CorralError",
    "Driver",
    "DriverContext",
    "EntryPointInfo",
    "ErrorCode",
    "ErrorDomain",
    "HookScriptError",
    "Host",
    "HostPaths",
    "NoSupportError",
    "PluginContext",
    "PluginSpawnMonitor",
    "ProtocolError",
    "Registry",
    "XMLError",
    "load_config",
    "operation",
]
