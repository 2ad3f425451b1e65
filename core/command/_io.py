"""Moving the buffers: feed stdin, drain stdout and stderr, never deadlock (virCommandProcessIO).

The common cases take a fast path: a single captured stream with no input and no
deadline is read to EOF by one C-level ``readall`` (no poll, no chunk list); input alone
is a blocking write. Anything else goes through one ``poll`` loop over non-blocking pipe
ends. A child that closes stdin early (EPIPE) is no error (libvirt test 20). With a
deadline the loop gives up when it passes, so a grandchild holding a pipe open cannot
hang the caller.
"""

from __future__ import annotations

import errno
import io
import os
import select
import time

__all__ = ["Pump"]

FIRST_READ = 64 * 1024
BIG_READ = 1024 * 1024
WRITE_CHUNK = 1024 * 1024
_DONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


class _Sink:
    """Collected chunks of one output pipe; reads grow once a read fills up."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = FIRST_READ

    def take(self, fd: int) -> bool:
        """Read once from ``fd``; return False at EOF."""
        try:
            data = os.read(fd, self.size)
        except BlockingIOError:
            return True
        if not data:
            return False
        if len(data) == self.size:
            self.size = BIG_READ
        self.chunks.append(data)
        return True

    def take_all(self, fd: int) -> None:
        """Read ``fd`` to EOF with blocking reads and no poll.

        FileIO.readall grows one bytes object in place (realloc, which the kernel does by
        remapping for big buffers), so the data is written into memory once and never
        joined: the cheapest way to capture a large output from Python.
        """
        os.set_blocking(fd, True)
        with io.FileIO(fd, closefd=False) as pipe:
            self.chunks.append(pipe.readall())

    def value(self) -> bytes:
        """Return everything read, joined once (no copy at all for a single chunk).

        Later calls (the result, then the monitor's outcome) get the same bytes instead
        of another copy of a large output.
        """
        if len(self.chunks) != 1:
            self.chunks = [b"".join(self.chunks)]
        return self.chunks[0]


class Pump:
    """The I/O state of one child; :meth:`run` may be called again after a deadline.

    The input pipe's write end is closed here as soon as the input is written (or the
    child stopped reading), so the child sees EOF; the caller closes the output ends.

    Args:
        stdin: The write end of the child's stdin and the bytes for it, or None.
        stdout: The read end of the child's stdout, or None.
        stderr: The read end of the child's stderr, or None.
    """

    def __init__(self, stdin: tuple[int, bytes] | None, stdout: int | None, stderr: int | None):
        self._sinks = {fd: _Sink() for fd in (stdout, stderr) if fd is not None}
        self._stdout, self._stderr = stdout, stderr
        self._feeder = _Feeder(stdin)
        self._open = set(self._sinks) | self._feeder.fds

    @property
    def stdout(self) -> bytes | None:
        """What was read from stdout so far (None when it is not captured)."""
        return None if self._stdout is None else self._sinks[self._stdout].value()

    @property
    def stderr(self) -> bytes | None:
        """What was read from stderr so far (None when it is not captured)."""
        return None if self._stderr is None else self._sinks[self._stderr].value()

    def run(self, deadline: float | None = None) -> bool:
        """Move data until EOF on every pipe; return False if ``deadline`` passed first."""
        try:
            if deadline is None and not self._feeder.fds and len(self._open) == 1:
                (fd,) = self._open
                self._sinks[fd].take_all(fd)
                self._open.clear()
            elif deadline is None and self._open == self._feeder.fds and self._open:
                self._feeder.write_all()
                self._open.clear()
            else:
                return self._poll_loop(deadline)
            return True
        finally:
            if not self._open:
                self._feeder.close()

    def close(self) -> None:
        """Close the input pipe if it is still open (abandoning the rest of the input)."""
        self._feeder.close()

    def _poll_loop(self, deadline: float | None) -> bool:
        poller = select.poll()
        for fd in self._open:
            os.set_blocking(fd, False)
            poller.register(fd, select.POLLOUT if fd in self._feeder.fds else select.POLLIN)
        while self._open:
            timeout = None
            if deadline is not None:
                timeout = (deadline - time.monotonic()) * 1000
                if timeout <= 0:
                    return False
            for fd, mask in poller.poll(timeout):
                sink = self._sinks.get(fd)
                finished = not sink.take(fd) if sink else self._feeder.feed(mask)
                if finished:
                    poller.unregister(fd)
                    self._open.discard(fd)
                    self._feeder.close_if(fd)
        return True


class _Feeder:
    """The input side of the poll loop: writes what the pipe takes, closes it when done."""

    def __init__(self, stdin: tuple[int, bytes] | None) -> None:
        self.fd = stdin[0] if stdin else -1
        self.pending = memoryview(stdin[1] if stdin else b"")
        self.fds = {self.fd} if stdin else set()

    def write_all(self) -> None:
        """Write all the input with blocking writes (no output to drain meanwhile)."""
        os.set_blocking(self.fd, True)
        try:
            while self.pending:
                self.pending = self.pending[os.write(self.fd, self.pending[:WRITE_CHUNK]) :]
        except BrokenPipeError:
            pass  # the child stopped reading: libvirt ignores EPIPE on stdin

    def feed(self, mask: int) -> bool:
        """Write what the pipe takes now; return True when the input is finished."""
        if not mask & select.POLLOUT or not self.pending:
            return not self.pending or bool(mask & _DONE)
        try:
            self.pending = self.pending[os.write(self.fd, self.pending[:WRITE_CHUNK]) :]
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            return True  # the child closed stdin early: not an error
        return not self.pending

    def close_if(self, fd: int) -> None:
        """Close the input pipe if ``fd`` is it (the child then sees EOF)."""
        if fd == self.fd:
            self.close()

    def close(self) -> None:
        """Close the input pipe once."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self.fds = set()
