"""Moving an exec's bytes on the event loop: bounded capture of output, feeding of input.

Both work on non-blocking pipe ends watched with ``loop.add_reader``/``add_writer``: no
thread, and a child is never blocked by a full pipe (past the cap the capture keeps
reading and drops, as qemu-ga does, so ``truncated`` is true and the child runs on).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

__all__ = ["Capture", "Feeder"]

CHUNK = 64 * 1024  # a default pipe's capacity: one read empties it


class Capture:
    """Read one output pipe to EOF, keeping at most ``limit`` bytes.

    Attributes:
        data: The bytes kept.
        truncated: True once a byte was dropped for the cap.
        open: False once EOF (or an error) was read or :meth:`close` was called.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, limit: int,
                 on_eof: Callable[[], None]) -> None:
        self.data = bytearray()
        self.truncated = False
        self.open = True
        self._loop = loop
        self._fd = fd
        self._limit = limit
        self._on_eof = on_eof
        loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        try:
            chunk = os.read(self._fd, CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""  # EIO and friends: nothing more will come
        if not chunk:
            self.close()
            self._on_eof()
            return
        room = self._limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if len(chunk) > room:
            self.truncated = True

    def close(self) -> None:
        """Stop reading and close the pipe end (idempotent)."""
        if self.open:
            self.open = False
            self._loop.remove_reader(self._fd)
            os.close(self._fd)


class Feeder:
    """Write ``data`` to a child's stdin pipe, then close it (qemu-ga's input-data).

    A child that stops reading (EPIPE) or exits ends the feed: the rest is dropped,
    as the engine's set_input_buffer does.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, data: bytes) -> None:
        self.open = True
        self._loop = loop
        self._fd = fd
        self._data = memoryview(data)
        if data:
            loop.add_writer(fd, self._writable)
        else:
            self.close()

    def _writable(self) -> None:
        try:
            written = os.write(self._fd, self._data[:CHUNK])
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            written = len(self._data)  # EPIPE: the child closed stdin; drop the rest
        self._data = self._data[written:]
        if not self._data:
            self.close()

    def close(self) -> None:
        """Stop writing and close the pipe end (idempotent): the child reads EOF."""
        if self.open:
            self.open = False
            self._loop.remove_writer(self._fd)
            os.close(self._fd)
