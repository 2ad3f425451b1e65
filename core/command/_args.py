"""Building the argument vector: add_arg and friends (virCommandAddArg*).

Arguments are kept as ``str`` or ``bytes`` exactly as they will reach ``execve``. A value
of the wrong type, or one holding a NUL byte (which ``execve`` cannot carry), is a
deferred error naming its position in argv (the binary is argument 0).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Self

from corral.core.command._spec import Arg, Builder, has_nul, type_name

__all__ = ["ArgsMixin", "coerce", "printf"]

_EXPECTED = "expected str, bytes, int or os.PathLike"

# A C conversion with a length modifier (``%lld``, ``%zu``, ``%-8hhx``), or ``%%``.
_C_LENGTH = re.compile(
    r"%%|(%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d*))?)"  # flags, width, precision
    r"(?:hh|ll|[hlLqjzt])(?=[diouxXeEfFgGcs])"  # the modifier, then the conversion
)


def printf(fmt: str, values: tuple[object, ...]) -> str:
    """Format like C's printf: Python's ``%`` after dropping C length modifiers.

    ``%lld`` or ``%zu`` (as libvirt's callers write them) mean nothing to Python's ``%``,
    which would refuse them; the value's own size needs no modifier here.

    Raises:
        TypeError: The values do not fit the format.
        ValueError: The format is malformed.
    """
    return _C_LENGTH.sub(lambda match: match.group(1) or match.group(0), fmt) % values


def coerce(value: object, what: str) -> tuple[Arg, None] | tuple[None, str]:
    """Convert ``value`` to an argv string, or say why it cannot be one.

    Args:
        value: A str, bytes, int (not bool) or os.PathLike.
        what: How to name the value in an error ("argument 3").

    Returns:
        ``(converted, None)`` on success, ``(None, message)`` on failure.
    """
    if isinstance(value, str | bytes):
        converted: Arg = value
    elif isinstance(value, int) and not isinstance(value, bool):
        converted = str(value)
    elif isinstance(value, os.PathLike):
        converted = os.fspath(value)
    else:
        return None, f"{what} has type {type_name(value)}; {_EXPECTED}"
    if has_nul(converted):
        return None, f"{what} contains a NUL byte, which execve cannot pass"
    return converted, None


class ArgsMixin(Builder):
    """The argument builders of :class:`~corral.core.Command`."""

    def _append(self, value: object) -> None:
        if self._spec.error is not None:
            return  # after the first mistake nothing more is recorded (libvirt)
        converted, problem = coerce(value, f"argument {len(self._spec.argv)}")
        if converted is None:
            self._fail(str(problem))
        else:
            self._spec.argv.append(converted)

    def add_arg(self, value: object) -> Self:
        """Append one argument (virCommandAddArg).

        Args:
            value: A str, bytes, int or os.PathLike; anything else is a deferred error.

        Returns:
            This command, so calls chain.
        """
        self._append(value)
        return self

    def add_arg_secret(self, value: object) -> Self:
        """Append one argument that is a secret, such as iscsiadm's CHAP password.

        The child gets it as it is; ``to_string``, ``write_arg_log``, ``argv``, errors,
        spawn records (so the audit log) and dry-run records show ``***`` instead. While
        the child runs, any local user can still read it in ``/proc/<pid>/cmdline``:
        prefer an environment variable (:meth:`add_env_secret`) or a file where the
        program takes one.

        Args:
            value: As for :meth:`add_arg`.

        Returns:
            This command, so calls chain.
        """
        index = len(self._spec.argv)
        self._append(value)
        if len(self._spec.argv) > index:
            self._spec.secret_args.add(index)
        return self

    def add_arg_pair(self, name: object, value: object) -> Self:
        """Append the single argument ``name=value`` (virCommandAddArgPair).

        Args:
            name: The option, e.g. ``"--conf-file"``.
            value: Its value.

        Returns:
            This command, so calls chain.
        """
        what = f"argument {len(self._spec.argv)}"
        (left, bad_left), (right, bad_right) = coerce(name, what), coerce(value, what)
        if left is None or right is None:
            self._fail(str(bad_left or bad_right))
        elif isinstance(left, str) and isinstance(right, str):
            self._append(f"{left}={right}")
        else:
            self._append(os.fsencode(left) + b"=" + os.fsencode(right))
        return self

    def add_arg_format(self, fmt: str, *values: object) -> Self:
        """Append one argument formatted printf-style: ``fmt % values``.

        Args:
            fmt: A ``%`` format string.
            *values: Its values; a formatting failure is a deferred error.

        Returns:
            This command, so calls chain.
        """
        try:
            self._append(printf(fmt, values))
        except (TypeError, ValueError) as exc:
            self._fail(f"add_arg_format({fmt!r}) failed: {exc}")
        return self

    def add_arg_set(self, values: Iterable[object]) -> Self:
        """Append every argument of an iterable (virCommandAddArgSet).

        Args:
            values: The arguments; a single str or bytes is refused (it would add
                one argument per character).

        Returns:
            This command, so calls chain.
        """
        if isinstance(values, str | bytes):
            self._fail(f"add_arg_set() takes an iterable of arguments, not one {type_name(values)}")
            return self
        try:
            items = list(values)
        except TypeError:
            self._fail(f"add_arg_set() takes an iterable, not {type_name(values)}")
            return self
        for value in items:
            self._append(value)
        return self

    def add_arg_list(self, *values: object) -> Self:
        """Append every positional argument (virCommandAddArgList).

        Args:
            *values: The arguments.

        Returns:
            This command, so calls chain.
        """
        for value in values:
            self._append(value)
        return self
