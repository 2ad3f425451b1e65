"""The spawn monitor that routes every spawn through the plugins' hookimpls.

The engine knows only the :class:`~corral.core.command.SpawnMonitor` protocol; this
class answers it by calling the hookspecs in :mod:`corral.core.hookspecs`. The Host
installs it process-wide with ``monitor_all_spawns`` (during every host operation and for as
long as a driver runs), so every ``run``/``run_async`` of every driver, from any thread,
executor worker or asyncio task, passes through the plugins.

A plugin bug must never be mistaken for a command failure, so an exception a hookimpl
raises (not the spawn itself) becomes a :class:`~corral.core.CorralError` of domain
``plugin`` naming the hook and, when the traceback shows it, the plugin; what the spawn
raised passes through untouched. :func:`call_hook` gives the drivers' lifecycle events
and registrations the same treatment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy
from corral.core._errors import CorralError, ErrorCode, ErrorDomain

if TYPE_CHECKING:
    # Only for annotations: importing the engine here could cycle through corral.core.
    from corral.core.command import SpawnRecord

__all__ = ["PluginSpawnMonitor", "call_hook"]

T = TypeVar("T")


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

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        """Call the ``corral_spawn`` wrappers around ``spawn()``; return what it returned.

        ``spawn()`` runs exactly once, innermost. Its value is taken there, not from the
        hook's result, which a wrapper may replace (a plain ``yield`` gives None).
        """
        run_spawn = spawn
        returned: T
        raised: BaseException | None = None

        def innermost(spawn: SpawnRecord) -> None:
            # pluggy passes arguments by name: this must be called "spawn" like the spec.
            nonlocal returned, raised
            try:
                returned = run_spawn()
            except BaseException as exc:
                raised = exc
                raise

        try:
            self.plugins.hook.corral_spawn.call_extra([innermost], {"spawn": record})
        except CorralError:
            raise
        except Exception as exc:
            if exc is raised:
                raise  # the spawn's own error passes through untouched
            raise _plugin_failure(self.plugins, "corral_spawn", exc) from exc
        if raised is not None:
            # A wrapper swallowed the spawn's error: the caller must still see it.
            raise raised
        return returned  # pluggy calls innermost once every wrapper has yielded

    def reaped(self, record: SpawnRecord) -> None:
        """Tell ``corral_spawn_reaped`` that an async child has been reaped."""
        self._call("corral_spawn_reaped", lambda: self.plugins.hook.corral_spawn_reaped(
            spawn=record))

    def _call(self, hook: str, call: Callable[[], Any]) -> Any:
        return call_hook(self.plugins, hook, call)


def call_hook(plugins: pluggy.PluginManager, hook: str, call: Callable[[], Any]) -> Any:
    """Return ``call()``, which calls ``hook``; a hookimpl's exception becomes a plugin error.

    Raises:
        CorralError: Domain plugin, naming the hook and the plugin (a CorralError a
            hookimpl raised passes through as it is).
    """
    try:
        return call()
    except CorralError:
        raise
    except Exception as exc:
        raise _plugin_failure(plugins, hook, exc) from exc


def _plugin_failure(plugins: pluggy.PluginManager, hook: str, exc: Exception) -> CorralError:
    culprit = _culprit(plugins, hook, exc)
    what = f"The {hook} hookimpl of the plugin '{culprit}'" if culprit else \
        f"A plugin's {hook} hookimpl"
    return CorralError(
        f"{what} failed with {type(exc).__name__}: {exc}",
        domain=ErrorDomain.PLUGIN, code=ErrorCode.INTERNAL_ERROR, hook=hook, plugin=culprit,
    )


def _culprit(plugins: pluggy.PluginManager, hook: str, exc: BaseException) -> str | None:
    """Return the plugin whose hookimpl of ``hook`` is on ``exc``'s traceback, innermost."""
    caller = getattr(plugins.hook, hook, None)
    impls = caller.get_hookimpls() if caller is not None else []
    # A bound method exposes its function's code object, which the frame runs.
    owners = {getattr(impl.function, "__code__", None): impl.plugin_name for impl in impls}
    found, frame = None, exc.__traceback__
    while frame is not None:
        found = owners.get(frame.tb_frame.f_code, found)
        frame = frame.tb_next
    return found
