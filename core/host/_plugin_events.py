"""The host's lifecycle sink: a driver's events reach the plugins' hookimpls.

A driver holds only the :class:`~corral.core.LifecycleSink` protocol (in its
:class:`~corral.core.DriverContext`); this class answers it with the pluggy manager the
host built, so no driver ever sees the manager itself.
"""

from __future__ import annotations

import pluggy
from corral.core.hookspecs import LifecycleEvent
from corral.core.host._plugin_monitor import call_hook

__all__ = ["PluginEvents"]


class PluginEvents:
    """A :class:`~corral.core.LifecycleSink` backed by a pluggy plugin manager.

    Args:
        plugins: The manager holding corral's hookspecs and the enabled plugins.
    """

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        self.plugins = plugins

    def begin(self, event: LifecycleEvent) -> str | None:
        """Ask ``corral_lifecycle_begin``; the first reason given refuses the change."""
        reason = call_hook(self.plugins, "corral_lifecycle_begin",
                           lambda: self.plugins.hook.corral_lifecycle_begin(event=event))
        return None if reason is None else str(reason)

    def emit(self, event: LifecycleEvent) -> None:
        """Call ``corral_lifecycle_event``; a hookimpl's failure names its plugin."""
        call_hook(self.plugins, "corral_lifecycle_event",
                  lambda: self.plugins.hook.corral_lifecycle_event(event=event))
