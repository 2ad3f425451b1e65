"""The spawn monitor that routes every spawn through the plugins' hookimpls.

The engine knows only the :class:`~corral.core.command.SpawnMonitor` protocol; this
class answers it by calling the hookspecs in :mod:`corral.core.hookspecs`. Install it
for a thread or task with ``monitor_spawns(PluginSpawnMonitor(pm))`` (the daemon does, for
every request) and every ``run``/``run_async`` of every driver passes through the plugins.

A plugin bug must never be mistaken for a command failure, so an exception a hookimpl
raises (not the spawn itself) becomes a :class:`~corral.core.CorralError` of domain
``plugin`` naming the hook; what the spawn raised passes through untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy
from corral.core._errors import CorralError, ErrorCode, ErrorDomain

if TYPE_CHECKING:
    # Only for annotations: importing the engine here could cycle through corral.core.
    from corral.core.command import SpawnRecord

__all__ = ["PluginSpawnMonitor"]


class PluginSpawnMonitor:
    """A :class:`~corral.core.command.SpawnMonitor` backed by a pluggy plugin manager.

    Args:
        plugins: The manager holding corral's hookspecs and the enabled plugins.
    """

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        self.plugins = plugins

    def check(self, record: SpawnRecord) -> str | None:
        """Ask ``corral_spawn_check``; the first reason given refuses the spawn."""
        reason = self._call("corral_spawn_check", lambda: self.plugins.hook.corral_spawn_check(
            spawn=record))
        return None if reason is None else str(reason)

    def observe(self, record: SpawnRecord, spawn: Callable[[], None]) -> None:
        """Call the ``corral_spawn`` wrappers around ``spawn()``, which runs exactly once."""
        run_spawn = spawn
        raised: list[BaseException] = []

        def innermost(spawn: SpawnRecord) -> None:
            # pluggy passes arguments by name: this must be called "spawn" like the spec.
            try:
                run_spawn()
            except BaseException as exc:
                raised.append(exc)
                raise

        try:
            self.plugins.hook.corral_spawn.call_extra([innermost], {"spawn": record})
        except CorralError:
            raise
        except Exception as exc:
            if raised and exc is raised[0]:
                raise  # the spawn's own error passes through untouched
            raise _plugin_failure("corral_spawn", exc) from exc
        if raised:
            # A wrapper swallowed the spawn's error: the caller must still see it.
            raise raised[0]

    def reaped(self, record: SpawnRecord) -> None:
        """Tell ``corral_spawn_reaped`` that an async child has been reaped."""
        self._call("corral_spawn_reaped", lambda: self.plugins.hook.corral_spawn_reaped(
            spawn=record))

    @staticmethod
    def _call(hook: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except CorralError:
            raise
        except Exception as exc:
            raise _plugin_failure(hook, exc) from exc


def _plugin_failure(hook: str, exc: Exception) -> CorralError:
    return CorralError(
        f"A plugin's {hook} hookimpl failed with {type(exc).__name__}: {exc}",
        domain=ErrorDomain.PLUGIN, code=ErrorCode.INTERNAL_ERROR, hook=hook,
    )
