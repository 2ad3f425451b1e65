"""Timing helpers shared by the benchmarks: touched-memory ballast and interleaved medians.

Fork copies the parent's page tables, so spawn latency depends on how much memory the
parent has *touched*. The ballast is a bytearray whose every page is written, which is
what makes the 2 GiB figure mean something (an untouched allocation costs fork nothing).

Contenders are timed interleaved (A, B, A, B, ... with the order rotated every round) so a
drift of the machine (another job, frequency scaling) hits all of them alike, and the
median is reported because a spawn now and then waits for the scheduler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

PAGE = 4096
MIB = 1 << 20
GIB = 1 << 30


class Ballast:
    """Memory the benchmark process holds and has written to, page by page."""

    def __init__(self) -> None:
        self._blocks: list[bytearray] = []

    @property
    def size(self) -> int:
        """Bytes held."""
        return sum(len(block) for block in self._blocks)

    def grow_to(self, nbytes: int) -> None:
        """Hold ``nbytes`` in total, writing every new page so the kernel really maps it."""
        missing = nbytes - self.size
        if missing <= 0:
            return
        block = bytearray(missing)
        # One write per page: a slice assignment with a page-sized step.
        block[::PAGE] = b"\x01" * len(range(0, missing, PAGE))
        self._blocks.append(block)


def rss_mib() -> float:
    """The resident set size of this process in MiB, from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_once(function: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def timed_rounds(functions: Sequence[Callable[[], object]], rounds: int) -> list[list[float]]:
    """Time every function in turn, round after round, rotating who goes first.

    Args:
        functions: The contenders; each call is one measured operation.
        rounds: How many times each is called.

    Returns:
        The durations in seconds, one list per function (same order).
    """
    samples: list[list[float]] = [[] for _ in functions]
    for number in range(rounds):
        shift = number % len(functions)
        for index in [*range(shift, len(functions)), *range(shift)]:
            samples[index].append(time_once(functions[index]))
    return samples
