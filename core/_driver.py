"""The driver contract: libvirt's state-driver lifecycle plus named operations.

A driver is a class found through the ``corral.drivers`` entry-point group. The daemon
creates it with no arguments, then drives the lifecycle libvirt's state drivers have::

    initialize(context)   stateInitialize: read config and status, re-attach, autostart
    reload()              stateReload (SIGHUP): re-read config, keep what runs running
    shutdown()            stateCleanup: release resources; networks and pools keep running

Operations (``network-start``, ``pool-refresh``, ...) are methods marked with
:func:`~corral.core.operation`; :meth:`Driver.call` is the typed boundary every call
crosses:

- a name the driver does not offer raises :class:`~corral.core.NoSupportError` --
  libvirt's NULL vtable slot;
- the arguments are checked against the method's signature and type hints first
  (INVALID_ARG naming the argument and the operation);
- a plain :class:`~corral.core.CorralError` the operation raises without a domain gets
  the driver's domain (:meth:`Driver.domain_for`: its :attr:`Driver.domain`, or its
  entry-point name when the class declares none); any other exception becomes INTERNAL_ERROR naming
  the driver and the operation, the original chained as ``__cause__``.

Nothing is global: everything a driver may use (its paths, its lifecycle sink, a logger,
the settings) arrives in the :class:`DriverContext` handed to ``initialize``. The order of
a lifecycle, for every driver::

    start:  context.begin(..., "start")   plugins may refuse (hook scripts' "start begin")
            ... the work ...
            context.emit(..., "started")  observe only
    stop:   ... the work ...
            context.emit(..., "stopped")  observe only: a stop is never refused

"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, ClassVar, Protocol

from corral.core._errors import CorralError, ErrorCode, ErrorDomain, NoSupportError
from corral.core._operation import Operation, describe, is_operation
from corral.core._paths import HostPaths
from corral.core._settings import Config
from corral.core.hookspecs import LifecycleEvent

__all__ = ["Driver", "DriverContext", "LifecycleSink"]


class LifecycleSink(Protocol):
    """Where a driver's lifecycle events go; the host's forwards them to the plugins."""

    def begin(self, event: LifecycleEvent) -> str | None:
        """Ask whether ``event`` may begin: a reason refuses it, None lets it happen."""

    def emit(self, event: LifecycleEvent) -> None:
        """Announce ``event`` to every observer."""


@dataclasses.dataclass(frozen=True)
class DriverContext:
    """What the daemon hands a driver in :meth:`Driver.initialize`.

    Attributes:
        name: The driver's entry-point name (``network``).
        paths: The host's config, state and runtime directories.
        events: Where lifecycle events go, through :meth:`begin` and :meth:`emit`.
        logger: A logger named ``corral.drivers.<name>``.
        config: The daemon's checked settings.
        privileged: True when running as root (system mode).
        domain: The driver's error domain (:meth:`Driver.domain_for` its name).
    """

    name: str
    paths: HostPaths
    events: LifecycleSink
    logger: logging.Logger
    config: Config
    privileged: bool = False
    domain: str = ErrorDomain.NONE

    def begin(self, object_type: str, name: str, event: str, detail: str = "",
              *, xml: str = "") -> None:
        """Announce that ``event`` (``start``) is about to begin; a plugin may refuse it.

        Call it before any work, so that a refusal leaves nothing to roll back. The
        hook-script runner answers it with the administrator's ``start begin`` scripts,
        which read ``xml`` (the object's definition) on their stdin.

        Raises:
            CorralError: OPERATION_DENIED in the driver's domain with the plugin's reason
                when one refuses; what a plugin raises (a ``HookScriptError``) as it is.
        """
        lifecycle = LifecycleEvent(object_type, name, event, detail, self.name, xml)
        reason = self.events.begin(lifecycle)
        if reason is not None:
            raise CorralError(
                f"A plugin refused to let the {object_type} '{name}' {event}: {reason}",
                domain=self.domain, code=ErrorCode.OPERATION_DENIED, driver=self.name,
                object_type=object_type, object=name, event=event, reason=reason,
            )

    def emit(self, object_type: str, name: str, event: str, detail: str = "",
             *, xml: str = "") -> None:
        """Announce a lifecycle event (``network``, ``default``, ``started``) to every plugin.

        ``xml`` is the object's XML at that moment (a started network's live status XML),
        what the ``started``/``stopped`` hook scripts read on their stdin.

        Raises:
            CorralError: Domain plugin, naming the plugin whose hookimpl failed.
        """
        self.events.emit(LifecycleEvent(object_type, name, event, detail, self.name, xml))


class Driver:
    """Base class of every driver; override the lifecycle and mark operations.

    Attributes:
        domain: The error domain this driver's errors carry: an
            :class:`~corral.core.ErrorDomain` member, or a short lowercase name of the
            driver's own (``"leases"``). A class that declares none gets its entry-point
            name as its domain (see :meth:`domain_for`).
    """

    domain: ClassVar[str] = ErrorDomain.NONE
    _context: DriverContext | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ErrorDomain.of(cls.domain)  # a bad domain fails when the class is defined

    @classmethod
    def domain_for(cls, name: str) -> str:
        """Return the domain the errors of this driver carry when started as ``name``.

        The class's :attr:`domain` when it declares one; else the entry-point name when
        that is a valid domain name (a driver ``leases`` raising a plain error reports
        domain ``leases``, not ``none``); else NONE.
        """
        if cls.domain != ErrorDomain.NONE:
            return cls.domain
        try:
            return ErrorDomain.of(name)
        except ValueError:
            return ErrorDomain.NONE

    @property
    def error_domain(self) -> str:
        """The domain this driver's errors carry: :meth:`domain_for` its entry-point name."""
        if self._context is None:
            return self.domain
        return self.domain_for(self._context.name)

    @classmethod
    def describe_operations(cls) -> dict[str, Operation]:
        """Return every operation this driver offers by name, read without calling any.

        This is what the daemon's ``query-commands`` lists: the name, the read-only tag
        and the arguments (name, type, required) of each.
        """
        found = (describe(getattr(cls, attr)) for attr in dir(cls)
                 if is_operation(getattr(cls, attr, None)))
        return {operation.name: operation for operation in sorted(found, key=_by_name)}

    @classmethod
    def operations(cls) -> frozenset[str]:
        """Return the names of the operations this driver offers."""
        return frozenset(cls.describe_operations())

    @property
    def context(self) -> DriverContext:
        """The context given to :meth:`initialize`.

        Raises:
            CorralError: If the driver has not been initialized (OPERATION_INVALID).
        """
        if self._context is None:
            raise CorralError(
                f"The driver {type(self).__name__} is used before initialize() was called.",
                domain=self.error_domain, code=ErrorCode.OPERATION_INVALID,
            )
        return self._context

    def initialize(self, context: DriverContext) -> None:
        """Start the driver: keep the context; subclasses call ``super()`` then do their work."""
        self._context = context

    def rebind(self, context: DriverContext) -> None:
        """Take a new context (the host's, on reload: the settings read again)."""
        self._context = context

    def reload(self) -> None:
        """Re-read configuration after SIGHUP; the default has nothing to re-read.

        The host has already given the driver a context whose ``config`` holds the
        settings read again (:meth:`rebind`).
        """

    def shutdown(self) -> None:
        """Release what the driver holds; the default holds nothing."""

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Run the operation ``name`` with keyword ``arguments`` and return its result.

        Arguments may be given by their wire names (``input-data``) or parameter names.

        Raises:
            NoSupportError: If this driver does not offer ``name``.
            CorralError: INVALID_ARG for an unknown, missing or mistyped argument;
                INTERNAL_ERROR (the cause chained) if the operation raised something
                other than a CorralError; what the operation raised otherwise.
        """
        driver = self._context.name if self._context else type(self).__name__
        operations = self.describe_operations()
        if name not in operations:
            offered = ", ".join(operations) or "none"
            raise NoSupportError(
                f"The driver '{driver}' does not support the operation '{name}' "
                f"(it offers: {offered}).",
                domain=self.error_domain, operation=name, driver=driver,
            )
        operation = operations[name]
        bound = operation.bind(arguments, driver=driver, domain=self.error_domain)
        try:
            return getattr(self, operation.method)(**bound)
        except CorralError as exc:
            self.claim(exc)
            raise
        except Exception as exc:
            raise CorralError(
                f"The operation '{name}' of the driver '{driver}' failed with "
                f"{type(exc).__name__}: {exc}",
                domain=self.error_domain, code=ErrorCode.INTERNAL_ERROR, driver=driver,
                operation=name,
            ) from exc

    def claim(self, error: CorralError) -> CorralError:
        """Give ``error`` this driver's domain if it was raised without one; return it."""
        if error.domain == ErrorDomain.NONE:
            error.domain = self.error_domain
        return error


def _by_name(operation: Operation) -> str:
    return operation.name
