"""Drivers' lifecycle events become QMP events: a plugin the daemon registers.

A driver announces ``context.emit("network", "default", "started")``; the host hands it
to every plugin's ``corral_lifecycle_event``; this plugin, registered by corrald before
any driver starts, sends it to the clients as::

    {"event": "NETWORK_LIFECYCLE",
     "data": {"type": "network", "name": "default", "event": "started", "detail": ""}, ...}

The event's name is the object type in capitals with ``_LIFECYCLE`` (``POOL_LIFECYCLE``),
except the two daemon.md names of the shipped drivers' announcements: every ``node``
event (the node driver's suspend steps: ``armed``, ``suspending``, ``resumed``,
``failed``, ``cancelled``) is ``NODE_SUSPEND``, and the hooks driver's ``hook`` ``failed``
event (a script that failed without aborting anything) is ``HOOK_SCRIPT_FAILED``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from corral.core.hookspecs import LifecycleEvent, hookimpl

__all__ = ["LifecycleEvents", "event_name"]

# By object type: the node driver announces only its suspend's steps, the hooks driver
# only its scripts' failures (corral.drivers.node.NODE, corral.drivers.hooks.HOOK_OBJECT_TYPE;
# not imported: the daemon must not depend on a driver being installed).
_SPECIAL = {"node": "NODE_SUSPEND", "hook": "HOOK_SCRIPT_FAILED"}


def event_name(event: LifecycleEvent) -> str:
    """Return the QMP event name of a lifecycle event."""
    special = _SPECIAL.get(event.object_type)
    if special:
        return special
    return re.sub(r"[^A-Z0-9]+", "_", event.object_type.upper()) + "_LIFECYCLE"


class LifecycleEvents:
    """The plugin: every lifecycle event to ``emit(name, data)`` (callable from any thread).

    Args:
        emit: Sends a QMP event to the clients.
    """

    def __init__(self, emit: Callable[[str, Mapping[str, Any]], None]) -> None:
        self._emit = emit

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        """Send ``event`` to the clients."""
        self._emit(event_name(event), {"type": event.object_type, "name": event.name,
                                       "event": event.event, "detail": event.detail})
