"""Process attributes: directory, umask, limits, identity, capabilities, labels, lifetime.

Each setter validates its value and records a deferred error for a bad one. Nothing here
runs anything: the launcher turns the attributes into native ``Popen`` options or into
exec wrappers (``corral-exec``, or util-linux ``prlimit``/``setpriv``; corral's exec helper).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Self

from corral.core.command._caps import parse_cap
from corral.core.command._spec import Builder, has_nul, is_count, type_name

__all__ = ["AttrsMixin"]


class AttrsMixin(Builder):
    """The process-attribute setters of :class:`~corral.core.Command`."""

    def set_working_directory(self, path: str | bytes | os.PathLike[str]) -> Self:
        """Run the child in ``path`` (refused with :meth:`daemonize`, whose cwd is ``/``).

        Args:
            path: The directory.

        Returns:
            This command, so calls chain.
        """
        value: object = path  # validated at run time: callers may pass anything
        if not isinstance(value, str | bytes | os.PathLike):
            self._fail(f"working directory has type {type_name(value)}; expected a path")
        elif has_nul(os.fspath(value)):
            self._fail(f"working directory {value!r} contains a NUL byte")
        else:
            self._spec.cwd = os.fspath(value)
        return self

    def set_umask(self, mask: int) -> Self:
        """Give the child the umask ``mask`` (1 to 0o777; 0 leaves it unchanged, as in libvirt).

        Args:
            mask: The umask.

        Returns:
            This command, so calls chain.
        """
        if is_count(mask) and mask <= 0o777:
            self._spec.umask = mask or -1  # virExec calls umask() only for a non-zero mask
        else:
            self._fail(f"umask {mask!r} is not an int from 0 to 0o777")
        return self

    def _limit(
        self, option: str, what: str, value: int, extra: int = 0, zero_sets: bool = False
    ) -> Self:
        if is_count(value) and (value or zero_sets):
            self._spec.limits[option] = value + extra
        elif is_count(value):
            self._spec.limits.pop(option, None)  # libvirt: 0 means "not set"
        else:
            self._fail(f"{what} limit {value!r} is not a non-negative int")
        return self

    def set_max_files(self, files: int) -> Self:
        """Limit the child's open files (RLIMIT_NOFILE = ``files + 1``, as libvirt does).

        Args:
            files: The number of files; 0 leaves the limit unchanged (libvirt).

        Returns:
            This command, so calls chain.
        """
        # libvirt's virProcessSetMaxFiles keeps qemu's historic "files + 1".
        return self._limit("nofile", "max files", files, extra=1)

    def set_max_processes(self, processes: int) -> Self:
        """Limit the processes of the child's user (RLIMIT_NPROC).

        Args:
            processes: The number of processes; 0 leaves the limit unchanged (libvirt).

        Returns:
            This command, so calls chain.
        """
        return self._limit("nproc", "max processes", processes)

    def set_max_memlock(self, size: int) -> Self:
        """Limit the child's locked memory in bytes (RLIMIT_MEMLOCK).

        Args:
            size: Bytes; 0 leaves the limit unchanged (libvirt).

        Returns:
            This command, so calls chain.
        """
        return self._limit("memlock", "max memlock", size)

    def set_max_core_size(self, size: int) -> Self:
        """Limit the child's core dump size in bytes (RLIMIT_CORE; 0 disables dumps).

        Args:
            size: Bytes.

        Returns:
            This command, so calls chain.
        """
        return self._limit("core", "max core size", size, zero_sets=True)

    def _identity(self, value: int, what: str) -> int | None:
        """Return the id to switch to, None for -1 ("unchanged") or a deferred error."""
        if value == -1:
            return None
        if is_count(value):
            return value
        self._fail(f"{what} {value!r} is not a non-negative int")
        return None

    def set_uid(self, uid: int) -> Self:
        """Run the child as user ``uid`` (with that user's supplementary groups).

        Args:
            uid: The user id; -1 leaves it unchanged.

        Returns:
            This command, so calls chain.
        """
        self._spec.uid = self._identity(uid, "uid")
        return self

    def set_gid(self, gid: int) -> Self:
        """Run the child with group ``gid``.

        Args:
            gid: The group id; -1 leaves it unchanged.

        Returns:
            This command, so calls chain.
        """
        self._spec.gid = self._identity(gid, "gid")
        return self

    def clear_caps(self) -> Self:
        """Drop every capability in the child but those given to :meth:`allow_cap`.

        Returns:
            This command, so calls chain.
        """
        self._spec.clear_caps = True
        return self

    def allow_cap(self, capability: str | int) -> Self:
        """Keep ``capability`` (``"CAP_NET_RAW"``, ``"net_raw"`` or ``13``).

        Args:
            capability: The capability's name or number; an unknown one is a deferred error.

        Returns:
            This command, so calls chain.
        """
        number = parse_cap(capability)
        if number is None:
            self._fail(f"unknown capability {capability!r}")
        elif number not in self._spec.caps:
            self._spec.caps.append(number)
        return self

    def _label(self, value: object, what: str) -> str | None:
        if isinstance(value, str) and value and "\0" not in value:
            return value
        self._fail(f"{what} {value!r} is not a non-empty str")
        return None

    def set_selinux_label(self, label: str) -> Self:
        """Exec the child with SELinux ``label`` (set by the exec wrapper just before exec).

        Args:
            label: The security context.

        Returns:
            This command, so calls chain.
        """
        self._spec.selinux_label = self._label(label, "SELinux label")
        return self

    def set_apparmor_profile(self, profile: str) -> Self:
        """Exec the child under AppArmor ``profile`` (set by the exec wrapper before exec).

        Args:
            profile: The profile's name.

        Returns:
            This command, so calls chain.
        """
        self._spec.apparmor_profile = self._label(profile, "AppArmor profile")
        return self

    def daemonize(self) -> Self:
        """Run the child as a daemon: new session, cwd ``/``, no longer our child.

        ``run()`` then returns once the intermediate process exits, which it does only
        after the pidfile (if any) is written and locked by the daemon.

        Returns:
            This command, so calls chain.
        """
        self._spec.daemonize = True
        return self

    def set_pidfile(self, path: str | os.PathLike[str]) -> Self:
        """Have the daemon write its pid into ``path`` and keep it locked (needs daemonize).

        Args:
            path: The pidfile.

        Returns:
            This command, so calls chain.
        """
        if not (isinstance(path, str | os.PathLike) and os.fspath(path)):
            self._fail(f"pidfile {path!r} is not a path")
        elif has_nul(os.fspath(path)):
            self._fail(f"pidfile {path!r} contains a NUL byte")
        else:
            self._spec.pidfile = os.path.abspath(os.fspath(path))
        return self

    def set_pre_exec_hook(self, hook: Callable[[], object]) -> Self:
        """Call ``hook()`` in the child just before exec; ``False`` or an exception stops it.

        This forces CPython's fork path (slower for a large parent): use it only when
        nothing else does the job. The child then exits with status 125.

        Args:
            hook: A callable without arguments; setting a second hook is a deferred error.

        Returns:
            This command, so calls chain.
        """
        candidate: object = hook
        if self._spec.hook is not None:
            self._fail("a pre-exec hook is already set")
        elif not callable(candidate):
            self._fail(f"pre-exec hook has type {type_name(candidate)}; expected a callable")
        else:
            self._spec.hook = hook
        return self

    def set_timeout(self, seconds: float | None) -> Self:
        """Kill the child's process group when it runs longer than ``seconds``.

        On expiry the group gets SIGTERM, then SIGKILL after a short grace period; the
        run raises :class:`~corral.core.CommandError` with code OPERATION_TIMEOUT.

        Args:
            seconds: A positive number, or None for no timeout.

        Returns:
            This command, so calls chain.
        """
        number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
        if seconds is None or (number and 0 < seconds < float("inf")):
            self._spec.timeout = None if seconds is None else float(seconds)
        else:
            self._fail(f"timeout {seconds!r} is not a positive number of seconds")
        return self

    def set_raw_status(self) -> Self:
        """Report death by a signal as a result (``signal`` set) instead of an error.

        Returns:
            This command, so calls chain.
        """
        self._spec.raw_status = True
        return self

    def require_handshake(self) -> Self:
        """Stop the child just before exec until :meth:`handshake_notify` lets it go.

        Returns:
            This command, so calls chain.
        """
        if self._spec.handshake:
            self._fail("a handshake is already required")
        self._spec.handshake = True
        return self
