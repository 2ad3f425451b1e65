"""Build the errors the state package raises, so every message has the same shape.

All state errors are :class:`~corral.core.CorralError` in the ``state`` domain; an
``OSError`` becomes ``SYSTEM_ERROR`` with the errno kept in the detail so callers can
tell "missing" from "forbidden" without parsing the message.
"""

from __future__ import annotations

import errno
import os

from corral.core._errors import CorralError, ErrorCode, ErrorDomain


def system_error(action: str, path: str | os.PathLike[str], exc: OSError) -> CorralError:
    """Translate an ``OSError`` met while acting on ``path``.

    Args:
        action: What was being done, as a verb phrase ("open the pid file").
        path: The file or directory involved.
        exc: The operating system's error; raise the result ``from exc``.

    Returns:
        A ``SYSTEM_ERROR`` naming the path and the operating system's reason (for a
        symbolic link refused with ``O_NOFOLLOW``, that it is one).
    """
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ELOOP and os.path.islink(path):
        # What O_NOFOLLOW reports; "too many levels of symbolic links" would mislead.
        reason = "it is a symbolic link, and corral never follows one at a state file's path"
    return CorralError(
        f"Cannot {action} '{os.fspath(path)}': {reason}.",
        domain=ErrorDomain.STATE,
        code=ErrorCode.SYSTEM_ERROR,
        path=os.fspath(path),
        errno=exc.errno,
    )


def busy_error(path: str | os.PathLike[str], holder: int) -> CorralError:
    """Report a pid file that another owner holds locked.

    Args:
        path: The pid file.
        holder: The pid of the process that holds the lock.

    Returns:
        A ``RESOURCE_BUSY`` error naming the file and the holder.
    """
    return CorralError(
        f"Pid file '{os.fspath(path)}' is locked by process {holder}.",
        domain=ErrorDomain.STATE,
        code=ErrorCode.RESOURCE_BUSY,
        path=os.fspath(path),
        pid=holder,
    )


def state_error(message: str, code: ErrorCode, **detail: object) -> CorralError:
    """Build any other state-domain error.

    Args:
        message: A complete sentence naming the culprit.
        code: What went wrong.
        **detail: Machine-readable context.

    Returns:
        The error, ready to raise.
    """
    return CorralError(message, domain=ErrorDomain.STATE, code=code, **detail)
