"""The driver contract: libvirt's state-driver lifecycle plus named operations.

A driver is a class found through the ``corral.drivers`` entry-point group. The daemon
creates it with no arguments, then drives the lifecycle libvirt's state drivers have::

    initialize(context)   stateInitialize: read config and status, re-attach, autostart
    reload()              stateReload (SIGHUP): re-read config, keep what runs running
    shutdown()            stateCleanup: release resources; networks and pools keep running

Operations (``network-start``, ``pool-refresh``, ...) are methods marked with
:func:`operation`; :meth:`Driver.call` dispatches by name, and a name the driver does not
offer raises :class:`~corral.core.NoSupportError` -- libvirt's NULL vtable slot. Nothing is
global: everything a driver may use (its paths, an event sink, a logger, the settings)
arrives in the :class:`DriverContext` handed to ``initialize``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from corral.core._errors import CorralError, ErrorCode, ErrorDomain, NoSupportError
from corral.core._settings import Config
from corral.core.hookspecs import LifecycleEvent

__all__ = ["Driver", "DriverContext", "HostPaths", "LifecycleSink", "operation"]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True)
class HostPaths:
    """Where corral keeps its files: libvirt's three directories.

    Attributes:
        config: Definitions the administrator owns (``networks/NAME.xml``, ``hooks/``).
        state: Files that must survive a reboot (dnsmasq config, leases).
        runtime: Files that must not (sockets, pid files, live status).
    """

    config: Path
    state: Path
    runtime: Path

    @classmethod
    def under_root(cls, root: str | os.PathLike[str] = "/") -> HostPaths:
        """System layout below ``root``: ``etc/corral``, ``var/lib/corral``, ``run/corral``."""
        base = Path(root)
        return cls(base / "etc/corral", base / "var/lib/corral", base / "run/corral")

    @classmethod
    def session(cls, environ: Mapping[str, str] | None = None) -> HostPaths:
        """Per-user layout from the XDG variables (libvirt's session mode).

        Config goes to ``$XDG_CONFIG_HOME/corral``, state to ``$XDG_STATE_HOME/corral`` and
        runtime to ``$XDG_RUNTIME_DIR/corral``; like libvirt, a missing runtime directory
        falls back to the user's cache directory.
        """
        env = os.environ if environ is None else environ
        home = Path(env.get("HOME") or Path.home())

        def xdg(name: str, fallback: Path) -> Path:
            return Path(env.get(name) or fallback) / "corral"

        cache = xdg("XDG_CACHE_HOME", home / ".cache")
        return cls(
            xdg("XDG_CONFIG_HOME", home / ".config"),
            xdg("XDG_STATE_HOME", home / ".local/state"),
            Path(env["XDG_RUNTIME_DIR"]) / "corral" if env.get("XDG_RUNTIME_DIR") else cache,
        )

    @classmethod
    def resolve(
        cls,
        root: str | os.PathLike[str] | None = None,
        *,
        privileged: bool | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> HostPaths:
        """Pick the layout corrald uses: ``--root DIR``, else system for root, else session."""
        if root is not None:
            return cls.under_root(root)
        if privileged is None:
            privileged = os.geteuid() == 0
        return cls.under_root("/") if privileged else cls.session(environ)


class LifecycleSink(Protocol):
    """Where a driver's lifecycle events go; the host's forwards them to the plugins."""

    def emit(self, event: LifecycleEvent) -> None:
        """Announce ``event`` to every observer."""


@dataclasses.dataclass(frozen=True)
class DriverContext:
    """What the daemon hands a driver in :meth:`Driver.initialize`.

    Attributes:
        name: The driver's entry-point name (``network``).
        paths: The host's config, state and runtime directories.
        events: Where lifecycle events go; the driver announces them through :meth:`emit`.
        logger: A logger named ``corral.drivers.<name>``.
        config: The daemon's checked settings.
        privileged: True when running as root (system mode).
    """

    name: str
    paths: HostPaths
    events: LifecycleSink
    logger: logging.Logger
    config: Config
    privileged: bool = False

    def emit(self, object_type: str, name: str, event: str, detail: str = "") -> None:
        """Announce a lifecycle event (``network``, ``default``, ``started``) to every plugin.

        Raises:
            CorralError: Domain plugin, naming the plugin whose hookimpl failed.
        """
        self.events.emit(LifecycleEvent(object_type, name, event, detail))


def operation(function: _F) -> _F:
    """Mark a driver method as an operation :meth:`Driver.call` may dispatch to.

    The operation's name is the method's name with underscores turned into dashes
    (``network_start`` → ``network-start``), matching the daemon's command names.
    """
    function.__corral_operation__ = True  # type: ignore[attr-defined]
    return function


class Driver:
    """Base class of every driver; override the lifecycle and mark operations.

    Attributes:
        domain: The :class:`~corral.core.ErrorDomain` this driver's errors carry.
    """

    domain: ClassVar[ErrorDomain] = ErrorDomain.NONE
    _context: DriverContext | None = None

    @classmethod
    def operations(cls) -> frozenset[str]:
        """Return the names of the operations this driver offers."""
        return frozenset(
            attr.replace("_", "-")
            for attr in dir(cls)
            if getattr(getattr(cls, attr, None), "__corral_operation__", False)
        )

    @property
    def context(self) -> DriverContext:
        """The context given to :meth:`initialize`.

        Raises:
            CorralError: If the driver has not been initialized (OPERATION_INVALID).
        """
        if self._context is None:
            raise CorralError(
                f"The driver {type(self).__name__} is used before initialize() was called.",
                domain=self.domain, code=ErrorCode.OPERATION_INVALID,
            )
        return self._context

    def initialize(self, context: DriverContext) -> None:
        """Start the driver: keep the context; subclasses call ``super()`` then do their work."""
        self._context = context

    def reload(self) -> None:
        """Re-read configuration after SIGHUP; the default has nothing to re-read."""

    def shutdown(self) -> None:
        """Release what the driver holds; the default holds nothing."""

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Run the operation ``name`` with keyword ``arguments`` and return its result.

        Raises:
            NoSupportError: If this driver does not offer ``name``.
        """
        if name not in self.operations():
            offered = ", ".join(sorted(self.operations())) or "none"
            driver = self._context.name if self._context else type(self).__name__
            raise NoSupportError(
                f"The driver '{driver}' does not support the operation '{name}' "
                f"(it offers: {offered}).",
                domain=self.domain, operation=name, driver=driver,
            )
        return getattr(self, name.replace("-", "_"))(**arguments)
