"""Building the child's environment: add_env_* (virCommandAddEnv*).

The child inherits the parent's environment until the first ``add_env_*`` call, which
switches to an explicit, empty environment; a repeated name keeps its first position
and its last value (libvirt replaces the entry in place).
"""

from __future__ import annotations

import os
import re
from typing import Self

from corral.core.command._args import printf
from corral.core.command._spec import Builder, type_name

__all__ = ["COMMON_PASSED", "EnvMixin", "running_setuid"]

# What virCommandAddEnvPassCommon passes through, in libvirt's order (after LC_ALL=C), as
# seed 002 describes it: (name, safe for a setuid parent, the value then, None = dropped).
COMMON_PASSED: tuple[tuple[str, bool, str | None], ...] = (
    ("LD_PRELOAD", False, None),
    ("LD_LIBRARY_PATH", False, None),
    ("PATH", False, "/bin:/usr/bin"),
    ("HOME", False, None),
    ("USER", True, None),
    ("LOGNAME", True, None),
    ("TMPDIR", False, None),
)


# A name sh can assign: to_string() is pasted into a shell, where "A;touch X;B=v" would run
# touch. execve would take more (anything without '='), but no tool corral runs needs it.
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def running_setuid() -> bool:
    """True when this process runs setuid or setgid (real and effective ids differ)."""
    return os.getuid() != os.geteuid() or os.getgid() != os.getegid()


def _text(value: object) -> str | None:
    """Return ``value`` as environment text, or None when it cannot be one."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | os.PathLike):
        return os.fsdecode(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class EnvMixin(Builder):
    """The environment builders of :class:`~corral.core.Command`."""

    def _set_env(self, name: object, value: object) -> None:
        env = self._explicit_env()
        if self._spec.error is not None:
            return
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            self._fail(f"environment name {name!r} is not a non-empty str without '='")
            return
        if not _SHELL_NAME.fullmatch(name):
            self._fail(f"environment name {name!r} is not a shell variable name "
                       "(letters, digits and '_', not starting with a digit)")
            return
        text = _text(value)
        if text is None:
            self._fail(f"environment variable {name} has a bad value of type {type_name(value)}")
            return
        if "\0" in text:
            self._fail(f"environment variable {name} contains a NUL byte, which execve cannot pass")
            return
        env[name] = text

    def _explicit_env(self) -> dict[str, str]:
        if self._spec.env is None:
            self._spec.env = {}
        return self._spec.env

    def add_env_pair(self, name: str, value: object) -> Self:
        """Set ``name=value`` in the child's environment (virCommandAddEnvPair).

        Args:
            name: The variable's name.
            value: Its value (str, bytes, int or os.PathLike).

        Returns:
            This command, so calls chain.
        """
        self._set_env(name, value)
        return self

    def add_env_secret(self, name: str, value: object) -> Self:
        """Set ``name=value`` where the value is a secret (a password, a token).

        The child gets it as it is; ``to_string``, ``write_arg_log``, spawn records and
        dry-run records show ``***`` for it (errors never show any environment value).
        The name stays secret for the command's life, even if set again as a pair.

        Args:
            name: The variable's name.
            value: Its value, as for :meth:`add_env_pair`.

        Returns:
            This command, so calls chain.
        """
        if isinstance(name, str):
            self._spec.secret_env.add(name)
        self._set_env(name, value)
        return self

    def add_env_string(self, string: str) -> Self:
        """Set a preformatted ``"NAME=value"`` (virCommandAddEnvString).

        Args:
            string: The assignment; one without ``=`` is a deferred error, which names
                the string's length only (it may well be a secret given by mistake).

        Returns:
            This command, so calls chain.
        """
        self._explicit_env()
        given: object = string  # callers without type checking pass anything
        if not isinstance(given, str):
            self._fail(f"add_env_string() needs a str NAME=VALUE; got {type(given).__name__}")
        elif "=" not in given:
            self._fail(f"add_env_string() needs NAME=VALUE; got a {len(given)}-character "
                       "string without '='")
        else:
            name, _, value = given.partition("=")
            self._set_env(name, value)
        return self

    def add_env_format(self, fmt: str, *values: object) -> Self:
        """Set an assignment formatted printf-style: ``fmt % values`` = ``"NAME=value"``.

        Args:
            fmt: A ``%`` format string producing ``NAME=value``.
            *values: Its values.

        Returns:
            This command, so calls chain.
        """
        try:
            string = printf(fmt, values)
        except (TypeError, ValueError) as exc:
            self._explicit_env()
            self._fail(f"add_env_format({fmt!r}) failed: {exc}")
            return self
        return self.add_env_string(string)

    def add_env_pass(self, name: str) -> Self:
        """Pass ``name`` through from the parent; nothing is added when it is unset.

        Args:
            name: The variable's name.

        Returns:
            This command, so calls chain.
        """
        self._explicit_env()
        value = os.environ.get(name) if isinstance(name, str) else None
        if value is not None:
            self._set_env(name, value)
        return self

    def add_env_pass_allow_suid(self, name: str) -> Self:
        """Pass ``name`` through even when the parent runs setuid (it is safe).

        Args:
            name: The variable's name.

        Returns:
            This command, so calls chain.
        """
        return self.add_env_pass(name)

    def add_env_pass_block_suid(self, name: str, default: str | None = None) -> Self:
        """Pass ``name`` through, unless the parent runs setuid or setgid.

        Args:
            name: The variable's name.
            default: The value the child gets instead when the parent runs setuid
                (None drops the variable).

        Returns:
            This command, so calls chain.
        """
        if not running_setuid():
            return self.add_env_pass(name)
        self._explicit_env()
        if default is not None:
            self._set_env(name, default)
        return self

    def add_env_pass_common(self) -> Self:
        """Set ``LC_ALL=C`` and pass PATH, HOME, USER, LOGNAME, TMPDIR, LD_PRELOAD, LD_LIBRARY_PATH.

        When this process runs setuid or setgid, PATH becomes ``/bin:/usr/bin`` and
        LD_PRELOAD, LD_LIBRARY_PATH, HOME and TMPDIR are dropped; USER and LOGNAME pass.

        Returns:
            This command, so calls chain.
        """
        self.add_env_pair("LC_ALL", "C")
        for name, safe, default in COMMON_PASSED:
            if safe:
                self.add_env_pass_allow_suid(name)
            else:
                self.add_env_pass_block_suid(name, default)
        return self
