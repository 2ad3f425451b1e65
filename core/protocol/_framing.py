"""QMP framing: a reader that cuts any JSON stream into messages, and the writer's encoding.

QMP puts no framing around its messages: a peer may send objects back to back, with or
without newlines, one object over many reads or many objects in one. :class:`MessageReader`
finds where each top-level value ends by following the brackets and strings (as QEMU's
``json-streamer`` does) and only then decodes it, so a bad message costs only itself:

- a message that is not valid JSON, or not UTF-8, is a :class:`Frame` carrying a
  :class:`~corral.core.ProtocolError` ("JSON parse error, ...") and the next one is read;
- a message longer than ``max_message_bytes``, or nested deeper than ``max_depth``, is
  reported once and then skipped to its end without being held in memory;
- a control character (other than tab, CR and LF) or the byte 0xFF outside a string
  resets the reader, QMP's recovery rule: the cut message is reported, and a peer that
  sends one between messages to resynchronise gets nothing back.

:func:`encode` is the writing side: one JSON object, ASCII only, ending in CRLF.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from corral.core._errors import ErrorCode, ProtocolError

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "MAX_DEPTH", "Frame", "MessageReader", "encode"]

#: libvirt's limit on one RPC message (VIR_NET_MESSAGE_MAX); corrald.conf can change it.
DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024

#: Deepest nesting accepted. QEMU allows 1024; Python's decoder recurses once per level and
#: would hit the interpreter's recursion limit near 1000, so corral stops well before.
MAX_DEPTH = 256

_WHITESPACE = b" \t\r\n"
# Bytes that reset the reader: C0 controls other than tab, LF and CR, and 0xFF.
_RESET = rb"\x00-\x08\x0b\x0c\x0e-\x1f\xff"
_IN_VALUE = re.compile(rb'[\[\]{}"' + _RESET + rb"]")
_IN_STRING = re.compile(rb'["\\' + _RESET + rb"]")
_SCALAR_END = re.compile(rb'[ \t\r\n\[\]{}"' + _RESET + rb"]")
_RESET_BYTE = re.compile(rb"[" + _RESET + rb"]")


@dataclasses.dataclass(frozen=True, slots=True)
class Frame:
    """One message cut from the stream: its decoded value, or why it could not be read.

    Attributes:
        value: The decoded JSON value (any JSON type; None when ``error`` is set).
        error: The problem with this message, or None.
    """

    value: Any = None
    error: ProtocolError | None = None


def _parse_error(why: str, **detail: Any) -> ProtocolError:
    return ProtocolError(f"JSON parse error, {why}", code=ErrorCode.RPC, **detail)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"'{name}' is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


class MessageReader:
    """Cut a byte stream into JSON messages; feed it what the socket gives.

    Args:
        max_message_bytes: The longest message accepted, in bytes; None for no limit (a
            client reading a trusted daemon's replies).
        max_depth: The deepest nesting accepted.
    """

    def __init__(self, max_message_bytes: int | None = DEFAULT_MAX_MESSAGE_BYTES,
                 max_depth: int = MAX_DEPTH) -> None:
        self.max_message_bytes = max_message_bytes
        self.max_depth = max_depth
        self._buffer = bytearray()  # the current message from its first byte (or, while
        self._position = 0          # skipping, only what is still to scan)
        self._depth = 0
        self._in_string = False
        self._scalar = False        # a bare top-level token (a number, true, garbage)
        self._skipping = False      # an oversized message being skipped to its end
        self._skipped = 0           # bytes of it dropped so far
        self._frames: list[Frame] = []

    @property
    def pending(self) -> bool:
        """True while part of a message has been read and its end has not."""
        return self._in_message

    @property
    def _in_message(self) -> bool:
        return self._depth > 0 or self._in_string or self._scalar or self._skipping

    def feed(self, data: bytes) -> list[Frame]:
        """Add ``data`` and return every message it completed, in order."""
        self._buffer += data
        self._scan()
        if self._skipping:
            self._skipped += self._position
            del self._buffer[:self._position]
            self._position = 0
        else:
            self._check_size()
        frames, self._frames = self._frames, []
        return frames

    def close(self) -> list[Frame]:
        """End the stream: a message cut short by the end becomes an error frame."""
        if self._scalar:
            self._finish(len(self._buffer))
        elif self._in_message:
            size = self._skipped + len(self._buffer)
            self._reset()
            self._frames.append(Frame(error=_parse_error(
                f"the stream ended inside a message ({size} bytes read)", size=size)))
        frames, self._frames = self._frames, []
        return frames

    # --- scanning ---------------------------------------------------------------------

    def _scan(self) -> None:
        buffer = self._buffer
        while self._position < len(buffer):
            if self._in_string:
                self._scan_string()
            elif self._scalar:
                self._scan_scalar()
            elif self._depth:
                self._scan_value()
            else:
                self._scan_between()
            if self._position < 0:  # the scanner needs more bytes
                self._position = len(self._buffer) + self._position
                return

    def _scan_between(self) -> None:
        buffer, position = self._buffer, self._position
        while position < len(buffer) and buffer[position] in _WHITESPACE:
            position += 1
        # Whatever preceded the message is gone; the message now starts the buffer.
        del buffer[:position]
        self._position = 0
        if not buffer:
            return
        first = buffer[0]
        if _RESET_BYTE.match(buffer, 0):
            del buffer[:1]  # resynchronisation between messages: nothing to report
        elif first in b"{[":
            self._depth, self._position = 1, 1
        elif first == ord('"'):
            self._in_string, self._position = True, 1
        elif first in b"}]":
            del buffer[:1]
            self._frames.append(Frame(error=_parse_error(f"stray '{chr(first)}'")))
        else:
            self._scalar = True

    def _scan_value(self) -> None:
        match = _IN_VALUE.search(self._buffer, self._position)
        if match is None:
            self._position = len(self._buffer)
            return
        char, end = match.group()[0], match.end()
        if char == ord('"'):
            self._in_string, self._position = True, end
        elif char in b"{[":
            self._depth += 1
            self._position = end
            if self._depth > self.max_depth and not self._skipping:
                self._start_skipping(f"nesting deeper than {self.max_depth} levels")
        elif char in b"}]":
            self._depth -= 1
            self._position = end
            if not self._depth and not self._in_string:
                self._finish(end)
        else:
            self._cut(end)

    def _scan_string(self) -> None:
        match = _IN_STRING.search(self._buffer, self._position)
        if match is None:
            self._position = len(self._buffer)
            return
        char, end = match.group()[0], match.end()
        if char == ord("\\"):
            if end >= len(self._buffer):
                self._position = -1  # the escaped byte has not arrived: look again later
                return
            self._position = end + 1
        elif char == ord('"'):
            self._in_string, self._position = False, end
            if not self._depth:
                self._finish(end)  # a top-level string: a complete (non-object) value
        else:
            self._cut(end)

    def _scan_scalar(self) -> None:
        match = _SCALAR_END.search(self._buffer, self._position)
        if match is None:
            self._position = len(self._buffer)  # the token may go on in the next read
            return
        self._finish(match.start())

    # --- ends of messages ---------------------------------------------------------------

    def _finish(self, end: int) -> None:
        """The message occupying ``buffer[:end]`` is complete: decode or report it."""
        skipping = self._skipping
        raw = bytes(self._buffer[:end])
        del self._buffer[:end]
        self._reset()
        if skipping:
            return  # reported when it grew too large
        if self.max_message_bytes is not None and len(raw) > self.max_message_bytes:
            self._frames.append(Frame(error=self._too_large(len(raw))))
            return
        self._frames.append(self._decode(raw))

    def _cut(self, end: int) -> None:
        """A reset byte inside a message: drop the message through it, say so."""
        skipping = self._skipping
        del self._buffer[:end]
        self._reset()
        if not skipping:
            self._frames.append(Frame(error=_parse_error(
                "a control character cut the message short")))

    def _reset(self) -> None:
        self._position = self._depth = self._skipped = 0
        self._in_string = self._scalar = self._skipping = False

    def _check_size(self) -> None:
        limit = self.max_message_bytes
        if limit is not None and self._in_message and len(self._buffer) > limit:
            self._start_skipping(None)
            self._skipped += self._position
            del self._buffer[:self._position]
            self._position = 0

    def _start_skipping(self, why: str | None) -> None:
        self._skipping = True
        size = self._skipped + len(self._buffer)
        error = self._too_large(size) if why is None else ProtocolError(
            f"The message is refused: {why}.", code=ErrorCode.RPC, limit=self.max_depth)
        self._frames.append(Frame(error=error))

    def _too_large(self, size: int) -> ProtocolError:
        return ProtocolError(
            f"The message is larger than the limit of {self.max_message_bytes} bytes "
            f"(at least {size} bytes); it was skipped.",
            code=ErrorCode.RPC, limit=self.max_message_bytes, size=size)

    @staticmethod
    def _decode(raw: bytes) -> Frame:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Frame(error=_parse_error(f"the message is not UTF-8 (byte {exc.start})"))
        try:
            return Frame(value=json.loads(text, parse_constant=_refuse_constant,
                                          parse_float=_finite_float))
        except RecursionError:
            return Frame(error=_parse_error("the message is nested too deeply"))
        except ValueError as exc:  # JSONDecodeError, NaN, an integer of 4300+ digits
            return Frame(error=_parse_error(str(exc)))


def encode(message: Mapping[str, Any]) -> bytes:
    """Return ``message`` as QMP sends it: one JSON object in ASCII, ending in CRLF.

    Raises:
        ProtocolError: INTERNAL_ERROR if the message holds something JSON cannot carry
            (a ``bytes``, a ``set``, NaN).
    """
    try:
        text = json.dumps(message, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"The message cannot be sent as JSON: {exc}.",
                            code=ErrorCode.INTERNAL_ERROR) from exc
    return text.encode("ascii") + b"\r\n"
