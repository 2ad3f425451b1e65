"""The ``tracer`` plugin: one line per hook call, a veto on ``--forbidden`` and on frozen objects.

It implements every corral hookspec, the way a real plugin would:

- ``corral_spawn_check`` (firstresult): return a reason to refuse a command;
- ``corral_spawn`` as a *wrapper*: code around the ``yield`` runs before and after;
- ``corral_lifecycle_begin`` (firstresult): return a reason to refuse a driver's start;
- ``corral_spawn_reaped``, ``corral_lifecycle_event``, ``corral_driver_registered``.

corral creates the class with a ``PluginContext``; ``config_keys`` declares the settings
it accepts in corrald.conf.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from corral.core import ConfigKey, PluginContext, SpawnRecord
from corral.core.hookspecs import LifecycleEvent, hookimpl


class TracerPlugin:
    """Append a line per hook call to ``example_trace_file``."""

    config_keys = (
        ConfigKey("example_trace_file", "string", "",
                  "Where the tracer writes; empty means <runtime dir>/example-trace.log."),
    )

    def __init__(self, context: PluginContext) -> None:
        configured = context.config.string("example_trace_file")
        self.path = Path(configured) if configured else context.paths.runtime / "example-trace.log"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def trace(self, line: str) -> None:
        """Append one line to the trace file."""
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")

    @hookimpl
    def corral_spawn_check(self, spawn: SpawnRecord) -> str | None:
        """Refuse any command that carries the argument ``--forbidden``."""
        if "--forbidden" in spawn.argv:
            return "the tracer plugin refuses commands with --forbidden"
        return None

    @hookimpl(wrapper=True)
    def corral_spawn(self, spawn: SpawnRecord) -> Generator[None, None, None]:
        """Trace the command before it starts and after it ended."""
        self.trace(f"before {' '.join(spawn.argv)}")
        try:
            yield
        finally:
            self.trace(f"after {' '.join(spawn.argv)} status={spawn.status}")

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> str | None:
        """Trace what is about to happen; refuse to start objects named ``frozen*``."""
        self.trace(f"begin {event.object_type} {event.name} {event.event}")
        if event.event == "start" and event.name.startswith("frozen"):
            return "the tracer plugin keeps frozen objects stopped"
        return None

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        """Trace a driver's event."""
        self.trace(f"event {event.object_type} {event.name} {event.event}")

    @hookimpl
    def corral_driver_registered(self, name: str, driver: object) -> None:
        """Trace each driver corral started (replayed if the plugin came later)."""
        self.trace(f"driver {name} {type(driver).__name__}")
