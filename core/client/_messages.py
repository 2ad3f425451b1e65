"""What the sync and asyncio clients share: the messages they send and how replies read.

Both clients speak the same QMP: ``{"execute", "arguments", "id"}`` out, and in one of a
reply (``return`` or ``error``, with the id it answers), an event, or the greeting.
Errors are rebuilt into the :class:`~corral.core.CorralError` subclass the daemon raised.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from corral.core import CorralError, ErrorCode, ErrorDomain, NoSupportError, ProtocolError

__all__ = [
    "MAX_MESSAGE",
    "Event",
    "Reply",
    "closed",
    "decode",
    "encode",
    "ids",
    "wire_arguments",
]

#: The longest message a client accepts (a capture of the daemon's largest output,
#: base64-encoded, fits with room to spare). QEMU's own parser stops at 64 MiB tokens.
MAX_MESSAGE = 256 * 1024 * 1024


class Event(NamedTuple):
    """One QMP event.

    Attributes:
        name: ``NETWORK_LIFECYCLE``, ``GUEST_EXEC_EXITED``...
        data: The event's ``data`` (``{}`` when it has none).
        timestamp: Seconds since the epoch when the daemon sent it (None if unknown).
    """

    name: str
    data: dict[str, Any]
    timestamp: float | None


class Reply(NamedTuple):
    """The answer to one command: its id and either the value or the error."""

    id: Any
    value: Any
    error: CorralError | None


def ids(prefix: str) -> Iterator[str]:
    """Yield request ids no other request of this connection uses."""
    return (f"{prefix}-{n}" for n in itertools.count(1))


def wire_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Spell Python keyword names as QMP's (``input_data`` -> ``input-data``)."""
    return {name.replace("_", "-"): value for name, value in arguments.items()}


def encode(name: str, arguments: Mapping[str, Any] | None, request_id: str) -> bytes:
    """Return one ``execute`` message, CRLF-terminated as QMP's are."""
    message: dict[str, Any] = {"execute": name, "id": request_id}
    if arguments:
        message["arguments"] = dict(arguments)
    return json.dumps(message, separators=(",", ":")).encode() + b"\r\n"


def decode(line: bytes, *, names: Mapping[Any, str]) -> Reply | Event | dict[str, Any]:
    """Read one message: a :class:`Reply`, an :class:`Event`, or anything else as a dict.

    Args:
        line: One message as read (its CRLF included or not).
        names: The pending requests' command names by id, so a CommandNotFound error
            can name the command.

    Raises:
        ProtocolError: When the line is not a JSON object.
    """
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"the daemon sent a message that is not JSON: {exc}.") from None
    if not isinstance(message, dict):
        raise ProtocolError("the daemon sent a message that is not a JSON object.")
    if "event" in message:
        return _event(message)
    if "return" in message:
        return Reply(message.get("id"), message["return"], None)
    if "error" in message:
        request_id = message.get("id")
        return Reply(request_id, None, _error(message["error"], names.get(request_id)))
    return message


def closed(waiting_for: str | None) -> ProtocolError:
    """The error for a connection the daemon closed (while waiting for ``waiting_for``)."""
    during = f" while waiting for the reply to '{waiting_for}'" if waiting_for else ""
    return ProtocolError(f"the daemon closed the connection{during}.")


def _event(message: dict[str, Any]) -> Event:
    stamp = message.get("timestamp")
    timestamp = None
    if isinstance(stamp, dict):
        seconds, micro = stamp.get("seconds"), stamp.get("microseconds")
        if isinstance(seconds, int) and isinstance(micro, int) and seconds >= 0:
            timestamp = seconds + micro / 1_000_000
    data = message.get("data")
    return Event(str(message["event"]), data if isinstance(data, dict) else {}, timestamp)


def _error(error: Any, command: str | None) -> CorralError:
    """Rebuild the exception an ``error`` member describes."""
    if not isinstance(error, dict):
        return ProtocolError(f"the daemon sent a malformed error: {error!r}.")
    from corral.core.protocol import error_from_wire

    rebuilt = error_from_wire(error)
    if error.get("class") == "CommandNotFound" and command not in (None, "qmp_capabilities"):
        # What a CLI verb or a script must be told: this daemon has no such command
        # (its driver is not installed or not started).
        return NoSupportError(
            f"the daemon does not offer the command '{command}' ({rebuilt.message})",
            domain=ErrorDomain.RPC, code=ErrorCode.NO_SUPPORT, command=command,
        )
    return rebuilt
