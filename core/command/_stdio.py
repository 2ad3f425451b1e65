"""Stdio and descriptors: pass_fd, set_*_fd and the string buffers (virCommandSet*FD/Buffer).

Defaults: stdin, stdout and stderr are ``/dev/null`` and every other descriptor is closed
in the child. Each stream has one source or sink: a caller fd, ``PIPE``, or a buffer run()
fills; naming a second one is a deferred error, as in libvirt.
"""

from __future__ import annotations

from typing import Self

from corral.core.command._spec import PIPE, Builder, is_count, type_name

__all__ = ["StdioMixin"]


def _fd_or_pipe(value: object) -> bool:
    return value == PIPE or is_count(value)


class StdioMixin(Builder):
    """The descriptor and buffer setters of :class:`~corral.core.Command`."""

    def pass_fd(self, fd: int, close_parent: bool = False) -> Self:
        """Keep ``fd`` open, under the same number, in the child.

        Args:
            fd: A descriptor of this process (3 or above; stdio has its own setters).
            close_parent: Close it in this process once the child is started (or when the
                command is closed without running).

        Returns:
            This command, so calls chain.
        """
        if not is_count(fd) or fd < 3:
            self._fail(f"pass_fd() needs a descriptor number of 3 or more, not {fd!r}")
        else:
            self._spec.pass_fds[fd] = bool(close_parent) or self._spec.pass_fds.get(fd, False)
        return self

    def set_input_fd(self, fd: int) -> Self:
        """Connect the child's stdin to ``fd`` (the caller keeps owning it).

        Args:
            fd: An open descriptor.

        Returns:
            This command, so calls chain.
        """
        if self._spec.input_fd is not None or self._spec.input_data is not None:
            self._fail("the input is specified twice")
        elif not is_count(fd):
            self._fail(f"input fd {fd!r} is not a descriptor number")
        else:
            self._spec.input_fd = fd
        return self

    def set_output_fd(self, fd: int) -> Self:
        """Connect the child's stdout to ``fd``, or to a new pipe with ``PIPE``.

        With ``PIPE`` the parent's read end is :attr:`output_fd` after the start; the
        caller owns it.

        Args:
            fd: An open descriptor or ``PIPE``.

        Returns:
            This command, so calls chain.
        """
        if self._spec.output_fd is not None or self._spec.output_buffer:
            self._fail("the output is specified twice")
        elif not _fd_or_pipe(fd):
            self._fail(f"output fd {fd!r} is neither a descriptor number nor PIPE")
        else:
            self._spec.output_fd = fd
        return self

    def set_error_fd(self, fd: int, merge: bool = False) -> Self:
        """Connect the child's stderr to ``fd``, to a new pipe (``PIPE``) or to stdout.

        Args:
            fd: An open descriptor or ``PIPE``.
            merge: Send stderr wherever stdout goes (with ``set_output_fd(PIPE)``: one
                shared pipe, so :attr:`error_fd` is :attr:`output_fd`).

        Returns:
            This command, so calls chain.
        """
        spec = self._spec
        if spec.error_fd is not None or spec.error_buffer or spec.error_to_output:
            self._fail("the error output is specified twice")
        elif not _fd_or_pipe(fd):
            self._fail(f"error fd {fd!r} is neither a descriptor number nor PIPE")
        else:
            self._spec.error_fd = fd
            self._spec.error_to_output = bool(merge)
        return self

    def set_nonblocking_fds(self) -> Self:
        """Make the parent's ends of ``PIPE`` pipes non-blocking.

        Returns:
            This command, so calls chain.
        """
        self._spec.nonblocking = True
        return self

    def set_input_buffer(self, data: str | bytes) -> Self:
        """Feed ``data`` to the child's stdin (str is encoded as UTF-8); kept across runs.

        Args:
            data: The input.

        Returns:
            This command, so calls chain.
        """
        value: object = data  # validated at run time: callers may pass anything
        if self._spec.input_fd is not None:
            self._fail("the input is specified twice")
        elif isinstance(value, str):
            self._spec.input_data = value.encode("utf-8", "surrogateescape")
        elif isinstance(value, bytes | bytearray | memoryview):
            self._spec.input_data = bytes(value)
        else:
            self._fail(f"input buffer has type {type_name(value)}; expected str or bytes")
        return self

    def set_output_buffer(self, binary: bool = False) -> Self:
        """Capture the child's stdout into ``result.stdout``.

        Args:
            binary: Give ``bytes`` instead of ``str`` (UTF-8, surrogateescape).

        Returns:
            This command, so calls chain.
        """
        if self._spec.output_fd is not None:
            self._fail("the output is specified twice")
        else:
            self._spec.output_buffer = True
            self._spec.output_binary = bool(binary)
        return self

    def set_error_buffer(self, binary: bool = False, merge: bool = False) -> Self:
        """Capture the child's stderr into ``result.stderr``, or into stdout's buffer.

        Args:
            binary: Give ``bytes`` instead of ``str``.
            merge: Interleave stderr into the stdout buffer (which this turns on);
                ``result.stderr`` is then None.

        Returns:
            This command, so calls chain.
        """
        if self._spec.error_fd is not None:
            self._fail("the error output is specified twice")
        elif merge:
            if not self._spec.output_buffer:
                self.set_output_buffer(binary=binary)
            self._spec.error_to_output = True
            self._spec.error_buffer = False
        else:
            self._spec.error_buffer = True
            self._spec.error_binary = bool(binary)
        return self
