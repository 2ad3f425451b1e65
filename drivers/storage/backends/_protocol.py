"""What a storage backend is: the protocol the storage driver calls, and what it returns.

A backend serves one pool type (the ``corral.storage.backends`` entry point named after
it: ``iscsi``, ``iscsi-direct``). The entry point is a callable taking no arguments that
returns a :class:`StorageBackend` (a class is fine). The driver owns everything else: the
definitions, the state files, the secrets, the lifecycle events, the per-target lock that
serialises two starts of one pool. A backend only talks to the storage, through
``corral.core.Command``, and must leave nothing behind when :meth:`~StorageBackend.start`
fails.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Protocol

from corral.core import CorralError, ErrorCode, ErrorDomain

if TYPE_CHECKING:
    from corral.drivers.storage.conf import PoolDefinition

__all__ = ["Chap", "FoundSource", "StorageBackend", "StorageError", "Volume", "last_lines",
           "redact"]


class Secret(Protocol):
    """A secret value that shows itself only when asked (the driver's ``SecretValue``)."""

    def reveal(self) -> str:
        """Return the value, to hand to a tool as a secret argument or variable."""
        ...


@dataclasses.dataclass(frozen=True)
class Chap:
    """CHAP credentials: the pool's ``<auth username>`` and its secret's value.

    ``repr`` shows the username only; the password is a :class:`Secret`.
    """

    username: str
    password: Secret = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Volume:
    """A volume of a pool, with the fields of libvirt's ``virStorageVolInfo``.

    Attributes:
        name: ``unit:B:T:L`` (libvirt's name for a LUN).
        key: A name stable across restarts (``ip-HOST:PORT-iscsi-TARGET-lun-L``).
        path: Where it is reached (a ``/dev/disk/by-path`` link, or the key).
        type: ``block`` (a kernel block device) or ``network`` (reached over iSCSI).
        capacity: Its size in bytes, exact.
        allocation: Bytes allocated (a LUN is allocated in full: its capacity).
    """

    name: str
    key: str
    path: str
    type: str
    capacity: int
    allocation: int

    def to_dict(self) -> dict[str, Any]:
        """Return the ``volume-list`` entry."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FoundSource:
    """A pool source ``pool-find-sources`` found: the portal and a target on it."""

    host: str
    port: int
    device: str


class StorageError(CorralError):
    """A backend could not do what it was asked; ``detail`` names the portal and target."""

    default_domain = ErrorDomain.STORAGE
    default_code = ErrorCode.OPERATION_FAILED


class StorageBackend(Protocol):
    """The operations a pool type implements; every one may raise :class:`StorageError`."""

    def find_sources(self, host: str, port: int | None,
                     initiator: str | None) -> list[FoundSource]:
        """Return the targets the portal ``host:port`` offers, in its order."""
        ...

    def check(self, pool: PoolDefinition) -> bool:
        """Return True if ``pool`` is still active (re-attach after a daemon restart)."""
        ...

    def start(self, pool: PoolDefinition, chap: Chap | None) -> None:
        """Make ``pool`` active (log in); a login already there is success.

        On failure, remove what this call created before raising.
        """
        ...

    def refresh(self, pool: PoolDefinition, chap: Chap | None) -> list[Volume]:
        """Return the volumes of the active ``pool``, sorted by name."""
        ...

    def stop(self, pool: PoolDefinition) -> None:
        """Make ``pool`` inactive (log out); an absent session is success."""
        ...


def redact(text: str, chap: Chap | None) -> str:
    """Return a tool's ``text`` with the CHAP password (if it ever appears) read ``***``."""
    if chap is None:
        return text
    password = chap.password.reveal()
    return text.replace(password, "***") if password else text


def last_lines(text: str, budget: int = 400) -> str:
    """Return a tool's last whole lines of ``text``, within ``budget`` characters, on one line.

    An error message is one line: the lines kept are joined with ``; ``, and a line is never
    cut mid-word (the last line alone is kept whole even when it is longer than the budget).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    kept: list[str] = []
    for line in reversed(lines):
        if kept and len("; ".join([line, *kept])) > budget:
            break
        kept.insert(0, line)
    return "; ".join(kept)
