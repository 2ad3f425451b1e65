"""guest-pipe-open handles: pipe pairs a host end of which the client reads or writes.

The seed's design (Virtuozzo, 2014): ``guest-pipe-open {mode}`` makes a pipe and returns a
handle; ``guest-exec`` hands the other end to the child as its stdin (mode ``w``: the
client writes) or its stdout/stderr (mode ``r``: the client reads), and the client moves
the bytes with qemu-ga's ``guest-file-read``/``-write``/``-close``. Handles count from
1000, as qemu-ga's file handles do, and belong to the daemon, not to a connection.
Both ends are non-blocking on our side, so no call can hang the event loop: a read with
nothing available returns 0 bytes, a write into a full pipe writes 0.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from typing import Any, Literal

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from corral.core.daemon.exec._errors import (
    busy,
    invalid_arg,
    invalid_operation,
    no_such_handle,
)

__all__ = ["FIRST_HANDLE", "READ_COUNT_DEFAULT", "READ_COUNT_MAX", "Pipe", "PipeTable",
           "decode_b64"]

FIRST_HANDLE = 1000
READ_COUNT_DEFAULT = 4096  # qemu-ga's QGA_READ_COUNT_DEFAULT
READ_COUNT_MAX = 48 * 1024 * 1024  # qemu-ga's cap: 48 MiB + base64 fits its 64 MiB token limit

PipeMode = Literal["r", "w"]


def decode_b64(text: str, argument: str) -> bytes:
    """Decode strict base64 (qemu-ga refuses bad base64 before anything happens).

    Raises:
        CorralError: INVALID_ARG naming the argument (never quoting the value).
    """
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_arg(f"The argument '{argument}' is not valid base64.", argument) from None


@dataclasses.dataclass
class Pipe:
    """One pipe pair behind a handle.

    Attributes:
        handle: Its number.
        mode: ``r`` (the client reads what a child writes) or ``w`` (the client writes
            what a child reads).
        host_fd: Our end, non-blocking: read by guest-file-read or written by
            guest-file-write.
        child_fd: The end for a child, until guest-exec hands it over (then None).
        pid: The exec it was handed to, or None.
    """

    handle: int
    mode: PipeMode
    host_fd: int
    child_fd: int | None
    pid: int | None = None

    def close(self) -> None:
        """Close both ends we still hold."""
        os.close(self.host_fd)
        if self.child_fd is not None:
            os.close(self.child_fd)
            self.child_fd = None


class PipeTable:
    """The open pipe handles, at most ``limit`` of them."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._pipes: dict[int, Pipe] = {}
        self._next = FIRST_HANDLE

    def __len__(self) -> int:
        return len(self._pipes)

    def open(self, mode: str) -> int:
        """Make a pipe pair and return its handle.

        Raises:
            CorralError: INVALID_ARG for a mode other than ``r``/``w``; RESOURCE_BUSY when
                ``limit`` handles are open.
        """
        if mode not in ("r", "w"):
            raise invalid_arg(f"The pipe mode must be 'r' or 'w', not {mode!r}.", "mode")
        if len(self._pipes) >= self._limit:
            raise busy(f"{self._limit} pipe handles are open (exec_max_pipes); close one "
                       "with guest-file-close first.", limit=self._limit)
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        host_fd, child_fd = (read_end, write_end) if mode == "r" else (write_end, read_end)
        os.set_blocking(host_fd, False)
        handle = self._next
        self._next += 1
        self._pipes[handle] = Pipe(handle, "r" if mode == "r" else "w", host_fd, child_fd)
        return handle

    def get(self, handle: int) -> Pipe:
        """Return the pipe of ``handle``.

        Raises:
            CorralError: INVALID_ARG when no such handle is open.
        """
        pipe = self._pipes.get(handle)
        if pipe is None:
            raise no_such_handle(handle)
        return pipe

    def for_child(self, handle: int, stream: str, mode: PipeMode) -> Pipe:
        """Return the pipe ``handle`` for a child's ``stream``, checking it may serve it.

        Raises:
            CorralError: INVALID_ARG for an unknown handle or the wrong mode;
                OPERATION_INVALID when its child end went to another exec already.
        """
        pipe = self.get(handle)
        argument = f"handle-{stream}"
        if pipe.mode != mode:
            wanted = "'w' (the client writes)" if mode == "w" else "'r' (the client reads)"
            raise invalid_arg(f"The pipe handle {handle} given as {argument} was opened with "
                              f"mode '{pipe.mode}'; {stream} needs mode {wanted}.", argument,
                              handle=handle)
        if pipe.child_fd is None:
            raise invalid_operation(f"The pipe handle {handle} given as {argument} is already "
                                    f"attached to the exec with pid {pipe.pid}.",
                                    handle=handle, pid=pipe.pid)
        return pipe

    def read(self, handle: int, count: int | None) -> dict[str, Any]:
        """guest-file-read on a pipe: up to ``count`` bytes that are there now.

        Returns:
            qemu-ga's GuestFileRead: ``{count, buf-b64, eof}``; eof once every writer
            closed its end and everything was read.
        """
        wanted = READ_COUNT_DEFAULT if count is None else count
        if not 0 <= wanted <= READ_COUNT_MAX:
            raise invalid_arg(f"The count {wanted} is out of range (0 to {READ_COUNT_MAX}).",
                              "count")
        pipe = self.get(handle)
        if pipe.mode != "r":
            raise invalid_operation(f"The pipe handle {handle} is open for writing (mode 'w'); "
                                    "guest-file-write it.", handle=handle)
        data = bytearray()
        eof = False
        while len(data) < wanted:
            try:
                chunk = os.read(pipe.host_fd, wanted - len(data))
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                raise _io_failed("read from", handle, exc) from exc
            if not chunk:
                eof = True
                break
            data += chunk
        return {"count": len(data), "buf-b64": base64.b64encode(data).decode("ascii"),
                "eof": eof}

    def write(self, handle: int, buf_b64: str, count: int | None) -> dict[str, Any]:
        """guest-file-write on a pipe: as much of the data as the pipe takes now.

        Returns:
            qemu-ga's GuestFileWrite: ``{count, eof}`` (count written, after decoding;
            fewer than given, even 0, when the pipe is full).

        Raises:
            CorralError: OPERATION_FAILED when the reading end is closed (the child
                exited or closed its stdin).
        """
        data = decode_b64(buf_b64, "buf-b64")
        wanted = len(data) if count is None else count
        if not 0 <= wanted <= len(data):
            raise invalid_arg(f"The count {wanted} is out of range (0 to {len(data)}, the "
                              "decoded length).", "count")
        pipe = self.get(handle)
        if pipe.mode != "w":
            raise invalid_operation(f"The pipe handle {handle} is open for reading (mode 'r'); "
                                    "guest-file-read it.", handle=handle)
        view = memoryview(data)[:wanted]
        written = 0
        while written < wanted:
            try:
                written += os.write(pipe.host_fd, view[written:])
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                raise _io_failed("write to", handle, exc) from exc
        return {"count": written, "eof": False}

    def close(self, handle: int) -> None:
        """guest-file-close: close both ends still held; the handle is gone."""
        self.get(handle)
        self._pipes.pop(handle).close()

    def close_all(self) -> None:
        """Close every pipe (the daemon shuts down)."""
        for pipe in self._pipes.values():
            pipe.close()
        self._pipes.clear()


def _io_failed(what: str, handle: int, exc: OSError) -> CorralError:
    return CorralError(f"Cannot {what} the pipe handle {handle}: {exc.strerror}.",
                       domain=ErrorDomain.DAEMON, code=ErrorCode.OPERATION_FAILED,
                       handle=handle, errno=exc.errno)
