"""Which socket a connection URI names, libvirt's way.

``unix:///system`` and ``unix:///session`` name the local daemon's sockets (the system
runtime directory ``/run/corral``, or ``$XDG_RUNTIME_DIR/corral`` for a user), a
``socket=PATH`` query names the socket itself, a bare path is a socket, and ``--root DIR``
puts the system layout under ``DIR``. With none of them, ``$CORRAL_DEFAULT_URI`` is used,
then the system daemon for root and the session daemon for anyone else (libvirt's
``qemu:///system`` / ``qemu:///session`` default). Read-only connections use the ``-ro``
sibling of the socket, as libvirtd's ``libvirt-sock-ro`` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from corral.core import CorralError, ErrorCode, ErrorDomain, NoSupportError

__all__ = ["DEFAULT_URI_ENV", "SOCKET_NAME", "Address", "resolve"]

#: The environment variable holding the default URI (libvirt's ``LIBVIRT_DEFAULT_URI``).
DEFAULT_URI_ENV = "CORRAL_DEFAULT_URI"
#: The read-write socket's name in the runtime directory; ``-ro`` is appended for read-only.
SOCKET_NAME = "corrald-sock"
_RO_SUFFIX = "-ro"
_QUERY_KEYS = ("socket", "mode")


class Address(NamedTuple):
    """Where a connection goes.

    Attributes:
        socket: The UNIX socket's path.
        readonly: True for the read-only socket.
        uri: What was asked for, for messages (the URI, the path, or how it was chosen).
    """

    socket: str
    readonly: bool
    uri: str


def resolve(
    uri: str | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    readonly: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Address:
    """Return the socket ``uri`` names (see the module docstring for the rules).

    Args:
        uri: ``unix:///system``, ``unix:///session``, ``unix:///system?socket=PATH``, a
            socket path, or None for ``$CORRAL_DEFAULT_URI`` or the default daemon.
        root: ``--root DIR``: the system layout under ``DIR``. A URI may name the system
            daemon only (a socket or the session daemon would ignore the root).
        readonly: Use the read-only socket (the ``-ro`` sibling).
        environ: The environment to read (default: ``os.environ``).

    Raises:
        CorralError: INVALID_ARG naming the part of the URI that is wrong.
        NoSupportError: For ``ssh://`` URIs (remote hosts are not supported yet).
    """
    env = os.environ if environ is None else environ
    if uri is None and root is None:
        uri = env.get(DEFAULT_URI_ENV) or None
    if uri is None:
        path = _system_socket(root) if root is not None or os.geteuid() == 0 \
            else _session_socket(env)
        return _address(path, readonly, uri=str(path))
    if "://" not in uri:
        if not uri:
            raise _invalid("the connection URI is empty.")
        if root is not None:
            raise _invalid(f"--root cannot be combined with the socket path '{uri}'.")
        return _address(Path(uri), readonly, uri=uri)
    return _parse_uri(uri, root=root, readonly=readonly, env=env)


def _parse_uri(uri: str, *, root: str | os.PathLike[str] | None, readonly: bool,
               env: Mapping[str, str]) -> Address:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "ssh" or scheme.endswith("+ssh"):
        raise NoSupportError(f"remote connections are not supported yet: '{uri}'.",
                             domain=ErrorDomain.RPC, code=ErrorCode.NO_SUPPORT, uri=uri)
    if scheme != "unix":
        raise _invalid(f"unsupported URI scheme '{parts.scheme}' in '{uri}' "
                       "(expected unix:// or a socket path).")
    if parts.netloc:
        raise _invalid(f"a unix:// URI names no host, but '{uri}' names '{parts.netloc}'.")
    if parts.fragment:
        raise _invalid(f"unexpected fragment '#{parts.fragment}' in '{uri}'.")
    if parts.path not in ("/system", "/session"):
        raise _invalid(f"unknown URI path '{parts.path}' in '{uri}' "
                       "(expected /system or /session).")
    query = _query(uri, parts.query)
    if query.get("mode") == "ro":
        readonly = True
    if root is not None and (parts.path == "/session" or "socket" in query):
        raise _invalid(f"--root cannot be combined with '{uri}' (only unix:///system).")
    if "socket" in query:
        path = Path(query["socket"])
    elif parts.path == "/system":
        path = _system_socket(root if root is not None else "/")
    else:
        path = _session_socket(env)
    return _address(path, readonly, uri=uri)


def _query(uri: str, query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _invalid(f"malformed query '{query}' in '{uri}'.") from None
    found: dict[str, str] = {}
    for key, value in pairs:
        if key not in _QUERY_KEYS:
            raise _invalid(f"unknown URI parameter '{key}' in '{uri}' "
                           f"(known: {', '.join(_QUERY_KEYS)}).")
        if key in found:
            raise _invalid(f"URI parameter '{key}' given twice in '{uri}'.")
        if not value or (key == "mode" and value not in ("ro", "rw")):
            raise _invalid(f"invalid value '{value}' for URI parameter '{key}' in '{uri}'.")
        found[key] = value
    return found


def _system_socket(root: str | os.PathLike[str] | None) -> Path:
    return Path(root if root is not None else "/") / "run/corral" / SOCKET_NAME


def _session_socket(env: Mapping[str, str]) -> Path:
    # HostPaths.session() is corrald's own rule; the client must find the same directory.
    from corral.core import HostPaths

    return HostPaths.session(env).runtime / SOCKET_NAME


def _address(path: Path, readonly: bool, *, uri: str) -> Address:
    socket = str(path)
    if readonly and not socket.endswith(_RO_SUFFIX):
        socket += _RO_SUFFIX
    return Address(socket, readonly, uri)


def _invalid(message: str) -> CorralError:
    return CorralError(f"invalid connection URI: {message}", domain=ErrorDomain.RPC,
                       code=ErrorCode.INVALID_ARG)
