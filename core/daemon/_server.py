"""The server: listening sockets, the connected clients, their limits and the event feed.

Clients of the read-write and read-only sockets count against ``max_clients``, those of
the admin socket against ``admin_max_clients``; one too many is told why in an error
message and disconnected at once. Events (:meth:`Server.emit`, callable from any thread)
are encoded once and written to every client that has negotiated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from corral.core.daemon._config import DaemonSettings
from corral.core.daemon._connection import CAPABILITIES, Connection
from corral.core.daemon._dispatch import CommandTable, Dispatcher
from corral.core.daemon._sockets import Listener, SocketKind
from corral.core.protocol import encode, event_message, greeting

__all__ = ["Server"]

_log = logging.getLogger("corral.daemon")


class Server:
    """Serve the command tables on the listeners.

    Args:
        settings: The limits (replaced on reload through :attr:`settings`).
        dispatcher: Runs the requests.
        tables: The commands of each kind of socket.
        version: corral's ``(major, minor, micro)`` for the greeting.
    """

    def __init__(self, settings: DaemonSettings, dispatcher: Dispatcher,
                 tables: Mapping[SocketKind, CommandTable], version: tuple[int, int, int]) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.tables = dict(tables)
        self.greeting = greeting(version, capabilities=CAPABILITIES)
        self.connections: set[Connection] = set()
        self.started_at = time.time()
        self._tasks: set[asyncio.Task[None]] = set()
        self._servers: list[asyncio.Server] = []
        self._numbers = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle_since: float | None = time.monotonic()
        self._events: list[bytes] = []  # encoded, waiting for this turn's flush

    def table(self, kind: SocketKind) -> CommandTable:
        """Return the commands the socket ``kind`` serves (read-only shares read-write's)."""
        return self.tables[SocketKind.READ_WRITE if kind is SocketKind.READ_ONLY else kind]

    @property
    def write_buffer_limit(self) -> int:
        """Bytes waiting for a client past which it is taken to have stopped reading."""
        return 2 * self.settings.max_message_bytes + (1 << 20)

    async def start(self, listeners: list[Listener]) -> None:
        """Accept clients on every listener."""
        self._loop = asyncio.get_running_loop()
        for listener in listeners:
            kind = listener.kind
            server = await self._loop.create_unix_server(
                lambda kind=kind: Connection(self, kind), sock=listener.sock)  # type: ignore[misc]
            self._servers.append(server)

    # --- clients ----------------------------------------------------------------------------

    def admit(self, connection: Connection) -> CorralError | None:
        """Register ``connection``, or return why it is refused (a limit is reached)."""
        admin = connection.kind is SocketKind.ADMIN
        limit = self.settings.admin_max_clients if admin else self.settings.max_clients
        key = "admin_max_clients" if admin else "max_clients"
        count = sum((c.kind is SocketKind.ADMIN) == admin for c in self.connections)
        if count >= limit:
            return CorralError(
                f"Too many clients: {count} are connected ({key} = {limit}); try again later.",
                domain=ErrorDomain.DAEMON, code=ErrorCode.RESOURCE_BUSY, limit=limit)
        self._numbers += 1
        connection.number = self._numbers
        self.connections.add(connection)
        self._idle_since = None
        return None

    def forget(self, connection: Connection) -> None:
        """Drop a connection that has gone."""
        self.connections.discard(connection)
        self._update_idle()

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep a request's task until it is done (its client may leave first)."""
        self._tasks.add(task)
        self._idle_since = None
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._update_idle()
        if not task.cancelled() and task.exception() is not None:
            _log.error("a request failed unexpectedly", exc_info=task.exception())

    def _update_idle(self) -> None:
        if not self.connections and not self._tasks and self._idle_since is None:
            self._idle_since = time.monotonic()

    def idle_for(self) -> float:
        """Seconds with no client connected and no request running (0 while busy)."""
        return 0.0 if self._idle_since is None else time.monotonic() - self._idle_since

    # --- events -----------------------------------------------------------------------------

    def emit(self, name: str, data: Mapping[str, Any] | None = None) -> None:
        """Send the event ``name`` to every negotiated client; safe from any thread."""
        message = encode(event_message(name, data))
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody to tell
            loop.call_soon_threadsafe(self._broadcast, message)

    def _broadcast(self, message: bytes) -> None:
        # The events of one turn of the loop (many children exiting at once) go out as one
        # write per client, not one per event and client. The flush is scheduled with the
        # first of them, so it runs before the request steps scheduled after it: a reply
        # computed after an event still follows it on the wire.
        self._events.append(message)
        if len(self._events) == 1:
            assert self._loop is not None
            self._loop.call_soon(self._flush_events)

    def _flush_events(self) -> None:
        data = b"".join(self._events)
        self._events.clear()
        for connection in list(self.connections):
            if connection.negotiated:
                connection.send_bytes(data)

    # --- shutting down ------------------------------------------------------------------------

    async def close(self, grace: float) -> None:
        """Stop accepting, disconnect every client, wait up to ``grace`` s for running requests."""
        for server in self._servers:
            server.close()
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.close()
        if self._tasks:
            _log.info("waiting for %d running requests", len(self._tasks))
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            if pending:
                _log.warning("%d requests still running after %.0f s; not waiting",
                             len(pending), grace)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1)

    @property
    def busy(self) -> int:
        """Requests still running."""
        return len(self._tasks)
