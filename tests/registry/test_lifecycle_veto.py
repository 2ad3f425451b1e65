"""The lifecycle veto seam: a plugin (or the hook-script runner, a driver) refuses a start.

Order for a start: ``corral_lifecycle_begin`` (vetoable) → the driver's work → ``started``;
a refusal leaves nothing done, and no ``started`` event follows.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from corral.core import (
    Command,
    Config,
    CorralError,
    Driver,
    DriverContext,
    ErrorCode,
    ErrorDomain,
    HookScriptError,
    HostPaths,
    SpawnRecord,
    operation,
)
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.host import Host, Registry


class Pools(Driver):
    """Starting a pool: ask first, then run a real command, then announce it."""

    domain = ErrorDomain.STORAGE

    @operation
    def pool_start(self, name: str) -> None:
        self.context.begin("pool", name, "start")
        Command("true", name).run()
        self.context.emit("pool", name, "started")


class Guard:
    """A plugin refusing to start the pool named 'locked'; it records what it sees."""

    seen: list[str] = []

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> str | None:
        Guard.seen.append(f"begin {event.name} {event.event}")
        return "the pool 'locked' is under maintenance" if event.name == "locked" else None

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        Guard.seen.append(f"event {event.name} {event.event}")

    @hookimpl
    def corral_spawn_check(self, spawn: SpawnRecord) -> None:
        Guard.seen.append(f"spawn {' '.join(spawn.argv)}")


def open_host(tmp_path: Path, **drivers: type[Driver]) -> Host:
    conf = tmp_path / "corrald.conf"
    conf.write_text('plugins = ["guard"]\n')
    Guard.seen = []
    registry = Registry.for_test(drivers={"pools": Pools, **drivers}, plugins={"guard": Guard})
    host = Host.open(registry, HostPaths.under_root(tmp_path / "root"), conf, privileged=False)
    host.start_drivers(["pools", *drivers])
    return host


def test_begin_work_started_in_that_order(tmp_path: Path) -> None:
    host = open_host(tmp_path)
    host.call("pools", "pool-start", name="tank")
    assert Guard.seen == ["begin tank start", "spawn true tank", "event tank started"]


def test_a_real_plugin_refuses_and_nothing_is_done(tmp_path: Path) -> None:
    host = open_host(tmp_path)
    with pytest.raises(CorralError) as caught:
        host.call("pools", "pool-start", name="locked")
    assert str(caught.value) == ("A plugin refused to let the pool 'locked' start: the pool "
                                 "'locked' is under maintenance")
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert caught.value.domain is ErrorDomain.STORAGE
    assert caught.value.detail["reason"] == "the pool 'locked' is under maintenance"
    assert Guard.seen == ["begin locked start"]  # no command ran, no "started" followed


class HookRunner(Driver):
    """Stands for the hook-script runner: a driver whose hookimpls judge other drivers."""

    domain = ErrorDomain.HOOKS

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> None:
        if event.name == "scripted":
            raise HookScriptError("Hook script execution failed: pool.d/50-check exited 1.",
                                  script="pool.d/50-check", status=1)


def test_a_driver_with_hookimpls_vetoes_another_drivers_start_while_it_runs(
    tmp_path: Path,
) -> None:
    host = open_host(tmp_path, hooks=HookRunner)
    with pytest.raises(HookScriptError) as caught:
        host.call("pools", "pool-start", name="scripted")
    assert caught.value.code == ErrorCode.HOOK_SCRIPT_FAILED
    assert caught.value.detail == {"script": "pool.d/50-check", "status": 1}
    assert not [seen for seen in Guard.seen if not seen.startswith("begin")]  # nothing ran
    host.shutdown()  # the runner stops: it judges nothing any more
    assert host.plugins.get_plugin("driver:hooks") is None


class Broken:
    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> None:
        raise RuntimeError("oops")


def test_a_plugin_bug_in_begin_is_named(tmp_path: Path) -> None:
    host = open_host(tmp_path)
    host.plugins.register(Broken(), name="broken")
    with pytest.raises(CorralError, match="The corral_lifecycle_begin hookimpl of the plugin "
                                          "'broken' failed with RuntimeError: oops") as caught:
        host.call("pools", "pool-start", name="tank")
    assert caught.value.domain == ErrorDomain.PLUGIN


def test_a_driver_without_hookimpls_is_no_plugin(tmp_path: Path) -> None:
    host = open_host(tmp_path)
    assert host.plugins.get_plugin("driver:pools") is None


def test_the_context_asks_its_sink(tmp_path: Path) -> None:
    class Refusing:
        def begin(self, event: LifecycleEvent) -> str | None:
            return f"no {event.event}"

        def emit(self, event: LifecycleEvent) -> None:
            raise AssertionError("not reached")

    context = DriverContext("x", HostPaths.under_root(tmp_path), Refusing(),
                            logging.getLogger("x"), Config.defaults(()), domain="leases")
    with pytest.raises(CorralError, match="let the lease 'a' define: no define") as caught:
        context.begin("lease", "a", "define")
    assert caught.value.domain == "leases"
