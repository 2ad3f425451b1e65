"""One client connection: QMP's greeting, negotiation, requests in flight and events.

The connection is an :class:`asyncio.Protocol`: bytes arrive in :meth:`data_received`,
are cut into messages by :class:`~corral.core.protocol.MessageReader`, and each request
becomes a task. A bad message gets an error reply and the connection carries on; a
client that has ``max_client_requests`` requests in flight gets an immediate error for
the next one (never a stall); a client that stops reading while replies and events pile
up past the limit is disconnected. Requests in flight at once may be answered in any
order: clients match replies by ``id``, as QMP requires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from corral.core._errors import CorralError, ErrorCode, ErrorDomain, ProtocolError
from corral.core.daemon._dispatch import Refused, command_not_found
from corral.core.daemon._peer import Peer, peer_of
from corral.core.daemon._sockets import SocketKind
from corral.core.protocol import (
    ErrorClass,
    Frame,
    MessageReader,
    Request,
    encode,
    error_message,
    error_to_wire,
    parse_request,
    request_id,
)

if TYPE_CHECKING:
    from corral.core.daemon._server import Server

__all__ = ["CAPABILITIES", "Connection"]

#: What ``qmp_capabilities`` may enable: nothing yet (corrald has no out-of-band commands).
CAPABILITIES: tuple[str, ...] = ()

_log = logging.getLogger("corral.daemon")
_calls = logging.getLogger("corral.daemon.call")


class Connection(asyncio.Protocol):
    """A client of one of the daemon's sockets.

    Args:
        server: The server it belongs to.
        kind: Which socket it connected to.
    """

    def __init__(self, server: Server, kind: SocketKind) -> None:
        self.server = server
        self.kind = kind
        self.read_only = kind is SocketKind.READ_ONLY
        self.peer = Peer(0, -1, -1)
        self.number = 0
        self.connected_at = time.time()
        self.negotiated = False
        self.in_flight = 0
        self.closed = False
        self.transport: asyncio.Transport | None = None
        self._eof_seen = False
        self._reader = MessageReader(server.settings.max_message_bytes)

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = peer_of(transport.get_extra_info("socket"))
        refusal = self.server.admit(self)
        if refusal is not None:
            _log.warning("refused a client on %s (%s): %s", self.kind, self.peer, refusal)
            transport.write(encode(error_message(error_to_wire(refusal))))
            self.closed = True
            transport.close()
            return
        _log.info("client %d connected to %s: %s", self.number, self.kind, self.peer)
        self.send(self.server.greeting)

    def data_received(self, data: bytes) -> None:
        for frame in self._reader.feed(data):
            self._handle(frame)

    def eof_received(self) -> bool:
        for frame in self._reader.close():
            self._handle(frame)
        # A client that shut down its sending side still gets the replies it is owed: the
        # transport stays open until the last one is sent.
        self._eof_seen = True
        return self.in_flight > 0

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.forget(self)
        _log.info("client %d disconnected from %s (%d requests still running)", self.number,
                  self.kind, self.in_flight)

    # --- sending ----------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        """Send one message, unless the client has gone."""
        try:
            data = encode(message)
        except ProtocolError as exc:
            _log.error("a reply to client %d could not be encoded: %s", self.number, exc)
            error = CorralError(f"The reply could not be sent: {exc}", domain=ErrorDomain.DAEMON,
                                code=ErrorCode.INTERNAL_ERROR)
            data = encode(_with_id(error_message(error_to_wire(error)), message))
        self.send_bytes(data)

    def send_bytes(self, data: bytes) -> None:
        """Send encoded bytes; disconnect a client that has stopped reading."""
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > self.server.write_buffer_limit:
            _log.warning("client %d (%s) stopped reading: %d bytes waiting; disconnected",
                         self.number, self.peer, transport.get_write_buffer_size())
            self.closed = True
            transport.abort()
            return
        transport.write(data)

    def _send_error(self, error: CorralError, request: Request | None = None,
                    qmp_class: str = ErrorClass.GENERIC_ERROR,
                    raw: Any = None) -> None:
        message = error_message(error_to_wire(error, qmp_class))
        if request is not None:
            request.reply(message)
        else:
            has_id, id_ = request_id(raw)
            if has_id:
                message["id"] = id_
        self.send(message)

    # --- requests ---------------------------------------------------------------------------

    def _handle(self, frame: Frame) -> None:
        if frame.error is not None:
            _log.info("client %d sent a bad message: %s", self.number, frame.error)
            self._send_error(frame.error)
            return
        try:
            request = parse_request(frame.value)
        except ProtocolError as exc:
            self._send_error(exc, raw=frame.value)
            return
        if request.name == "qmp_capabilities" or not self.negotiated:
            self._negotiate(request)
            return
        limit = self.server.settings.max_client_requests
        if self.in_flight >= limit:
            self._send_error(CorralError(
                f"Too many requests in flight: this client already has {self.in_flight} "
                f"(max_client_requests = {limit}); wait for a reply before sending more.",
                domain=ErrorDomain.DAEMON, code=ErrorCode.RESOURCE_BUSY,
                limit=limit), request)
            return
        self.in_flight += 1
        self.server.track(asyncio.get_running_loop().create_task(self._execute(request)))

    def _negotiate(self, request: Request) -> None:
        if request.name != "qmp_capabilities":
            self._refuse(request, command_not_found(
                request.name, "Expecting capabilities negotiation with 'qmp_capabilities'"))
            return
        if self.negotiated:
            self._refuse(request, command_not_found(
                request.name, "Capabilities negotiation is already complete, command ignored"))
            return
        try:
            _, bound = self.server.dispatcher.check(self.server.table(self.kind), request.name,
                                                    request.arguments, read_only=False)
        except CorralError as exc:
            self._send_error(exc, request)
            return
        unknown = [name for name in bound.get("enable") or () if name not in CAPABILITIES]
        if unknown:
            self._send_error(CorralError(f"Capability '{unknown[0]}' not available",
                                         domain=ErrorDomain.RPC, code=ErrorCode.INVALID_ARG,
                                         capability=unknown[0]), request)
            return
        self.negotiated = True
        self.send(request.reply({"return": {}}))

    def _refuse(self, request: Request, refused: Refused) -> None:
        self._log_call(request, refused.error, 0.0)
        self._send_error(refused.error, request, refused.qmp_class)

    async def _execute(self, request: Request) -> None:
        started = time.perf_counter()
        error: CorralError | None = None
        try:
            entry, bound = self.server.dispatcher.check(
                self.server.table(self.kind), request.name, request.arguments,
                read_only=self.read_only)
            result = await self.server.dispatcher.run(entry, bound)
        except Refused as refused:
            error = refused.error
            self._send_error(error, request, refused.qmp_class)
        except CorralError as exc:
            error = exc
            self._send_error(exc, request)
        else:
            self.send(request.reply({"return": {} if result is None else result}))
        finally:
            self.in_flight -= 1
            self._log_call(request, error, time.perf_counter() - started)
            if self._eof_seen and not self.in_flight and self.transport is not None:
                self.transport.close()

    def _log_call(self, request: Request, error: CorralError | None, seconds: float) -> None:
        # Never the arguments: they may hold a secret.
        outcome = "ok" if error is None else f"error {error.code.name}: {error.message}"
        _calls.info("%s from %s on %s: %s (%.1f ms)", request.name, self.peer, self.kind,
                    outcome, seconds * 1000)


def _with_id(message: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    if "id" in original:
        message["id"] = original["id"]
    return message
