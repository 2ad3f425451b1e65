"""Who watches a spawn: process-wide monitors, a context's own, and how they combine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from corral.core import (
    Command,
    CommandError,
    ErrorCode,
    SpawnMonitor,
    SpawnRecord,
    monitor_all_spawns,
    monitor_spawns,
)
from corral.core.command import _monitor

T = TypeVar("T")


class Log:
    """A monitor that logs its calls under a name and refuses ``argv[1] == refuse``."""

    def __init__(self, name: str, journal: list[str], refuse: str | None = None) -> None:
        self.name, self.journal, self.refuse = name, journal, refuse

    def check(self, record: SpawnRecord) -> str | None:
        self.journal.append(f"{self.name} check")
        return "no" if record.argv[1:2] == (self.refuse,) else None

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        self.journal.append(f"{self.name} before")
        value = spawn()
        self.journal.append(f"{self.name} after {record.status}")
        return value

    def reaped(self, record: SpawnRecord) -> None:
        self.journal.append(f"{self.name} reaped {record.status}")


def in_thread(call: Callable[[], object]) -> None:
    worker = threading.Thread(target=call)
    worker.start()
    worker.join()


def test_a_process_wide_monitor_sees_other_threads() -> None:
    journal: list[str] = []
    with monitor_all_spawns(Log("p", journal)):
        in_thread(lambda: Command("true", "x").run())
    in_thread(lambda: Command("true", "x").run())  # removed again
    assert journal == ["p check", "p before", "p after 0"]


def test_the_same_monitor_from_both_sides_is_asked_once() -> None:
    journal: list[str] = []
    monitor = Log("m", journal)
    with monitor_all_spawns(monitor), monitor_all_spawns(monitor), monitor_spawns(monitor):
        Command("true", "x").run()
    assert journal == ["m check", "m before", "m after 0"]


def test_process_wide_comes_first_and_both_are_asked() -> None:
    journal: list[str] = []
    with monitor_all_spawns(Log("p", journal)), monitor_spawns(Log("c", journal, "bad")):
        command = Command("false", "x")
        command.run_async()
        command.wait(check=False)
        with pytest.raises(CommandError) as caught:
            Command("true", "bad").run()
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert journal == [
        "p check", "c check", "p before", "c before", "c after None", "p after None",
        "p reaped 1", "c reaped 1",
        "p check", "c check",  # the context refused: nothing was spawned
    ]


def test_none_in_a_context_removes_only_the_context_monitor() -> None:
    journal: list[str] = []
    with monitor_all_spawns(Log("p", journal)), monitor_spawns(Log("c", journal)):
        with monitor_spawns(None):
            Command("true", "x").run()
    assert journal == ["p check", "p before", "p after 0"]


def test_overlapping_installs_end_in_any_order() -> None:
    journal: list[str] = []
    first = monitor_all_spawns(Log("a", journal))
    second = monitor_all_spawns(Log("b", journal))
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # a ends while b still runs (two hosts, two threads)
    Command("true", "x").run()
    second.__exit__(None, None, None)
    Command("true", "x").run()
    assert journal == ["b check", "b before", "b after 0"]


def test_a_block_finalised_during_an_update_neither_deadlocks_nor_comes_back() -> None:
    """The GC may close an abandoned block (a Host dropped unstopped) inside an update."""
    journal: list[str] = []
    abandoned: list[object] = []
    block = monitor_all_spawns(Log("abandoned", journal))
    block.__enter__()
    abandoned.append(block)
    del block
    kept = Log("kept", journal)

    def install_kept() -> None:
        def change(installed: tuple[tuple[object, SpawnMonitor], ...]
                   ) -> tuple[tuple[object, SpawnMonitor], ...]:
            abandoned.clear()  # the last reference: the block's finally runs right here
            return (*installed, (object(), kept))

        _monitor._process_wide.update(change)

    worker = threading.Thread(target=install_kept, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "the re-entrant update deadlocked"
    assert [monitor for _, monitor in _monitor._process_wide.entries] == [kept]
