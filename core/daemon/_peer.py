"""Who is on the other end of a UNIX socket: SO_PEERCRED plus the process's start time.

The credentials are those of the process that called ``connect()``. A pid alone can be
reused; libvirt pairs it with the process's start time (``/proc/PID/stat`` field 22, in
clock ticks since boot), and so does corrald.
"""

from __future__ import annotations

import dataclasses
import socket
import struct
from typing import Any

__all__ = ["Peer", "peer_of"]

_UCRED = struct.Struct("3i")


@dataclasses.dataclass(frozen=True)
class Peer:
    """A client's identity.

    Attributes:
        pid: The connecting process (0 when unknown).
        uid: Its user id (-1 when unknown).
        gid: Its group id (-1 when unknown).
        start_time: Its start time in clock ticks since boot, or None when unknown.
    """

    pid: int
    uid: int
    gid: int
    start_time: int | None = None

    def __str__(self) -> str:
        return f"pid={self.pid} uid={self.uid} gid={self.gid} start={self.start_time}"

    def to_dict(self) -> dict[str, Any]:
        """Return the identity as the admin socket reports it."""
        return {"pid": self.pid, "uid": self.uid, "gid": self.gid,
                "start-time": self.start_time}


def peer_of(sock: Any) -> Peer:
    """Return the identity of the peer of the connected UNIX socket ``sock``.

    ``sock`` is a :class:`socket.socket` or asyncio's ``TransportSocket``; a socket that
    cannot tell (not AF_UNIX) gives an unknown identity rather than an error.
    """
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    except (OSError, AttributeError):
        return Peer(0, -1, -1)
    pid, uid, gid = _UCRED.unpack(raw)
    return Peer(pid, uid, gid, _start_time(pid))


def _start_time(pid: int) -> int | None:
    if pid <= 0:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = text[text.rfind(b")") + 2:].split()
    try:
        return int(fields[19])  # field 22 overall; fields here start at 3
    except (IndexError, ValueError):
        return None
