"""``corral tunnel SOCKET``: the remote end of an ``ssh://`` connection.

ssh runs it on the remote host with ssh's channel as its stdin and stdout; it connects to
the daemon's socket and forwards bytes both ways unchanged until either side closes: the
end of stdin is passed on as a half-close (so the replies still in flight arrive), the
daemon closing ends it at once. It starts no process, so it leaves none behind, and it
imports nothing beyond the standard library's socket and poll (a ``unix:///session``
URI, resolved on this host, is the one case that loads the client's URI rules), so each
remote connection pays little for it. A socket that does not answer is libvirt's
``Failed to connect socket to '...'`` on standard error and exit status 1.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import sys

from corral.core.cli._command import CliCommand, Console

__all__ = ["COMMAND", "relay", "tunnel"]

_CHUNK = 256 * 1024


def tunnel(target: str, stdin: int = 0, stdout: int = 1) -> int:
    """Connect to ``target`` (a socket path or a ``unix://`` URI) and relay; return status."""
    path = target
    if "://" in target:
        from corral.core.client._uri import resolve

        path = resolve(target).socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.connect(path)
    except OSError as exc:
        sock.close()
        print(f"error: Failed to connect socket to '{path}': {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    with sock:
        relay(stdin, stdout, sock)
    return 0


def relay(stdin: int, stdout: int, sock: socket.socket) -> None:
    """Forward ``stdin`` to ``sock`` and ``sock`` to ``stdout`` until the socket ends."""
    poller = select.poll()
    poller.register(stdin, select.POLLIN)
    poller.register(sock, select.POLLIN)
    daemon = sock.fileno()
    while True:
        for fd, _ in poller.poll():
            try:
                if fd == daemon:
                    data = sock.recv(_CHUNK)
                    if not data:
                        return  # the daemon closed: nothing more can come
                    _write_all(stdout, data)
                else:
                    data = os.read(stdin, _CHUNK)
                    if data:
                        sock.sendall(data)
                        continue
                    poller.unregister(stdin)  # the client is done: let replies drain
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                return  # either side went away mid-transfer


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("socket", metavar="SOCKET",
                        help="the daemon's socket (or a unix:// URI resolved on this host)")


def _run(args: argparse.Namespace, console: Console) -> int:
    return tunnel(args.socket)


COMMAND = CliCommand(
    name="tunnel",
    help="bridge stdio to a daemon socket (what ssh runs on the host of an ssh:// URI)",
    add_arguments=_add_arguments,
    run=_run,
)
