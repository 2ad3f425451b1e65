"""Every pluggy hookspec corral calls, and the markers plugins use: the plugin contract.

A plugin is an object (module or instance) with functions marked ``@hookimpl`` whose names
and argument names match a hookspec below; the registry checks both when the plugin is
registered and refuses a mismatch loudly. pluggy passes arguments by name, so a hookimpl
may take fewer arguments than its spec, never others. The hooks, in the order a spawn
meets them::

    corral_spawn_check(spawn)   -> str | None   veto, firstresult: a reason refuses the spawn
    corral_spawn(spawn)                         wrap it: @hookimpl(wrapper=True), then yield
    corral_spawn_reaped(spawn)                  an async child was reaped (wait/abort)
    corral_lifecycle_begin(event) -> str | None veto, firstresult: a reason refuses the change
    corral_lifecycle_event(event)               a driver's object changed state
    corral_driver_registered(name, driver)      historic: late plugins still see every driver

A driver's lifecycle meets them in this order (libvirt's hook-script order)::

    start:  corral_lifecycle_begin(event="start")    vetoable: nothing has been done yet
            ... the driver's work ...
            corral_lifecycle_event(event="started")  observe only
    stop:   ... the driver's work ...
            corral_lifecycle_event(event="stopped")  observe only: a stop is never refused

A started driver whose class has hookimpls of its own is registered as a plugin too
(named ``driver:<name>``): that is how the hook-script runner, a driver found through
the ``corral.drivers`` entry point ``hooks``, refuses another driver's start without either
importing the other.

``spawn`` is a :class:`~corral.core.command.SpawnRecord`: argv, environment *names* (never
values), pid, status, signal, duration. A refused spawn never starts: the engine raises
:class:`~corral.core.CommandError` with code OPERATION_DENIED and the plugin's reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    # Only for annotations: importing the engine here could cycle through corral.core.
    from corral.core.command import SpawnRecord

__all__ = ["PROJECT", "LifecycleEvent", "hookimpl", "hookspec"]

#: The pluggy project name binding specs and impls together.
PROJECT = "corral"

#: Marks the specifications below (corral's own use).
hookspec = pluggy.HookspecMarker(PROJECT)

#: Marks a plugin's implementations: ``@hookimpl`` or ``@hookimpl(wrapper=True)``.
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclasses.dataclass(frozen=True)
class LifecycleEvent:
    """One state change of a driver's object, as QMP events report it.

    Attributes:
        object_type: What changed: ``network``, ``pool``, ``node``, ...
        name: Which one: the network's or pool's name.
        event: What happened: ``defined``, ``started``, ``stopped``, ``undefined``, ...;
            for :func:`corral_lifecycle_begin`, what is about to: ``start``, ``define``.
        detail: Extra words, possibly empty (``"autostart"``, the reason of a failure).
        driver: The entry-point name of the driver that announced it (``storage`` for a
            ``pool``); :class:`~corral.core.DriverContext` fills it in. The hook-script
            runner picks ``hooks/<driver>`` by it.
        xml: The object's XML as the driver has it at that moment (the live status XML of
            a started network), or "": what a hook script reads on its stdin. Left out of
            ``repr`` so that logging an event never dumps a whole definition.
    """

    object_type: str
    name: str
    event: str
    detail: str = ""
    driver: str = ""
    xml: str = dataclasses.field(default="", repr=False)


@hookspec(firstresult=True)
def corral_spawn_check(spawn: SpawnRecord) -> str | None:
    """Decide whether a command may run; called before every spawn, dry runs included.

    Args:
        spawn: The command about to run; only argv, env_names, cwd, mode and dry_run are set.

    Returns:
        A complete sentence saying why the command is refused, or None to let it run.
        The first plugin to return a reason wins and no process is started.
    """


@hookspec
def corral_spawn(spawn: SpawnRecord) -> Generator[None, Any, Any] | None:
    """Surround every spawn; corral's own innermost implementation does the spawning.

    Implement it as ``@hookimpl(wrapper=True)`` and ``yield`` once: code before the yield
    runs before the child starts, code after it once it has ended (for ``run``) or
    started (``run_async``, see :func:`corral_spawn_reaped`). The yield raises what the
    spawn raised; re-raise it. A plain (non-wrapper) implementation is refused.

    Args:
        spawn: The record the engine fills in: pid, status, signal, duration, error.
    """


@hookspec
def corral_spawn_reaped(spawn: SpawnRecord) -> None:
    """Report that a child started with ``run_async`` has been reaped.

    Args:
        spawn: The same record :func:`corral_spawn` saw, now with status and duration.
    """


@hookspec(firstresult=True)
def corral_lifecycle_begin(event: LifecycleEvent) -> str | None:
    """Decide whether a driver's object may change state; called before the driver acts.

    Args:
        event: What is about to happen: ``event`` is the verb (``start``, ``define``).

    Returns:
        A complete sentence saying why the change is refused, or None to let it happen.
        The first plugin to return a reason wins: the driver raises OPERATION_DENIED with
        it and does nothing. A hookimpl may raise instead (the hook-script runner raises
        :class:`~corral.core.HookScriptError`); the driver's caller sees that error.
    """


@hookspec
def corral_lifecycle_event(event: LifecycleEvent) -> None:
    """Observe a lifecycle event a driver emitted (network started, pool refreshed, ...).

    Args:
        event: What changed.
    """


@hookspec(historic=True)
def corral_driver_registered(name: str, driver: object) -> None:
    """Learn about a driver once it has been initialized; replayed for late plugins.

    Args:
        name: The driver's entry-point name.
        driver: The initialized :class:`~corral.core.Driver` instance.
    """
