"""corrald's three listening sockets: created with their modes, or taken from systemd.

A socket corrald creates itself is bound in a private (0700) directory beside its final
path, given its mode and group there, and only then renamed into place: no client can
connect while it still has the wrong permissions (libvirt narrows the umask instead,
which is process-wide). The path it replaces is a stale socket: the daemon's pid file is
held before any socket is made, so no other daemon of this root is listening there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
import socket
import tempfile
from pathlib import Path

from corral.core._errors import CorralError, ErrorCode, ErrorDomain

__all__ = ["Listener", "SocketKind", "bind_unix"]

# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
_MAX_PATH = 107


class SocketKind(enum.StrEnum):
    """What a socket allows; the values are the socket file names."""

    READ_WRITE = "corrald-sock"
    READ_ONLY = "corrald-sock-ro"
    ADMIN = "corrald-admin-sock"


@dataclasses.dataclass
class Listener:
    """One listening socket.

    Attributes:
        kind: What it allows.
        path: Where it is (for an activated socket, where systemd put it, if known).
        sock: The listening socket.
        activated: True when systemd passed it in (corrald then never unlinks it).
    """

    kind: SocketKind
    path: Path | None
    sock: socket.socket
    activated: bool = False

    def close(self) -> None:
        """Stop listening; remove the socket file unless systemd owns it."""
        self.sock.close()
        if not self.activated and self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


def bind_unix(path: Path, mode: int, gid: int = -1, backlog: int = 128) -> socket.socket:
    """Return a socket listening at ``path`` with permission bits ``mode`` and group ``gid``.

    Raises:
        CorralError: SYSTEM_ERROR naming the path if it is too long for a UNIX socket or
            the socket cannot be created, bound, given its mode or moved into place.
    """
    staging_dir = Path(tempfile.mkdtemp(prefix=".corrald-", dir=path.parent))
    staged = staging_dir / "s"
    if len(os.fsencode(staged)) > _MAX_PATH or len(os.fsencode(path)) > _MAX_PATH:
        os.rmdir(staging_dir)
        raise CorralError(
            f"The socket path {path} is too long for a UNIX socket ({_MAX_PATH} bytes at "
            "most, with room for a staging name beside it); choose a shorter --root.",
            domain=ErrorDomain.DAEMON, code=ErrorCode.SYSTEM_ERROR, path=str(path))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(os.fspath(staged))
        os.chmod(staged, mode)
        if gid != -1:
            os.chown(staged, -1, gid)
        sock.listen(backlog)
        os.rename(staged, path)
    except OSError as exc:
        sock.close()
        raise CorralError(f"Cannot create the socket {path}: {exc.strerror or exc}.",
                          domain=ErrorDomain.DAEMON, code=ErrorCode.SYSTEM_ERROR,
                          path=str(path)) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staged)
        with contextlib.suppress(OSError):
            os.rmdir(staging_dir)
    sock.setblocking(False)
    return sock
