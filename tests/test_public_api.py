"""The public namespace: exactly the names we promise, each documented (trio, httpx)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from types import ModuleType

import corral.core
import corral.core.host
import pytest

PROMISED = {
    # the engine (command-api.md)
    "Command", "CommandResult", "PIPE", "dry_run", "DryRun",
    "SpawnMonitor", "SpawnRecord", "monitor_spawns", "monitor_all_spawns",
    # the error layer
    "CorralError", "CommandError", "XMLError", "ConfigError", "NoSupportError",
    "HookScriptError", "ProtocolError", "ErrorCode", "ErrorDomain",
    # what drivers and plugins are given (never the host that runs them)
    "Driver", "DriverContext", "HostPaths", "LifecycleSink", "operation",
    "Operation", "Argument",
    "PluginContext", "Config", "ConfigKey",
}  # fmt: skip

#: What the daemon holds; drivers and plugins never import it.
PROMISED_HOST = {
    "Host", "Registry", "EntryPointInfo", "PluginSpawnMonitor", "load_config",
    "DEFINITION_GROUP", "DRIVER_GROUP", "PLUGIN_GROUP",
}  # fmt: skip

NAMESPACES = {corral.core: PROMISED, corral.core.host: PROMISED_HOST}


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda module: module.__name__)
def test_all_is_exactly_the_promised_names(namespace: ModuleType) -> None:
    assert set(namespace.__all__) == NAMESPACES[namespace]
    assert len(namespace.__all__) == len(NAMESPACES[namespace])  # no name twice


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda module: module.__name__)
def test_every_exported_name_resolves_and_is_documented(namespace: ModuleType) -> None:
    for name in namespace.__all__:
        value = getattr(namespace, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{namespace.__name__}.{name} has no docstring"


def test_importing_corral_core_does_not_import_the_host() -> None:
    # A driver or plugin imports corral.core; the host must not come along with it.
    done = subprocess.run(
        [sys.executable, "-c", "import sys, corral.core, corral.core.hookspecs; "
         "print(sorted(m for m in sys.modules if m.startswith('corral.core.host')))"],
        capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"


def test_the_lazy_namespace_knows_where_every_name_lives() -> None:
    assert set(corral.core._HOMES) == set(corral.core.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        corral.core.Nothing  # noqa: B018
    assert set(corral.core.__all__) <= set(dir(corral.core))


def test_importing_the_error_layer_pulls_in_neither_the_engine_nor_pluggy() -> None:
    # What a command-line client of the daemon imports; CLI start-up time depends on it.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from corral.core import CorralError, ErrorCode; "
         "print(sorted(m for m in sys.modules if m.startswith(('pluggy', 'corral.core.'))))"],
        capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "['corral.core._errors']"


def test_the_contract_import_line_works() -> None:
    # The first line of command-api.md, verbatim.
    namespace: dict[str, object] = {}
    exec(  # noqa: S102 - a fixed import statement, not input
        "from corral.core import Command, CommandResult, CommandError, CorralError, PIPE, dry_run",
        namespace,
    )
    assert namespace["Command"] is corral.core.Command


def test_the_cli_imports_only_public_modules_of_the_rest_of_corral() -> None:
    # An application is built on the public names; its own private modules are its own.
    import ast
    from pathlib import Path

    import corral.core.cli

    private = []
    for path in Path(next(iter(corral.core.cli.__path__))).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            private += [f"{path.name}: {name}" for name in names
                        if not name.startswith("corral.core.cli") and name != "__future__"
                        and any(part.startswith("_") for part in name.split("."))]
    assert private == []
