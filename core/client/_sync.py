"""The blocking client: one UNIX socket, one request at a time, events kept until read.

Events that arrive while a reply is awaited are kept (the newest :data:`EVENT_BACKLOG`)
and handed to the callbacks at once, so :meth:`Client.events` sees an event even when it
came in before the reply to the command that caused it. A :class:`Client` is not
thread-safe: use one per thread, or :mod:`asyncio` and :func:`connect_async`.
"""

from __future__ import annotations

import collections
import errno
import os
import select
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from corral.core import CorralError, ErrorCode, ErrorDomain, ProtocolError
from corral.core.client._messages import (
    MAX_MESSAGE,
    Event,
    Reply,
    closed,
    decode,
    encode,
    ids,
    wire_arguments,
)
from corral.core.client._uri import Address, resolve

__all__ = ["EVENT_BACKLOG", "Client", "Subscription", "connect", "connect_failed"]

#: How many unread events a client keeps (the oldest are dropped first).
EVENT_BACKLOG = 1024

EventCallback = Callable[[Event], None]
_CHUNK = 256 * 1024


class Subscription:
    """A callback registered with :meth:`Client.subscribe`; :meth:`cancel` removes it."""

    def __init__(self, callbacks: list[tuple[EventCallback, frozenset[str] | None]],
                 entry: tuple[EventCallback, frozenset[str] | None]) -> None:
        self._callbacks, self._entry = callbacks, entry

    def cancel(self) -> None:
        """Stop calling the callback (calling it twice is harmless)."""
        if self._entry in self._callbacks:
            self._callbacks.remove(self._entry)


class Client:
    """A connection to corrald, after the QMP greeting and ``qmp_capabilities``.

    Use :func:`connect` to make one; close it with :meth:`close` or a ``with`` block.

    Attributes:
        address: Where it is connected.
        greeting: The ``QMP`` member of the daemon's greeting (version, capabilities).
    """

    def __init__(self, sock: socket.socket, address: Address,
                 closer: Callable[[], None] | None = None) -> None:
        self.address = address
        self._sock = sock
        self._closer = closer  # what else ends with the connection (an ssh to reap)
        self._buffer = bytearray()
        self._scanned = 0  # how much of the buffer holds no line end
        self._ids = ids("corral")
        self._backlog: collections.deque[Event] = collections.deque(maxlen=EVENT_BACKLOG)
        self._callbacks: list[tuple[EventCallback, frozenset[str] | None]] = []
        self.greeting: dict[str, Any] = self._greet()
        self.execute("qmp_capabilities")

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (calling it twice is harmless)."""
        self._sock.close()
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()

    def call(self, name: str, /, **arguments: Any) -> Any:
        """Run the command ``name`` and return its ``return`` value.

        Keyword names are spelt the Python way and sent QMP's way
        (``capture_output=True`` is ``"capture-output": true``).

        Raises:
            CorralError: The error the daemon raised, rebuilt as its class (an unknown
                command is a :class:`~corral.core.NoSupportError` naming it).
        """
        return self.execute(name, wire_arguments(arguments))

    def execute(self, name: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Run ``name`` with ``arguments`` exactly as given (QMP's names); see :meth:`call`."""
        request_id = next(self._ids)
        self._send(encode(name, arguments, request_id))
        names = {request_id: name, None: name}  # an error before the id was read is ours
        while True:
            message = self._read(names, waiting_for=name)
            if isinstance(message, Reply) and message.id in names:
                if message.error is not None:
                    raise message.error
                return message.value
            # a reply to nobody (an abandoned call) is dropped, as QMP clients do

    def subscribe(self, callback: EventCallback, names: list[str] | None = None
                  ) -> Subscription:
        """Call ``callback(event)`` for each event (of ``names`` only, when given).

        Callbacks run in the thread that reads the socket: inside :meth:`call`,
        :meth:`execute` or :meth:`events`. What a callback raises propagates from there.
        """
        entry = (callback, frozenset(names) if names is not None else None)
        self._callbacks.append(entry)
        return Subscription(self._callbacks, entry)

    def events(self, names: list[str] | None = None, *, timeout: float | None = None
               ) -> Iterator[Event]:
        """Yield events as they arrive (those already received first).

        Args:
            names: Only these events (others are dropped from the backlog as they pass).
            timeout: Stop after this many seconds without a matching event (None: never).
        """
        wanted = frozenset(names) if names is not None else None

        def restart() -> float | None:
            return None if timeout is None else time.monotonic() + timeout

        deadline = restart()
        while True:
            while self._backlog:
                event = self._backlog.popleft()
                if wanted is None or event.name in wanted:
                    yield event
                    deadline = restart()
            if self._read({}, waiting_for=None, deadline=deadline) is None:
                return

    def _greet(self) -> dict[str, Any]:
        message = self._read({}, waiting_for="the greeting")  # never None: no deadline
        if not isinstance(message, dict) or not isinstance(message.get("QMP"), dict):
            raise ProtocolError(f"'{self.address.socket}' did not greet with QMP.")
        greeting: dict[str, Any] = message["QMP"]
        return greeting

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise closed(None).with_message(
                f"cannot send to the daemon at '{self.address.socket}': {exc.strerror}."
            ) from None

    def _read(self, names: Mapping[Any, str], *, waiting_for: str | None,
              deadline: float | None = None) -> Reply | dict[str, Any] | None:
        """Read the next message; an event goes to the backlog and the callbacks.

        Waiting for a reply (``waiting_for`` names the command), events are read past;
        waiting for events (``waiting_for`` None), the first one returns ``{}`` and the
        ``deadline`` passing returns None.
        """
        while True:
            line = self._readline(waiting_for, deadline)
            if line is None:
                return None
            if not line.strip():
                continue
            message = decode(line, names=names)
            if not isinstance(message, Event):
                return message
            self._deliver(message)
            if waiting_for is None:
                return {}

    def _readline(self, waiting_for: str | None, deadline: float | None) -> bytes | None:
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buffer)
            if self._scanned > MAX_MESSAGE:
                raise ProtocolError(f"the daemon sent a message over {MAX_MESSAGE} bytes.")
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
                if not select.select([self._sock], [], [], remaining)[0]:
                    return None
            try:
                chunk = self._sock.recv(_CHUNK)
            except OSError as exc:
                raise closed(waiting_for).with_message(
                    f"cannot read from the daemon at '{self.address.socket}': {exc.strerror}."
                ) from None
            if not chunk:
                raise closed(waiting_for)
            self._buffer += chunk

    def _deliver(self, event: Event) -> None:
        self._backlog.append(event)
        for callback, wanted in list(self._callbacks):
            if wanted is None or event.name in wanted:
                callback(event)


def connect(
    uri: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    readonly: bool = False,
) -> Client:
    """Connect to corrald and negotiate QMP.

    Args:
        uri: ``unix:///system``, ``unix:///session``, ``unix:///system?socket=PATH``, a
            socket path, or None for ``$CORRAL_DEFAULT_URI`` or the default daemon.
        root: The daemon started with ``--root DIR``.
        readonly: Connect to the read-only socket.

    Raises:
        CorralError: INVALID_ARG for a bad URI; SYSTEM_ERROR when the daemon is not
            running (libvirt's ``Failed to connect socket to '...': ...``).
        CorralError: SYSTEM_ERROR naming the host, with ssh's own message, when an
            ``ssh://`` connection fails (see :mod:`corral.core.client._ssh`).
    """
    address = resolve(uri, root=root, readonly=readonly)
    if address.remote is not None:
        return _connect_ssh(address)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.connect(address.socket)
        return Client(sock, address)
    except OSError as exc:
        sock.close()
        raise connect_failed(address, exc) from None
    except BaseException:
        sock.close()
        raise


def _connect_ssh(address: Address) -> Client:
    from corral.core.client._ssh import GREETING_TIMEOUT, SshTunnel

    tunnel = SshTunnel(address)
    tunnel.socket.settimeout(GREETING_TIMEOUT)  # an ssh that never answers cannot hang us
    try:
        client = Client(tunnel.socket, address, closer=tunnel.close)
    except CorralError as exc:
        raise tunnel.failure(exc) from None
    except BaseException:
        tunnel.socket.close()
        tunnel.close()
        raise
    tunnel.socket.settimeout(None)
    return client


def connect_failed(address: Address, exc: OSError) -> CorralError:
    """libvirt's error for a socket that does not answer (virNetSocketNewConnectUNIX)."""
    reason = exc.strerror or str(exc)
    return CorralError(
        f"Failed to connect socket to '{address.socket}': {reason}",
        domain=ErrorDomain.RPC, code=ErrorCode.SYSTEM_ERROR, socket=address.socket,
        errno=errno.errorcode.get(exc.errno or 0),
    )
