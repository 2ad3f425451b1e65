"""The command table and the dispatcher: every call checked before anything runs.

A table maps QMP names to :class:`Entry` objects from two sources: the operations of the
running drivers (``Driver.describe_operations``) and *command providers* -- objects whose
classes mark methods with :func:`~corral.core.operation` (the daemon's own commands, the
guest-exec family). :meth:`Dispatcher.call` runs one request in this order, libvirt's and
QEMU's:

1. an unknown name is ``CommandNotFound`` ("The command X has not been found");
2. on the read-only socket, a command not tagged read-only is refused with
   OPERATION_DENIED ("operation forbidden: read only access prevents X", libvirt's words);
3. the arguments are bound and type-checked (:meth:`~corral.core.Operation.bind`):
   an unknown, missing or mistyped one is INVALID_ARG;
4. only then does it run: an ``async def`` provider method on the event loop, anything
   else (every driver operation) in the bounded worker pool.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from corral.core._errors import CorralError, ErrorCode, ErrorDomain, NoSupportError
from corral.core._operation import Operation, describe, is_operation
from corral.core.host import Host
from corral.core.protocol import ErrorClass

__all__ = ["CommandTable", "Dispatcher", "Entry", "Refused", "command_not_found"]

_log = logging.getLogger("corral.daemon")

#: QMP names that keep QEMU's underscore (``@operation`` would give them dashes).
_QMP_SPELLINGS = {"qmp-capabilities": "qmp_capabilities"}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One command.

    Attributes:
        name: Its QMP name.
        operation: Its declared arguments and read-only tag.
        provider: Who offers it: a driver's name, or a provider's (``daemon``, ``exec``).
        domain: The error domain of its errors.
        run: Called with the bound arguments; returns the result or an awaitable of it.
        on_loop: True for ``async def`` methods, awaited on the event loop.
    """

    name: str
    operation: Operation
    provider: str
    domain: str
    run: Callable[[dict[str, Any]], Any]
    on_loop: bool

    def describe(self) -> dict[str, Any]:
        """Return the command as ``query-commands`` lists it."""
        return {
            "name": self.name,
            "read-only": self.operation.read_only,
            "provider": self.provider,
            "arguments": [{"name": argument.name, "type": argument.type_name,
                           "required": argument.required}
                          for argument in self.operation.arguments],
        }


class Refused(Exception):  # noqa: N818 - not an error of its own: it carries one
    """A request refused before it ran: the error to answer with, and its QMP class.

    Attributes:
        error: What the client is told.
        qmp_class: ``CommandNotFound`` or ``GenericError``.
    """

    def __init__(self, error: CorralError, qmp_class: str = ErrorClass.GENERIC_ERROR) -> None:
        super().__init__(error.message)
        self.error, self.qmp_class = error, qmp_class


def command_not_found(name: str, why: str | None = None) -> Refused:
    """Return QMP's CommandNotFound refusal for ``name`` (QEMU's words by default)."""
    error = NoSupportError(why or f"The command {name} has not been found",
                           domain=ErrorDomain.RPC, command=name)
    return Refused(error, ErrorClass.COMMAND_NOT_FOUND)


class CommandTable:
    """The commands one kind of socket serves, by QMP name."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> Entry | None:
        """Return the command ``name``, or None."""
        return self._entries.get(name)

    def entries(self) -> list[Entry]:
        """Return every command, sorted by name."""
        return [self._entries[name] for name in sorted(self._entries)]

    def add_drivers(self, host: Host) -> None:
        """Add the operations of every driver running in ``host``.

        Raises:
            CorralError: If two commands would have the same name.
        """
        for name, driver in host.drivers.items():
            for operation in type(driver).describe_operations().values():
                self._add(Entry(operation.name, operation, name, driver.domain,
                                _driver_call(host, name, operation.name), on_loop=False))

    def add_provider(self, name: str, provider: object,
                     domain: str = ErrorDomain.DAEMON) -> None:
        """Add the ``@operation`` methods of ``provider`` under the provider name ``name``.

        Raises:
            CorralError: If two commands would have the same name.
        """
        for attribute in dir(type(provider)):
            function = getattr(type(provider), attribute, None)
            if not is_operation(function):
                continue
            assert function is not None
            operation = describe(function)
            method = getattr(provider, operation.method)
            qmp_name = _QMP_SPELLINGS.get(operation.name, operation.name)
            self._add(Entry(qmp_name, operation, name, domain,
                            _provider_call(method, qmp_name, name, domain),
                            on_loop=inspect.iscoroutinefunction(function)))

    def _add(self, entry: Entry) -> None:
        known = self._entries.get(entry.name)
        if known is not None:
            raise CorralError(
                f"The command '{entry.name}' is offered twice: by '{known.provider}' and "
                f"by '{entry.provider}'; corrald cannot start with both.",
                domain=ErrorDomain.DAEMON, code=ErrorCode.INTERNAL_ERROR, command=entry.name)
        self._entries[entry.name] = entry


def _driver_call(host: Host, driver: str, operation: str) -> Callable[[dict[str, Any]], Any]:
    def run(bound: dict[str, Any]) -> Any:
        return host.call(driver, operation, **bound)
    return run


def _provider_call(method: Callable[..., Any], command: str, provider: str,
                   domain: str) -> Callable[[dict[str, Any]], Any]:
    # A provider is not a Driver: give it Driver.call's guarantees here (a domain on its
    # errors, anything else an INTERNAL_ERROR naming the command).
    def failed(exc: Exception) -> CorralError:
        _log.error("the command %s of %s failed", command, provider, exc_info=exc)
        return CorralError(f"The command '{command}' failed with {type(exc).__name__}: {exc}",
                           domain=domain, code=ErrorCode.INTERNAL_ERROR, command=command)

    def claim(error: CorralError) -> CorralError:
        if error.domain == ErrorDomain.NONE:
            error.domain = ErrorDomain.of(domain)
        return error

    if inspect.iscoroutinefunction(method):
        async def run_async(bound: dict[str, Any]) -> Any:
            try:
                return await method(**bound)
            except CorralError as exc:
                raise claim(exc) from None
            except Exception as exc:
                raise failed(exc) from exc
        return run_async

    def run(bound: dict[str, Any]) -> Any:
        try:
            return method(**bound)
        except CorralError as exc:
            raise claim(exc) from None
        except Exception as exc:
            raise failed(exc) from exc
    return run


class Dispatcher:
    """Run requests against a table: checks on the loop, work where it belongs.

    Args:
        pool: The bounded worker pool for driver operations and plain provider methods.
    """

    def __init__(self, pool: Executor) -> None:
        self.pool = pool

    def check(self, table: CommandTable, name: str, arguments: Mapping[str, Any], *,
              read_only: bool) -> tuple[Entry, dict[str, Any]]:
        """Return the command and its bound arguments, or raise why it must not run.

        Raises:
            Refused: CommandNotFound for an unknown name; OPERATION_DENIED for a command
                that changes something, on the read-only socket.
            CorralError: INVALID_ARG for a wrong argument (nothing has run).
        """
        entry = table.get(name)
        if entry is None:
            raise command_not_found(name)
        if read_only and not entry.operation.read_only:
            raise Refused(CorralError(f"operation forbidden: read only access prevents {name}",
                                      domain=ErrorDomain.DAEMON,
                                      code=ErrorCode.OPERATION_DENIED, command=name))
        return entry, entry.operation.bind(arguments, driver=entry.provider,
                                           domain=entry.domain)

    async def run(self, entry: Entry, bound: dict[str, Any]) -> Any:
        """Run a checked command and return its result."""
        if entry.on_loop:
            return await entry.run(bound)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, entry.run, bound)

