"""corral.core.protocol: QMP framing, messages and the error wire form, with no I/O.

What corrald and every client share, and nothing else: it imports only the error layer,
so a command-line client pays for no XML, plugin or host machinery.

- :class:`MessageReader` cuts any JSON stream (objects back to back, with or without
  newlines, split across reads) into :class:`Frame` objects, enforcing a size cap;
  :func:`encode` writes one message in ASCII ending in CRLF.
- :func:`greeting`, :func:`parse_request`, :func:`execute_message`,
  :func:`return_message`, :func:`error_message`, :func:`event_message` build and check
  QMP's message shapes; :class:`ErrorClass` is QMP's error classes.
- :func:`error_to_wire` / :func:`error_from_wire` carry a
  :class:`~corral.core.CorralError` across the socket as
  ``{"class", "desc", "data": {"domain", "code", ...}}`` and rebuild the same class.

``docs/daemon-protocol.md`` is the protocol's reference.
"""

from corral.core.protocol._framing import (
    DEFAULT_MAX_MESSAGE_BYTES,
    MAX_DEPTH,
    Frame,
    MessageReader,
    encode,
)
from corral.core.protocol._messages import (
    ErrorClass,
    Request,
    error_message,
    event_message,
    execute_message,
    greeting,
    parse_request,
    request_id,
    return_message,
)
from corral.core.protocol._wire import CLASS_KEY, error_from_wire, error_to_wire

__all__ = [
    "CLASS_KEY",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "MAX_DEPTH",
    "ErrorClass",
    "Frame",
    "MessageReader",
    "Request",
    "encode",
    "error_from_wire",
    "error_message",
    "error_to_wire",
    "event_message",
    "execute_message",
    "greeting",
    "parse_request",
    "request_id",
    "return_message",
]
