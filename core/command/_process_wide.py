"""A value installed for the whole process by blocks that may nest, overlap and end in any order.

The spawn monitors (``monitor_all_spawns``) and the all-threads dry runs
(``dry_run(all_threads=True)``) are both kept this way: every thread sees them, so a worker
thread cannot escape them, while each block removes exactly the entry it added.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["ProcessWide"]

T = TypeVar("T")


class ProcessWide(Generic[T]):
    """The entries installed by the active blocks, oldest first.

    Attributes:
        entries: One ``(token, value)`` pair per active block (the same value may be
            installed twice, by two blocks). A tuple replaced under the lock, so the spawn
            hot path reads it without locking.
    """

    def __init__(self) -> None:
        self.entries: tuple[tuple[object, T], ...] = ()
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def installed(self, value: T) -> Iterator[T]:
        """Add ``value`` until the block ends, then remove this block's entry only."""
        entry = (object(), value)  # this block's own entry, whatever the value's equality
        self.update(lambda entries: (*entries, entry))
        try:
            yield value
        finally:
            self.update(lambda entries: tuple(e for e in entries if e is not entry))

    def update(self, change: Callable[[tuple[tuple[object, T], ...]],
                                      tuple[tuple[object, T], ...]]) -> None:
        """Replace the entries by ``change(them)``, losing no concurrent update.

        The lock is re-entrant and the update retried because the garbage collector may
        finalise an abandoned block (a Host dropped without stopping) in the middle of
        ``change``, on this very thread: that block removes its own entry, and this one
        must not then write back a tuple computed from the old value.
        """
        with self._lock:
            while True:
                before = self.entries
                after = change(before)
                if self.entries is before:
                    self.entries = after
                    return
