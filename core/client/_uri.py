"""Which socket a connection URI names, libvirt's way.

``unix:///system`` and ``unix:///session`` name the local daemon's sockets (the system
runtime directory ``/run/corral``, or ``$XDG_RUNTIME_DIR/corral`` for a user), a
``socket=PATH`` query names the socket itself, a bare path is a socket, and ``--root DIR``
puts the system layout under ``DIR``. With none of them, ``$CORRAL_DEFAULT_URI`` is used,
then the system daemon for root and the session daemon for anyone else (libvirt's
``qemu:///system`` / ``qemu:///session`` default). Read-only connections use the ``-ro``
sibling of the socket, as libvirtd's ``libvirt-sock-ro`` does.

``ssh://[USER@]HOST[:PORT]/system`` (or ``/session``) names a daemon on another host,
reached through the system's ``ssh`` (:mod:`corral.core.client._ssh`); its query takes
libvirt's ``socket``, ``keyfile``, ``known_hosts``, ``no_verify``, ``command`` and
``mode``. Query values are percent-decoded as libvirt's (``+`` stays a plus sign).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from corral.core import CorralError, ErrorCode, ErrorDomain

__all__ = ["DEFAULT_URI_ENV", "SOCKET_NAME", "Address", "SshTarget", "resolve"]

#: The environment variable holding the default URI (libvirt's ``LIBVIRT_DEFAULT_URI``).
DEFAULT_URI_ENV = "CORRAL_DEFAULT_URI"
#: The read-write socket's name in the runtime directory; ``-ro`` is appended for read-only.
SOCKET_NAME = "corrald-sock"
_RO_SUFFIX = "-ro"
_UNIX_KEYS = ("socket", "mode")
_SSH_KEYS = ("socket", "keyfile", "known_hosts", "no_verify", "command", "mode")
#: The program the remote side runs as ``COMMAND tunnel SOCKET`` unless ``command=`` says.
REMOTE_COMMAND = "corral"
# A word ssh would read as an option, or a control character: never a host or a user.
_BAD_NAME = re.compile(r"^-|[\x00-\x20\x7f]")


class SshTarget(NamedTuple):
    """The remote end of an ``ssh://`` URI.

    Attributes:
        host: The host ssh connects to (a name, an address, or an ``~/.ssh/config`` alias).
        user: The remote user (None: ssh's choice).
        port: The port (None: ssh's choice, 22 unless its configuration says).
        keyfile: The private key to authenticate with (``-i``).
        known_hosts: The known-hosts file (``UserKnownHostsFile``).
        no_verify: Accept a host key not seen before (``StrictHostKeyChecking=accept-new``).
        command: The remote ``corral`` program.
    """

    host: str
    user: str | None = None
    port: int | None = None
    keyfile: str | None = None
    known_hosts: str | None = None
    no_verify: bool = False
    command: str = REMOTE_COMMAND


class Address(NamedTuple):
    """Where a connection goes.

    Attributes:
        socket: The UNIX socket's path (on the remote host when ``remote`` is set; there
            it may be a ``unix:///session`` URI, which only the remote side can resolve).
        readonly: True for the read-only socket.
        uri: What was asked for, for messages (the URI, the path, or how it was chosen).
        remote: The ssh end of an ``ssh://`` URI; None for a local socket.
    """

    socket: str
    readonly: bool
    uri: str
    remote: SshTarget | None = None


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
    try:
        parts = urlsplit(uri)
    except ValueError as exc:  # an unbalanced '[' or ']' around an IPv6 host
        raise _invalid(f"{exc} in '{uri}'.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("unix", "ssh"):
        raise _invalid(f"unsupported URI scheme '{parts.scheme}' in '{uri}' "
                       "(expected unix://, ssh:// or a socket path).")
    if parts.fragment:
        raise _invalid(f"unexpected fragment '#{parts.fragment}' in '{uri}'.")
    if parts.path not in ("/system", "/session"):
        raise _invalid(f"unknown URI path '{parts.path}' in '{uri}' "
                       "(expected /system or /session).")
    if scheme == "ssh":
        if root is not None:
            raise _invalid(f"--root cannot be combined with the remote URI '{uri}'.")
        return _ssh_address(uri, parts.netloc, parts.path, parts.query, readonly)
    if parts.netloc:
        raise _invalid(f"a unix:// URI names no host, but '{uri}' names '{parts.netloc}'.")
    query = _query(uri, parts.query, _UNIX_KEYS)
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


def _ssh_address(uri: str, netloc: str, path: str, query_text: str,
                 readonly: bool) -> Address:
    user, at, hostport = netloc.rpartition("@")
    if not at:
        user = ""
    if ":" in user:
        raise _invalid(f"'{uri}' holds a password; ssh:// URIs carry none "
                       "(use a key, keyfile= or an agent).")
    user = unquote(user)
    host, port = _host_port(uri, hostport)
    if at and (not user or _BAD_NAME.search(user)):
        raise _invalid(f"invalid user '{user}' in '{uri}'.")
    query = _query(uri, query_text, _SSH_KEYS)
    no_verify = query.get("no_verify", "0")
    if no_verify not in ("0", "1"):
        raise _invalid(f"invalid value '{no_verify}' for URI parameter 'no_verify' in "
                       f"'{uri}' (expected 0 or 1).")
    readonly = readonly or query.get("mode") == "ro"
    target = SshTarget(host, user or None, port, query.get("keyfile"),
                       query.get("known_hosts"), no_verify == "1",
                       query.get("command", REMOTE_COMMAND))
    if "socket" in query:
        remote_socket = query["socket"]
    elif path == "/system":
        remote_socket = str(_system_socket("/"))
    else:  # the remote user's runtime directory: only the remote side knows it
        remote_socket = "unix:///session"
    if remote_socket.startswith("unix://"):
        socket = remote_socket + ("?mode=ro" if readonly else "")
        return Address(socket, readonly, uri, target)
    return _address(Path(remote_socket), readonly, uri=uri)._replace(remote=target)


def _host_port(uri: str, hostport: str) -> tuple[str, int | None]:
    host, port_text = hostport, ""
    if hostport.startswith("["):  # [IPv6]:port (urlsplit checked the brackets pair)
        close = hostport.index("]")
        host, rest = hostport[1:close], hostport[close + 1:]
        if rest and not rest.startswith(":"):
            raise _invalid(f"unexpected '{rest}' after the host in '{uri}'.")
        port_text = rest[1:]
    elif ":" in hostport:
        host, _, port_text = hostport.rpartition(":")
    host = unquote(host)
    if not host:
        raise _invalid(f"an ssh:// URI names a host, but '{uri}' names none.")
    if _BAD_NAME.search(host):
        raise _invalid(f"invalid host '{host}' in '{uri}'.")
    if not port_text and ":" not in hostport.rpartition("]")[2]:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _invalid(f"invalid port '{port_text}' in '{uri}' (expected 1 to 65535).")
    return host, int(port_text)


def _query(uri: str, query: str, known: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in query.split("&") if query else ():
        key, equals, raw = pair.partition("=")
        if not equals:
            raise _invalid(f"malformed query '{query}' in '{uri}' (expected NAME=VALUE).")
        key, value = unquote(key), unquote(raw)  # not unquote_plus: libvirt keeps '+'
        if key not in known:
            raise _invalid(f"unknown URI parameter '{key}' in '{uri}' "
                           f"(known: {', '.join(known)}).")
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
