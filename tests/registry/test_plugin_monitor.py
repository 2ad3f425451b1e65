"""PluginSpawnMonitor: the engine's seam answered by the plugins' hookimpls.

These tests call the monitor the way the engine does, with a spawn callable of their own, to
pin down the edge cases (errors on each side of the yield); tests/plugins run the real engine.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from corral.core import CommandError, CorralError, ErrorDomain, SpawnRecord
from corral.core.hookspecs import hookimpl
from corral.core.host import PluginSpawnMonitor
from corral.core.host._plugins import new_plugin_manager, register_plugin


def record(*argv: str) -> SpawnRecord:
    return SpawnRecord(argv=argv, env_names=None, cwd=None, mode="run")


def monitor_with(*plugins: object) -> PluginSpawnMonitor:
    manager = new_plugin_manager()
    for index, plugin in enumerate(plugins):
        register_plugin(manager, f"p{index}", plugin)
    return PluginSpawnMonitor(manager)


class Veto:
    def __init__(self, word: str) -> None:
        self.word = word

    @hookimpl
    def corral_spawn_check(self, spawn: SpawnRecord) -> str | None:
        return f"no {self.word}" if self.word in spawn.argv else None


class Around:
    def __init__(self, log: list[str], fail_before: bool = False) -> None:
        self.log, self.fail_before = log, fail_before

    @hookimpl(wrapper=True)
    def corral_spawn(self, spawn: SpawnRecord) -> Generator[None, None, None]:
        if self.fail_before:
            raise KeyError("plugin bug")
        self.log.append("before")
        try:
            yield
        finally:
            self.log.append(f"after status={spawn.status}")


class Swallower:
    @hookimpl(wrapper=True)
    def corral_spawn(self, spawn: SpawnRecord) -> Generator[None, None, None]:
        try:
            yield
        except CommandError:
            pass  # a buggy plugin hiding the failure


def test_the_first_reason_refuses() -> None:
    monitor = monitor_with(Veto("a"), Veto("b"))
    assert monitor.check(record("x", "a")) == "no a"
    assert monitor.check(record("x", "b")) == "no b"
    assert monitor.check(record("x")) is None
    assert monitor_with().check(record("x")) is None


def test_wrappers_surround_exactly_one_spawn() -> None:
    log: list[str] = []
    rec = record("true")

    def spawn() -> None:
        log.append("spawn")
        rec.status = 0

    monitor_with(Around(log)).observe(rec, spawn)
    assert log == ["before", "spawn", "after status=0"]


def test_observe_returns_what_the_spawn_returned() -> None:
    """A wrapper's plain ``yield`` makes the hook's result None: the spawn's value survives."""
    outcome = object()
    assert monitor_with(Around([])).observe(record("true"), lambda: outcome) is outcome
    assert monitor_with().observe(record("true"), lambda: outcome) is outcome


def test_the_spawns_own_error_passes_through_unchanged() -> None:
    log: list[str] = []
    failure = CommandError("exit 1", status=1)

    def spawn() -> None:
        raise failure

    with pytest.raises(CommandError) as caught:
        monitor_with(Around(log)).observe(record("false"), spawn)
    assert caught.value is failure and log == ["before", "after status=None"]


def test_a_swallowed_spawn_error_is_raised_anyway() -> None:
    failure = CommandError("exit 1", status=1)

    def spawn() -> None:
        raise failure

    with pytest.raises(CommandError) as caught:
        monitor_with(Swallower()).observe(record("false"), spawn)
    assert caught.value is failure


def test_a_plugin_bug_is_a_plugin_error_and_nothing_spawns() -> None:
    spawned: list[bool] = []
    with pytest.raises(CorralError) as caught:
        buggy = monitor_with(Around([], fail_before=True))
        buggy.observe(record("x"), lambda: spawned.append(True))
    assert caught.value.domain == ErrorDomain.PLUGIN
    assert str(caught.value) == ("The corral_spawn hookimpl of the plugin 'p0' failed with "
                                 "KeyError: 'plugin bug'")
    assert caught.value.detail["plugin"] == "p0"
    assert isinstance(caught.value.__cause__, KeyError) and spawned == []


def test_reaped_reaches_the_observers() -> None:
    seen: list[int | None] = []

    class Reaper:
        @hookimpl
        def corral_spawn_reaped(self, spawn: SpawnRecord) -> None:
            seen.append(spawn.pid)

    rec = record("sleep")
    rec.pid = 4242
    monitor_with(Reaper()).reaped(rec)
    assert seen == [4242]


def test_a_failing_check_names_the_plugin_among_several() -> None:
    class Broken:
        @hookimpl
        def corral_spawn_check(self, spawn: SpawnRecord) -> str | None:
            return str(1 // 0)

    with pytest.raises(CorralError) as caught:
        monitor_with(Veto("rm"), Broken(), Veto("dd")).check(record("true"))
    assert str(caught.value) == ("The corral_spawn_check hookimpl of the plugin 'p1' failed "
                                 "with ZeroDivisionError: integer division or modulo by zero")
    assert caught.value.domain == ErrorDomain.PLUGIN
