"""Exec wrappers: what the child runs through to get limits, privileges and daemonizing.

CPython spawns through vfork (or posix_spawn) only when no ``preexec_fn`` is given, so
everything Popen cannot do natively is applied by a small program that changes itself
and then execs the next one: corral's exec helper (daemonize, pidfile, handshake), then
either corral's own static ``corral-exec`` (rlimits, uid/gid/groups, capabilities, LSM
labels in one exec) or, where it was not built, util-linux ``prlimit`` then ``setpriv``.
``CORRAL_EXEC_WRAPPER=util-linux`` forces the util-linux chain. A command without such
settings gets no wrapper at all.
"""

from __future__ import annotations

import functools
import os
import pwd
import sys

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._caps import cap_name
from corral.core.command._spec import Spec

__all__ = [
    "HELPER",
    "NATIVE",
    "helper_prefix",
    "native_wrapper",
    "needs_helper",
    "wrapper_prefix",
]

_HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(_HERE, "_exec_helper.py")
NATIVE = os.path.join(_HERE, "_native", "corral-exec")
"""Where the wheel build (or ``make dev`` in a work tree) puts corral-exec."""
_FORCE = "CORRAL_EXEC_WRAPPER"
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


@functools.cache
def _native_built() -> bool:
    return os.access(NATIVE, os.X_OK)


def native_wrapper() -> str | None:
    """Return the corral-exec binary to use, or None for the util-linux chain.

    Raises:
        CommandError: code CONFIG_UNSUPPORTED when ``CORRAL_EXEC_WRAPPER`` holds a value
            other than ``util-linux`` or ``auto``.
    """
    choice = os.environ.get(_FORCE, "auto")  # read each time: tests switch it per case
    if choice == "util-linux":
        return None
    if choice not in ("auto", ""):
        raise CommandError(
            f"Environment variable {_FORCE}={choice!r} is not understood; "
            "use 'util-linux' or 'auto'.",
            code=ErrorCode.CONFIG_UNSUPPORTED,
        )
    return NATIVE if _native_built() else None


def _prlimit(spec: Spec) -> list[str]:
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


def _changes_caps(spec: Spec) -> bool:
    """True when the child's capabilities are cut down to the allowed ones.

    Only clear_caps() or a uid change does it: root stays root with its capabilities
    (virSetUIDGIDWithCaps). Both wrapper dialects follow this one rule.
    """
    return spec.clear_caps or spec.uid not in (None, 0)


def _raises_ambient(spec: Spec) -> bool:
    """True when the allowed capabilities must be ambient to survive the uid change."""
    return spec.uid not in (None, 0) and bool(spec.caps)


def _cap_options(spec: Spec) -> list[str]:
    if not _changes_caps(spec):
        return []
    allowed = "".join(f",+{cap_name(cap)}" for cap in spec.caps)
    # libcap-ng's way: empty bounding and inheritable sets but for the allowed ones, so
    # even a root child ends with only those, and a setuid-root program regains nothing.
    options = [f"--bounding-set=-all{allowed}", f"--inh-caps=-all{allowed}"]
    if _raises_ambient(spec):
        options.append(f"--ambient-caps=-all{allowed}")
    return options


def _setpriv(spec: Spec) -> list[str]:
    options = _identity_options(spec) + _cap_options(spec)
    if spec.selinux_label is not None:
        options.append(f"--selinux-label={spec.selinux_label}")
    if spec.apparmor_profile is not None:
        options.append(f"--apparmor-profile={spec.apparmor_profile}")
    if not options:
        return []
    return [_tool("setpriv", "uid/gid, capabilities or security labels"), *options, "--"]


def _native_groups(spec: Spec) -> list[str]:
    """``--groups``: the user's groups as initgroups() would set them, or none.

    Resolved here because a static binary cannot safely load glibc's NSS modules.
    """
    if spec.uid is None:
        return [] if spec.gid is None else ["--groups", "clear"]
    try:
        user = pwd.getpwuid(spec.uid)
    except KeyError:
        return ["--groups", "clear"]  # no passwd entry, so no groups to take
    groups = os.getgrouplist(user.pw_name, user.pw_gid)
    return ["--groups", ",".join(str(group) for group in groups)]


def _native_options(spec: Spec) -> list[str]:
    options: list[str] = []
    for name, limit in sorted(spec.limits.items()):
        options += ["--rlimit", f"{name}={limit}"]
    settings: dict[str, str | int | None] = {
        "--selinux-label": spec.selinux_label,
        "--apparmor-profile": spec.apparmor_profile,
        "--uid": spec.uid,
        "--gid": spec.gid,
    }
    for flag, value in settings.items():
        if value is not None:
            options += [flag, str(value)]
    options += _native_groups(spec)
    if _changes_caps(spec):
        options += ["--caps", format(sum(1 << cap for cap in set(spec.caps)), "x")]
        if _raises_ambient(spec):
            options.append("--ambient")
    return options


def _needs_wrapper(spec: Spec) -> bool:
    # Capabilities are changed only with clear_caps() or a uid change, so uid covers both.
    identity = spec.uid is not None or spec.gid is not None or spec.clear_caps
    labels = spec.selinux_label is not None or spec.apparmor_profile is not None
    return bool(spec.limits) or identity or labels


def wrapper_prefix(spec: Spec) -> list[str]:
    """Return the exec wrappers ``spec`` needs before its binary, or nothing.

    One ``corral-exec ... --`` when it was built, else ``prlimit ... -- setpriv ... --``.

    Raises:
        CommandError: code NO_SUPPORT when a util-linux wrapper is needed but missing.
    """
    if not _needs_wrapper(spec):
        return []
    native = native_wrapper()
    if native is None:
        return [*_prlimit(spec), *_setpriv(spec)]
    return [native, *_native_options(spec), "--"]


def needs_helper(spec: Spec) -> bool:
    """True when the command runs through corral's exec helper."""
    return spec.handshake or spec.daemonize or spec.pidfile is not None


def helper_prefix(spec: Spec, handshake: tuple[int, int] | None, report: int) -> list[str]:
    """Return the exec-helper invocation for daemonize/pidfile/handshake.

    Called only when :func:`needs_helper` says the command runs through the helper.

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
    return [sys.executable, "-I", "-S", HELPER, *options, "--"]
