"""The QMP messages: greeting, request, reply, error reply and event, as plain dicts.

The shapes are QEMU's (``docs/interop/qmp-spec.rst``)::

    greeting  {"QMP": {"version": {"corral": {"major", "minor", "micro"},
                                   "qemu": (the same), "package"},
                       "capabilities": [...]}}
    request   {"execute": NAME, "arguments"?: {...}, "id"?: ANY}
    success   {"return": VALUE, "id"?: ANY}
    failure   {"error": {"class", "desc", "data"?}, "id"?: ANY}
    event     {"event": NAME, "data"?: {...}, "timestamp": {"seconds", "microseconds"}}

:func:`parse_request` checks a request the way QEMU's ``qmp_dispatch_check_obj`` does,
with QEMU's messages; an error reply carries the request's ``id`` whenever the request had
one (:func:`request_id`), so a client can still match it.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Mapping, Sequence
from typing import Any

from corral.core._errors import ProtocolError

__all__ = [
    "ErrorClass",
    "Request",
    "error_message",
    "event_message",
    "execute_message",
    "greeting",
    "parse_request",
    "request_id",
    "return_message",
]

_NO_ID: Any = object()


class ErrorClass(enum.StrEnum):
    """QMP's error classes (QEMU's ``QapiErrorClass``); corral uses the first two."""

    GENERIC_ERROR = "GenericError"
    COMMAND_NOT_FOUND = "CommandNotFound"
    DEVICE_NOT_ACTIVE = "DeviceNotActive"
    DEVICE_NOT_FOUND = "DeviceNotFound"
    KVM_MISSING_CAP = "KVMMissingCap"


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """A well-formed ``execute`` request.

    Attributes:
        name: The command (``execute``).
        arguments: Its arguments (``{}`` when absent).
        id: The request's ``id``, echoed in the reply; meaningful only if ``has_id``.
        has_id: Whether the request carried an ``id`` (``null`` is an id too).
    """

    name: str
    arguments: Mapping[str, Any]
    id: Any = None
    has_id: bool = False

    def reply(self, message: dict[str, Any]) -> dict[str, Any]:
        """Return ``message`` with this request's id added when it had one."""
        if self.has_id:
            message["id"] = self.id
        return message


def greeting(version: Sequence[int], package: str = "",
             capabilities: Sequence[str] = ()) -> dict[str, Any]:
    """Return the greeting a server sends on connect.

    Args:
        version: ``(major, minor, micro)``.
        package: Free text about the build ("" when nothing to say).
        capabilities: The capabilities a client may enable with ``qmp_capabilities``.
    """
    major, minor, micro = version
    numbers = {"major": major, "minor": minor, "micro": micro}
    # "qemu" repeats them because QEMU's qmp-shell prints version.qemu on connect.
    return {"QMP": {"version": {"corral": numbers, "qemu": dict(numbers), "package": package},
                    "capabilities": list(capabilities)}}


def request_id(value: Any) -> tuple[bool, Any]:
    """Return ``(has_id, id)`` of a raw message, whatever else is wrong with it."""
    if isinstance(value, dict) and "id" in value:
        return True, value["id"]
    return False, None


def parse_request(value: Any) -> Request:
    """Check a decoded message as a QMP request and return it.

    Raises:
        ProtocolError: With QEMU's wording: not an object, an unexpected member, no
            ``execute``, ``execute`` not a string, ``arguments`` not an object, or
            ``exec-oob`` (corrald has no out-of-band command).
    """
    if not isinstance(value, dict):
        raise ProtocolError("QMP input must be a JSON object")
    for member in value:
        if member not in ("execute", "exec-oob", "arguments", "id"):
            raise ProtocolError(f"QMP input member '{member}' is unexpected",
                                member=str(member))
    if "exec-oob" in value:
        name = value["exec-oob"]
        raise ProtocolError(f"The command {name} does not support OOB"
                            if isinstance(name, str) else
                            "QMP input member 'exec-oob' must be a string")
    if "execute" not in value:
        raise ProtocolError("QMP input lacks member 'execute'")
    name = value["execute"]
    if not isinstance(name, str):
        raise ProtocolError("QMP input member 'execute' must be a string")
    arguments = value.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ProtocolError("QMP input member 'arguments' must be an object")
    has_id, id_ = request_id(value)
    return Request(name, arguments, id_, has_id)


def execute_message(name: str, arguments: Mapping[str, Any] | None = None,
                    id: Any = _NO_ID) -> dict[str, Any]:
    """Return the request a client sends (``arguments`` and ``id`` only when given)."""
    message: dict[str, Any] = {"execute": name}
    if arguments:
        message["arguments"] = dict(arguments)
    if id is not _NO_ID:
        message["id"] = id
    return message


def return_message(value: Any, id: Any = _NO_ID) -> dict[str, Any]:
    """Return a success reply: ``{"return": value}`` (``{}`` for None), with ``id``."""
    message: dict[str, Any] = {"return": {} if value is None else value}
    if id is not _NO_ID:
        message["id"] = id
    return message


def error_message(wire: Mapping[str, Any], id: Any = _NO_ID) -> dict[str, Any]:
    """Return an error reply around ``wire`` (see :func:`error_to_wire`), with ``id``."""
    message: dict[str, Any] = {"error": dict(wire)}
    if id is not _NO_ID:
        message["id"] = id
    return message


def event_message(name: str, data: Mapping[str, Any] | None = None,
                  when: float | None = None) -> dict[str, Any]:
    """Return an event with QMP's timestamp (``when``, seconds since the epoch; now by default)."""
    now = time.time() if when is None else when
    seconds = int(now)
    message: dict[str, Any] = {"event": name}
    if data is not None:
        message["data"] = dict(data)
    message["timestamp"] = {"seconds": seconds, "microseconds": int((now - seconds) * 1e6)}
    return message
