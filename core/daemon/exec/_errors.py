"""The errors of the guest-exec family: daemon-domain CorralErrors with libvirt's codes."""

from __future__ import annotations

from typing import Any

from corral.core._errors import CorralError, ErrorCode, ErrorDomain

__all__ = ["busy", "invalid_arg", "invalid_operation", "no_such_handle", "no_such_pid"]


def invalid_arg(message: str, argument: str, **detail: Any) -> CorralError:
    """A bad argument value (bad base64, an unknown capture mode): INVALID_ARG.

    The value itself is never quoted: an env item or input data may be a secret.
    """
    return CorralError(message, domain=ErrorDomain.DAEMON, code=ErrorCode.INVALID_ARG,
                       argument=argument, **detail)


def invalid_operation(message: str, **detail: Any) -> CorralError:
    """A call that does not fit the object's state: OPERATION_INVALID."""
    return CorralError(message, domain=ErrorDomain.DAEMON, code=ErrorCode.OPERATION_INVALID,
                       **detail)


def busy(message: str, **detail: Any) -> CorralError:
    """A limit is reached: RESOURCE_BUSY (libvirt's code for a resource in use)."""
    return CorralError(message, domain=ErrorDomain.DAEMON, code=ErrorCode.RESOURCE_BUSY,
                       **detail)


def no_such_pid(pid: int) -> CorralError:
    """The pid names no exec record (never started here, or its retention ended)."""
    return invalid_arg(
        f"There is no exec with pid {pid}: it was not started by guest-exec, or its "
        "record has expired.", "pid", pid=pid)


def no_such_handle(handle: int) -> CorralError:
    """The handle names no open pipe."""
    return invalid_arg(f"There is no open pipe handle {handle}.", "handle", handle=handle)
