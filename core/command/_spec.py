"""What a command is configured with, and the deferred-error rule every builder follows.

A :class:`Spec` is plain data: the builder mixins fill it, the launcher reads it. The
builders never raise (libvirt's deferred errors): the first mistake is kept in
:attr:`Spec.error` and :meth:`Builder._raise_if_invalid` raises it when the command is
run or formatted.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from corral.core._errors import CommandError, ErrorCode

if TYPE_CHECKING:
    from corral.core.command._resolve import Resolution

__all__ = ["MASK", "PIPE", "Builder", "Spec", "display", "has_nul", "is_count", "type_name"]

PIPE: Final = -1
"""Ask for a pipe whose parent end the caller gets back (same value as subprocess.PIPE)."""

MASK: Final = "***"
"""What a secret reads as everywhere but in the child (and an error's every env value)."""

Arg = str | bytes


def display(value: Arg) -> str:
    """Return ``value`` as text for logs and messages (bytes decoded losslessly)."""
    return value if isinstance(value, str) else os.fsdecode(value)


@dataclasses.dataclass
class Spec:
    """Everything a command is built from (see the Command methods for the meaning)."""

    argv: list[Arg]
    env: dict[str, str] | None = None
    cwd: str | bytes | None = None
    umask: int = -1
    limits: dict[str, int] = dataclasses.field(default_factory=dict)
    uid: int | None = None
    gid: int | None = None
    clear_caps: bool = False
    caps: list[int] = dataclasses.field(default_factory=list)
    selinux_label: str | None = None
    apparmor_profile: str | None = None
    daemonize: bool = False
    pidfile: str | None = None
    hook: Callable[[], object] | None = None
    timeout: float | None = None
    handshake: bool = False
    raw_status: bool = False
    pass_fds: dict[int, bool] = dataclasses.field(default_factory=dict)
    input_fd: int | None = None
    output_fd: int | None = None
    error_fd: int | None = None
    error_to_output: bool = False
    nonblocking: bool = False
    input_data: bytes | None = None
    output_buffer: bool = False
    output_binary: bool = False
    error_buffer: bool = False
    error_binary: bool = False
    error: str | None = None
    secret_args: set[int] = dataclasses.field(default_factory=set)  # indices into argv
    secret_env: set[str] = dataclasses.field(default_factory=set)  # names of secret values
    resolution: Resolution | None = None  # the binary found for the start under way

    @property
    def text_argv(self) -> list[str]:
        """The argument vector as text, binary first, secrets included: the child's own."""
        return [display(arg) for arg in self.argv]

    @property
    def display_argv(self) -> list[str]:
        """The argument vector as text for logs, records and errors: secrets masked."""
        if not self.secret_args:
            return self.text_argv
        return [MASK if i in self.secret_args else display(a) for i, a in enumerate(self.argv)]

    @property
    def display_env(self) -> dict[str, str] | None:
        """The explicit environment for to_string and logs: secret values masked."""
        if self.env is None or not self.secret_env:
            return self.env
        return {name: MASK if name in self.secret_env else v for name, v in self.env.items()}

    @property
    def error_env(self) -> dict[str, str] | None:
        """The explicit environment as errors show it: names only, every value masked.

        An error's text and detail cross the daemon socket and land in logs; a value
        there (a token, a password passed as a plain pair) would leak with them.
        """
        return None if self.env is None else dict.fromkeys(self.env, MASK)

    @property
    def captures(self) -> bool:
        """True when run() itself moves data through buffers."""
        return self.input_data is not None or self.output_buffer or self.error_buffer

    @property
    def uses_pipe(self) -> bool:
        """True when the caller asked for a pipe end back (``PIPE``)."""
        return self.output_fd == PIPE or (self.error_fd == PIPE and not self.error_to_output)


class Builder:
    """The base of every builder mixin: holds the spec and records the first mistake."""

    _spec: Spec

    def _fail(self, message: str) -> None:
        """Remember ``message`` unless an earlier mistake is already recorded."""
        if self._spec.error is None:
            self._spec.error = message

    def _raise_if_invalid(self) -> None:
        """Raise the first mistake made while building, if any.

        Raises:
            CommandError: code INVALID_ARG, naming the mistake.
        """
        if self._spec.error is not None:
            raise CommandError(
                f"Invalid use of the command API: {self._spec.error}.",
                code=ErrorCode.INVALID_ARG,
                argv=self._spec.display_argv,
            )


def has_nul(value: str | bytes) -> bool:
    """True when ``value`` holds a NUL byte, which no system call can take."""
    return ("\0" if isinstance(value, str) else b"\0") in value  # type: ignore[operator]


def type_name(value: object) -> str:
    """Return the short type name used in deferred-error messages."""
    return type(value).__name__


def is_count(value: object) -> bool:
    """True when ``value`` is a non-negative int (a bool is refused: it is a mistake)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
