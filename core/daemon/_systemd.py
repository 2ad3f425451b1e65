"""systemd's two protocols, in the standard library: sd_notify and socket activation.

- :class:`Notifier` sends ``READY=1``, ``RELOADING=1``, ``STOPPING=1``, ``STATUS=...`` and
  ``WATCHDOG=1`` datagrams to ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
  namespace); without the variable it does nothing. The watchdog interval is half of
  ``$WATCHDOG_USEC`` when ``$WATCHDOG_PID`` is unset or names this process.
- :func:`activated_sockets` takes the descriptors of ``$LISTEN_FDS`` (from 3) when
  ``$LISTEN_PID`` is this process, named by ``$LISTEN_FDNAMES`` or, failing that, by the
  file name of the path each is bound to.

Both read their variables once and remove them, so no child inherits them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["Notifier", "activated_sockets"]

_log = logging.getLogger("corral.daemon")
_FIRST_FD = 3


class Notifier:
    """Talk to the service manager, if there is one.

    Args:
        environ: The environment to read (and clean); ``os.environ`` by default.
    """

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.pop("NOTIFY_SOCKET", "")
        usec = env.pop("WATCHDOG_USEC", "")
        watchdog_pid = env.pop("WATCHDOG_PID", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_interval: float | None = None
        if usec.isdigit() and int(usec) > 0 and watchdog_pid in ("", str(os.getpid())):
            self.watchdog_interval = int(usec) / 2e6
        self._sock: socket.socket | None = None

    def notify(self, *fields: str) -> None:
        """Send ``fields`` (``"READY=1"``, ``"STATUS=..."``) as one message; errors are logged."""
        if not self.address:
            return
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto("\n".join(fields).encode(), self.address)
        except OSError as exc:
            _log.warning("cannot notify the service manager at %s: %s", self.address, exc)

    def close(self) -> None:
        """Close the notification socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def activated_sockets(environ: MutableMapping[str, str] | None = None) -> dict[str, socket.socket]:
    """Return the sockets systemd passed in, by name (empty when there are none).

    Raises:
        OSError: Never for a descriptor that is not a socket: it is logged and skipped.
    """
    env = os.environ if environ is None else environ
    pid, count = env.pop("LISTEN_PID", ""), env.pop("LISTEN_FDS", "")
    names = env.pop("LISTEN_FDNAMES", "")
    if pid != str(os.getpid()) or not count.isdigit():
        return {}
    labels = names.split(":") if names else []
    found: dict[str, socket.socket] = {}
    for index in range(int(count)):
        fd = _FIRST_FD + index
        os.set_inheritable(fd, False)
        try:
            sock = socket.socket(fileno=fd)
        except OSError as exc:
            _log.warning("systemd passed descriptor %d, which is not a socket: %s", fd, exc)
            continue
        sock.setblocking(False)
        label = labels[index] if index < len(labels) else ""
        found[label if label and not label.endswith(".socket") else _bound_name(sock)] = sock
    return found


def _bound_name(sock: socket.socket) -> str:
    with contextlib.suppress(OSError, TypeError):
        address = sock.getsockname()
        if isinstance(address, str) and address:
            return Path(address).name
    return ""
