"""corral.core: the spawning engine, the error layer and what drivers and plugins build on.

The public names are re-exported here; the modules behind them are private. What the
daemon holds (the host, the registry, the plugin manager, corrald.conf loading) is the
separate :mod:`corral.core.host`, which this module never imports: a driver or plugin
importing ``corral.core`` never pulls in the host.

The names are loaded on first use (PEP 562): ``from corral.core import CorralError``
imports the error layer alone, so a client of the daemon (the ``corral`` command line)
pays for neither the engine nor pluggy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str  # corral's version (corral.core._version, which pyproject reads)
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

#: Where each public name lives.
_HOMES = {
    **dict.fromkeys(("Driver", "DriverContext", "LifecycleSink"), "corral.core._driver"),
    **dict.fromkeys(("CommandError", "ConfigError", "CorralError", "ErrorCode", "ErrorDomain",
                     "HookScriptError", "NoSupportError", "ProtocolError", "XMLError"),
                    "corral.core._errors"),
    **dict.fromkeys(("Argument", "Operation", "operation"), "corral.core._operation"),
    "HostPaths": "corral.core._paths",
    "PluginContext": "corral.core._plugin_context",
    **dict.fromkeys(("Config", "ConfigKey"), "corral.core._settings"),
    **dict.fromkeys(("PIPE", "Command", "CommandResult", "DryRun", "SpawnMonitor",
                     "SpawnRecord", "dry_run", "monitor_all_spawns", "monitor_spawns"),
                    "corral.core.command"),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from corral.core._version import VERSION

        return VERSION
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'corral.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
