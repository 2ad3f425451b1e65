"""The parent's side of the handshake: wait for the child to be ready, then let it exec.

The child side is the exec helper's ``--handshake READY GO``: it writes ``1`` on READY
and blocks reading GO. Closing GO without writing makes the child exit 125 unexec'd.
"""

from __future__ import annotations

import os

from corral.core._errors import CommandError, ErrorCode
from corral.core.command._lifecycle import Lifecycle

__all__ = ["HandshakeMixin"]


class HandshakeMixin(Lifecycle):
    """handshake_wait / handshake_notify of :class:`~corral.core.Command`.

    Under a dry run both return at once: no child was started to hold back.
    """

    def _handshake_fd(self, what: str, name: str) -> int | None:
        if self._faked is not None:
            return None  # a dry run: there is no child to hold back
        fd = self._running(what).owned.pop(name, None)
        if fd is None:
            raise CommandError(
                f"{what} found no handshake pending for ({self._quoted()}).",
                code=ErrorCode.OPERATION_INVALID,
                argv=self.argv,
            )
        return fd

    def handshake_wait(self) -> None:
        """Block until the child (started with require_handshake) is ready to exec.

        Raises:
            CommandError: No handshake is pending, or the child died before it.
        """
        fd = self._handshake_fd("handshake_wait()", "ready")
        if fd is None:
            return
        try:
            answer = os.read(fd, 1)
        finally:
            os.close(fd)
        if answer != b"1":
            raise CommandError(
                f"The child of ({self._quoted()}) exited before the handshake.",
                code=ErrorCode.OPERATION_FAILED,
                argv=self.argv,
            )

    def handshake_notify(self) -> None:
        """Let the waiting child exec.

        Raises:
            CommandError: No handshake is pending, or the child is gone.
        """
        fd = self._handshake_fd("handshake_notify()", "go")
        if fd is None:
            return
        try:
            os.write(fd, b"1")
        except OSError as exc:
            raise CommandError(
                f"Cannot notify the child of ({self._quoted()}): {exc.strerror}.",
                code=ErrorCode.OPERATION_FAILED,
                argv=self.argv,
            ) from exc
        finally:
            os.close(fd)

    def _refuse_pending_handshake(self, child_owned: dict[str, int]) -> None:
        """Close unread handshake pipes: the waiting child then exits 125 without exec."""
        for name in ("ready", "go"):
            fd = child_owned.pop(name, None)
            if fd is not None:
                os.close(fd)
