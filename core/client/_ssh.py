"""The ssh transport: QMP over the standard input and output of the system's ``ssh``.

Corral builds no transport of its own: ``ssh://`` URIs ride OpenSSH, so authentication,
agents, jump hosts, known hosts and ControlMaster multiplexing are ssh's, set in
``~/.ssh/config`` as users expect. The local side runs ``ssh`` through the engine (an
argument vector, never a shell) with one end of a socket pair as its stdin and stdout; the
client speaks QMP over the other end, exactly as over the daemon's own socket. The remote
side runs ``corral tunnel SOCKET`` (:mod:`corral.core.cli._tunnel`), which forwards its
stdio to the daemon's socket byte for byte.

``$CORRAL_SSH`` replaces the ``ssh`` program, as ``GIT_SSH_COMMAND`` does for git: its
words (split as a shell would, but no shell runs) come first, so ``ssh -F my_config`` is
a valid value.

A transport failure (authentication, an unknown host key, an unreachable host, no remote
``corral``, no remote daemon) is one :class:`~corral.core.CorralError` naming the host and
carrying ssh's own message, read from its standard error once it has exited.
"""

from __future__ import annotations

import os
import select
import shlex
import socket
import time
from collections.abc import Mapping

from corral.core import PIPE, Command, CommandError, CorralError, ErrorCode, ErrorDomain
from corral.core.client._uri import Address, SshTarget

__all__ = ["CONNECT_TIMEOUT", "GREETING_TIMEOUT", "SSH_ENV", "SshTunnel", "ssh_argv"]

#: The environment variable replacing the ``ssh`` program (its words, shell-split).
SSH_ENV = "CORRAL_SSH"
#: ssh's ConnectTimeout: how long the TCP connection to the host may take.
CONNECT_TIMEOUT = 10
#: How long the daemon may take to greet once ssh started (connect, authenticate, start
#: the remote bridge): past it the connection is abandoned, never left hanging.
GREETING_TIMEOUT = 30.0
_EXIT_GRACE = 5.0   # seconds ssh may take to exit once its stdin closed
_STDERR_LIMIT = 64 * 1024
# ssh's notes that are no failure (accept-new's first connection).
_NOISE = ("Warning: Permanently added",)


def ssh_argv(address: Address, environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the ssh command line reaching ``address`` (an ``ssh://`` one).

    The remote command is one word holding ``COMMAND tunnel SOCKET``, each part quoted
    for the remote shell (ssh hands its command to the login shell as a string), so a
    socket path with spaces, quotes or ``$`` arrives as it is.
    """
    target = _target(address)
    env = os.environ if environ is None else environ
    argv = shlex.split(env.get(SSH_ENV, "")) or ["ssh"]
    argv += ["-T", "-e", "none", "-o", "BatchMode=yes",
             "-o", f"ConnectTimeout={CONNECT_TIMEOUT}"]
    if target.port is not None:
        argv += ["-p", str(target.port)]
    if target.user is not None:
        argv += ["-l", target.user]
    if target.keyfile is not None:
        argv += ["-i", target.keyfile]
    if target.known_hosts is not None:
        argv += ["-o", f"UserKnownHostsFile={_config_word(target.known_hosts)}"]
    if target.no_verify:
        argv += ["-o", "StrictHostKeyChecking=accept-new"]
    remote = " ".join(shlex.quote(word) for word in (target.command, "tunnel", address.socket))
    return [*argv, "--", target.host, remote]


def _config_word(path: str) -> str:
    # ssh reads the value as configuration: whitespace splits it, % starts a token.
    return '"' + path.replace("%", "%%") + '"'


def _target(address: Address) -> SshTarget:
    if address.remote is None:
        raise CorralError(f"'{address.uri}' is not a remote URI.", domain=ErrorDomain.RPC,
                          code=ErrorCode.INTERNAL_ERROR)
    return address.remote


class SshTunnel:
    """A running ``ssh`` whose stdio is :attr:`socket`'s peer.

    Attributes:
        address: The ``ssh://`` address.
        socket: The local end: QMP goes in and out here.
    """

    def __init__(self, address: Address) -> None:
        self.address = address
        self._target = _target(address)
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._command = Command.from_argv(ssh_argv(address))
        self._command.set_input_fd(theirs.fileno()).set_output_fd(theirs.fileno())
        self._command.set_error_fd(PIPE)
        try:
            self._command.run_async()
        except CorralError as exc:
            self.socket.close()
            raise self._error(f"cannot run ssh: {exc}") from None
        finally:
            theirs.close()
        error_fd = self._command.error_fd
        self._stderr = error_fd if error_fd is not None else -1
        self._started = time.monotonic()

    def failure(self, cause: CorralError) -> CorralError:
        """Close the connection after it failed before the greeting; return why, ssh's way.

        Args:
            cause: What the client saw (the connection closed, or no answer in time).
        """
        self.socket.close()
        # Past the greeting deadline ssh is hung, not ending: no grace to wait out.
        hung = time.monotonic() - self._started >= GREETING_TIMEOUT
        deadline = time.monotonic() + (0.2 if hung else _EXIT_GRACE)
        stderr = self._read_stderr(deadline)
        status = self._reap(deadline)
        text = " ".join(line.strip() for line in stderr.splitlines()
                        if line.strip() and not line.startswith(_NOISE))
        host = self._target.host
        if status is None:
            return self._error(f"'{host}' did not answer over ssh within "
                               f"{GREETING_TIMEOUT:g} seconds ({cause}).")
        if status == 255:  # ssh's own failure: its message says which
            return self._error(f"cannot connect to '{host}' over ssh: "
                               f"{text or 'ssh exited with status 255.'}", status=status)
        if status == 127:  # the remote shell found no such program
            return self._error(
                f"the remote program '{self._target.command}' was not found on '{host}' "
                f"(install corral there, or name it with command=): {text}", status=status)
        if text:  # corral tunnel said why (the remote daemon is not running...)
            reason = text.removeprefix("error: ")
            return self._error(f"cannot reach the daemon on '{host}': {reason}",
                               status=status)
        return self._error(f"the remote program '{self._target.command}' on '{host}' ended "
                           f"(status {status}) before the daemon greeted: {cause}",
                           status=status)

    def close(self) -> None:
        """Reap ssh once the client closed its end (killing it if it lingers)."""
        self._reap(time.monotonic() + _EXIT_GRACE)

    def _read_stderr(self, deadline: float) -> str:
        chunks: list[bytes] = []
        size = 0
        while self._stderr >= 0 and size < _STDERR_LIMIT:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._stderr], [], [], remaining)[0]:
                break
            chunk = os.read(self._stderr, 4096)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)[:_STDERR_LIMIT].decode("utf-8", "replace")

    def _reap(self, deadline: float) -> int | None:
        """Wait for ssh until ``deadline``; return its status, None when it was killed."""
        status: int | None = None
        try:
            result = self._command.wait(timeout=max(0.01, deadline - time.monotonic()),
                                        check=False)
            status = result.status if result.status is not None else 255
        except CommandError as exc:
            if exc.code == ErrorCode.OPERATION_TIMEOUT:
                self._command.abort()
            else:  # killed by a signal: ssh's end, reported as ssh's failure
                status = 255
        finally:
            if self._stderr >= 0:
                os.close(self._stderr)
                self._stderr = -1
        return status

    def _error(self, message: str, **detail: object) -> CorralError:
        return CorralError(message, domain=ErrorDomain.RPC,
                           code=ErrorCode.SYSTEM_ERROR, uri=self.address.uri,
                           host=self._target.host, **detail)
