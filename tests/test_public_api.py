"""The public namespace: exactly the names we promise, each documented (trio, httpx)."""

from __future__ import annotations

import inspect

import corral.core

PROMISED = {
    # the engine (command-api.md)
    "Command", "CommandResult", "PIPE", "dry_run", "DryRun",
    "SpawnMonitor", "SpawnRecord", "monitor_spawns", "monitor_all_spawns",
    # the error layer
    "CorralError", "CommandError", "XMLError", "ConfigError", "NoSupportError",
    "HookScriptError", "ProtocolError", "ErrorCode", "ErrorDomain",
    # drivers, plugins and the host that runs them
    "Driver", "DriverContext", "HostPaths", "operation", "Host", "Registry",
    "EntryPointInfo", "PluginContext", "PluginSpawnMonitor",
    "Config", "ConfigKey", "load_config",
}  # fmt: skip


def test_all_is_exactly_the_promised_names() -> None:
    assert set(corral.core.__all__) == PROMISED
    assert len(corral.core.__all__) == len(PROMISED)  # no name twice


def test_every_exported_name_resolves_and_is_documented() -> None:
    for name in corral.core.__all__:
        value = getattr(corral.core, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"corral.core.{name} has no docstring"


def test_the_contract_import_line_works() -> None:
    # The first line of command-api.md, verbatim.
    namespace: dict[str, object] = {}
    exec(  # noqa: S102 - a fixed import statement, not input
        "from corral.core import Command, CommandResult, CommandError, CorralError, PIPE, dry_run",
        namespace,
    )
    assert namespace["Command"] is corral.core.Command
