"""The asyncio client: many commands in flight, replies matched by id, events fanned out.

One reader task reads the socket. A reply completes the future of the request with its
id (a reply to an id nobody waits for is dropped, as QMP clients do); an event goes to
every :meth:`AsyncClient.events` iterator and every callback. When the connection ends,
every pending request fails with the same error and every iterator stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from corral.core import CorralError, ProtocolError
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
from corral.core.client._sync import EVENT_BACKLOG, connect_failed
from corral.core.client._uri import Address, resolve

__all__ = ["AsyncClient", "EventStream", "connect_async"]

EventCallback = Callable[[Event], object]
_END = None  # what an iterator's queue receives when the connection ends


class AsyncClient:
    """An asyncio connection to corrald, after the greeting and ``qmp_capabilities``.

    Use :func:`connect_async` to make one; close it with :meth:`close` or ``async with``.
    Any number of tasks may call commands at once.

    Attributes:
        address: Where it is connected.
        greeting: The ``QMP`` member of the daemon's greeting.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 address: Address, closer: Callable[[], None] | None = None) -> None:
        self.address = address
        self._closer = closer  # what else ends with the connection (an ssh to reap)
        self.greeting: dict[str, Any] = {}
        self._reader, self._writer = reader, writer
        self._ids = ids("corral")
        self._pending: dict[Any, tuple[str, asyncio.Future[Any]]] = {}
        self._queues: list[tuple[asyncio.Queue[Event | None], frozenset[str] | None]] = []
        self._callbacks: list[tuple[EventCallback, frozenset[str] | None]] = []
        self._ended: CorralError | None = None
        self._task: asyncio.Task[None] | None = None

    async def _start(self) -> None:
        line = await self._readline("the greeting")
        message = decode(line, names={})
        if not isinstance(message, dict) or not isinstance(message.get("QMP"), dict):
            raise ProtocolError(f"'{self.address.socket}' did not greet with QMP.")
        self.greeting = message["QMP"]
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        await self.execute("qmp_capabilities")

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection; pending calls fail, event iterators stop."""
        self._end(closed(None).with_message("the connection was closed by the client."))
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
        closer, self._closer = self._closer, None
        if closer is not None:
            await asyncio.to_thread(closer)

    async def call(self, name: str, /, **arguments: Any) -> Any:
        """Run ``name`` and return its ``return`` value (see :meth:`Client.call`)."""
        return await self.execute(name, wire_arguments(arguments))

    async def execute(self, name: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Run ``name`` with ``arguments`` exactly as given (QMP's names)."""
        if self._ended is not None:
            raise self._ended
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (name, future)
        try:
            self._writer.write(encode(name, arguments, request_id))
            await self._writer.drain()
            return await future
        except OSError as exc:
            raise closed(name).with_message(
                f"cannot send to the daemon at '{self.address.socket}': {exc.strerror}."
            ) from None
        finally:
            self._pending.pop(request_id, None)

    def subscribe(self, callback: EventCallback, names: list[str] | None = None
                  ) -> Callable[[], None]:
        """Call ``callback(event)`` for each event (of ``names`` only); returns the undo.

        The callback runs in the reader task; what it raises goes to the loop's
        exception handler. A coroutine function's coroutine is scheduled as a task.
        """
        entry = (callback, frozenset(names) if names is not None else None)
        self._callbacks.append(entry)
        return lambda: self._callbacks.remove(entry) if entry in self._callbacks else None

    def events(self, names: list[str] | None = None) -> EventStream:
        """Return an async iterator of every event from this call on (of ``names`` only).

        It is registered at once, so an event caused by a command sent after this call
        is never missed; it ends when the connection does, or at :meth:`EventStream.close`.
        """
        return EventStream(self._queues, frozenset(names) if names is not None else None,
                           ended=self._ended is not None)

    async def _read_loop(self) -> None:
        try:
            while True:
                waiting = next(iter(self._pending.values()), ("", None))[0] or None
                line = await self._readline(waiting)
                if line.strip():
                    self._dispatch(line)
        except CorralError as exc:
            self._end(exc)

    def _dispatch(self, line: bytes) -> None:
        names = {key: name for key, (name, _) in self._pending.items()}
        message = decode(line, names=names)
        if isinstance(message, Event):
            self._deliver(message)
        elif isinstance(message, Reply):
            targets = [message.id] if message.id is not None else list(self._pending)
            for target in targets:  # an error read before its id: every pending call's
                _, future = self._pending.get(target, ("", None))
                if future is not None and not future.done():
                    if message.error is not None:
                        future.set_exception(message.error)
                    else:
                        future.set_result(message.value)

    def _deliver(self, event: Event) -> None:
        for queue, wanted in self._queues:
            if wanted is None or event.name in wanted:
                if queue.full():  # a slow reader loses the oldest, never blocks the rest
                    queue.get_nowait()
                queue.put_nowait(event)
        for callback, wanted in list(self._callbacks):
            if wanted is None or event.name in wanted:
                self._run_callback(callback, event)

    def _run_callback(self, callback: EventCallback, event: Event) -> None:
        loop = asyncio.get_running_loop()
        try:
            result = callback(event)
            if asyncio.iscoroutine(result):
                loop.create_task(result)
        except Exception as exc:  # a subscriber's bug must not stop the reader
            loop.call_exception_handler({
                "message": f"corral event callback {callback!r} failed", "exception": exc,
            })

    def _end(self, error: CorralError) -> None:
        if self._ended is not None:
            return
        self._ended = error
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        for queue, _ in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(_END)

    async def _readline(self, waiting_for: str | None) -> bytes:
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            raise closed(waiting_for) from None
        except asyncio.LimitOverrunError:
            raise ProtocolError(f"the daemon sent a message over {MAX_MESSAGE} bytes.") from None
        except OSError as exc:
            raise closed(waiting_for).with_message(
                f"cannot read from the daemon at '{self.address.socket}': {exc.strerror}."
            ) from None
        return line


class EventStream:
    """The events of one :meth:`AsyncClient.events` call, oldest first."""

    def __init__(self, queues: list[tuple[asyncio.Queue[Event | None], frozenset[str] | None]],
                 wanted: frozenset[str] | None, *, ended: bool) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(EVENT_BACKLOG)
        self._queues, self._entry = queues, (self._queue, wanted)
        if ended:
            self._queue.put_nowait(_END)
        else:
            queues.append(self._entry)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        event = await self._queue.get()
        if event is _END:
            self.close()
            self._queue.put_nowait(_END)  # a later __anext__ stops too
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        """Stop receiving events (calling it twice is harmless)."""
        if self._entry in self._queues:
            self._queues.remove(self._entry)


async def connect_async(
    uri: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    readonly: bool = False,
) -> AsyncClient:
    """Connect to corrald from asyncio and negotiate QMP (arguments as :func:`connect`)."""
    address = resolve(uri, root=root, readonly=readonly)
    if address.remote is not None:
        return await _connect_ssh(address)
    try:
        reader, writer = await asyncio.open_unix_connection(address.socket, limit=MAX_MESSAGE)
    except OSError as exc:
        raise connect_failed(address, exc) from None
    client = AsyncClient(reader, writer, address)
    try:
        await client._start()
    except BaseException:
        await client.close()
        raise
    return client


async def _connect_ssh(address: Address) -> AsyncClient:
    from corral.core.client._ssh import GREETING_TIMEOUT, SshTunnel

    tunnel = await asyncio.to_thread(SshTunnel, address)
    try:
        reader, writer = await asyncio.open_unix_connection(sock=tunnel.socket,
                                                            limit=MAX_MESSAGE)
    except BaseException:
        tunnel.socket.close()
        await asyncio.to_thread(tunnel.close)
        raise
    client = AsyncClient(reader, writer, address)
    try:
        await asyncio.wait_for(client._start(), GREETING_TIMEOUT)
    except (CorralError, TimeoutError) as exc:
        await client.close()
        cause = exc if isinstance(exc, CorralError) else closed("the greeting").with_message(
            "no greeting came.")
        raise await asyncio.to_thread(tunnel.failure, cause) from None
    except BaseException:
        await client.close()
        await asyncio.to_thread(tunnel.close)
        raise
    client._closer = tunnel.close
    return client
