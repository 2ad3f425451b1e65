"""Exec wrappers: what the child runs through to get limits, privileges and daemonizing.

CPython spawns through vfork (or posix_spawn) only when no ``preexec_fn`` is given, so
everything Popen cannot do natively is applied by a small program that changes itself
and then execs the next one: corral's exec helper (daemonize, pidfile, handshake), then
util-linux ``prlimit`` (rlimits), then ``setpriv`` (uid/gid/groups, capabilities, LSM
labels). A command without such settings gets no wrapper at all.
"""

from __future__ import annotations

import functools
import os
import pwd
import sys

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._caps import cap_name
from corral.core.command._spec import Spec

__all__ = ["HELPER", "helper_prefix", "needs_helper", "prlimit_prefix", "setpriv_prefix"]

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_exec_helper.py")
_TOOL_DIRS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin")


@functools.cache
def _find_tool(name: str) -> str | None:
    for directory in _TOOL_DIRS:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return None


def _tool(name: str, needed_for: str) -> str:
    path = _find_tool(name)
    if path is None:
        raise CommandError(
            f"Cannot find util-linux's '{name}' (needed for {needed_for}) in "
            f"{':'.join(_TOOL_DIRS)}; install util-linux.",
            code=ErrorCode.NO_SUPPORT,
        )
    return path


def prlimit_prefix(spec: Spec) -> list[str]:
    """Return ``prlimit --nofile=N:N ... --`` for the limits set, or nothing."""
    if not spec.limits:
        return []
    options = [f"--{name}={value}:{value}" for name, value in sorted(spec.limits.items())]
    return [_tool("prlimit", "resource limits"), *options, "--"]


def _identity_options(spec: Spec) -> list[str]:
    options: list[str] = []
    if spec.gid is not None:
        options.append(f"--regid={spec.gid}")
    if spec.uid is not None:
        options.append(f"--reuid={spec.uid}")
        try:
            pwd.getpwuid(spec.uid)
            options.append("--init-groups")  # the user's own supplementary groups
        except KeyError:
            options.append("--clear-groups")  # no passwd entry, so no groups to take
    elif spec.gid is not None:
        options.append("--clear-groups")
    return options


def _cap_options(spec: Spec) -> list[str]:
    allowed = "".join(f",+{cap_name(cap)}" for cap in spec.caps)
    dropping_root = spec.uid not in (None, 0)
    if not (spec.clear_caps or dropping_root):
        return []  # root stays root with its capabilities (virSetUIDGIDWithCaps)
    # libcap-ng's way: empty bounding and inheritable sets but for the allowed ones, so
    # even a root child ends with only those, and a setuid-root program regains nothing.
    options = [f"--bounding-set=-all{allowed}", f"--inh-caps=-all{allowed}"]
    if dropping_root and spec.caps:
        options.append(f"--ambient-caps=-all{allowed}")  # survives the uid change
    return options


def setpriv_prefix(spec: Spec) -> list[str]:
    """Return ``setpriv ... --`` for identity, capabilities and labels, or nothing."""
    options = _identity_options(spec) + _cap_options(spec)
    if spec.selinux_label is not None:
        options.append(f"--selinux-label={spec.selinux_label}")
    if spec.apparmor_profile is not None:
        options.append(f"--apparmor-profile={spec.apparmor_profile}")
    if not options:
        return []
    return [_tool("setpriv", "uid/gid, capabilities or security labels"), *options, "--"]


def needs_helper(spec: Spec) -> bool:
    """True when the command runs through corral's exec helper."""
    return spec.handshake or spec.daemonize or spec.pidfile is not None


def helper_prefix(spec: Spec, handshake: tuple[int, int] | None, report: int) -> list[str]:
    """Return the exec-helper invocation for daemonize/pidfile/handshake, or nothing.

    Args:
        spec: The command.
        handshake: The child's ends (ready-writer, go-reader) of the handshake pipes.
        report: The child's end of the pipe on which the helper says why it failed.
    """
    options: list[str] = ["--report", str(report)]
    if handshake is not None:
        options += ["--handshake", str(handshake[0]), str(handshake[1])]
    if spec.daemonize:
        options.append("--daemon")
    if spec.pidfile is not None:
        options += ["--pidfile", spec.pidfile]
    if not needs_helper(spec):
        return []
    return [sys.executable, "-I", "-S", HELPER, *options, "--"]
