"""A lock per iSCSI target that holds across processes and threads: ``flock(2)`` on a file.

os-brick learnt it the hard way (LP #1947370): an in-process lock does not stop a second
process logging in to the same target at the same moment, and iscsiadm does not survive
duplicate logins well. ``flock`` locks belong to an open file description, not to the
process, so two threads taking the lock through their own ``open`` exclude each other
too (POSIX record locks would not). The file is never removed: removing it while another
process waits on it would let a third one lock a new file of the same name.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from corral.core import CorralError, ErrorCode, ErrorDomain

__all__ = ["target_lock", "target_lock_path"]


def target_lock_path(directory: Path, *parts: str) -> Path:
    """Return the lock file of the target ``parts`` name (type, portal, IQN) in ``directory``.

    The name is readable where it can be, and always unique (a hash of the parts).
    """
    joined = "\0".join(parts)
    readable = re.sub(r"[^A-Za-z0-9.:_-]+", "_", "-".join(parts))[:80]
    return directory / f"{readable}.{hashlib.sha256(joined.encode()).hexdigest()[:12]}.lock"


@contextlib.contextmanager
def target_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``path`` (created 0600 if missing) for the block.

    Raises:
        CorralError: SYSTEM_ERROR (domain storage) if the file cannot be opened or locked.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise CorralError(f"Cannot open the target lock {path}: {exc.strerror}.",
                          domain=ErrorDomain.STORAGE, code=ErrorCode.SYSTEM_ERROR,
                          path=str(path), errno=exc.errno) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the description releases the flock
