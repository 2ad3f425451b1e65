"""node-suspend as libvirt's virNodeSuspendForDuration, through dry runs and fake sysfs roots.

This machine has no RTC alarm and must not suspend, so every command is answered by
``replay`` and the probe reads fake ``/sys`` and ``/run`` trees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corral.core import CommandError, CorralError, ErrorCode, HookScriptError, NoSupportError
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.host import Host
from corral.core.testing import Recorded, replay, running_host
from corral.drivers.hooks import HooksDriver
from corral.drivers.node import NodeDriver, probe_support

PM_MISSING = [Recorded(("pm-is-supported", option), status=127)
              for option in ("--suspend", "--hibernate", "--suspend-hybrid")]
RTCWAKE = ("rtcwake", "-m", "no", "-s", "120")


def fake_sys(root: Path, state: str = "freeze mem disk",
             disk: str = "[platform] shutdown reboot suspend", alarm: bool = True) -> Path:
    (root / "power").mkdir(parents=True)
    (root / "power/state").write_text(state + "\n")
    (root / "power/disk").write_text(disk + "\n")
    if alarm:
        (root / "class/rtc/rtc0").mkdir(parents=True)
        (root / "class/rtc/rtc0/wakealarm").write_text("")
    return root


@pytest.fixture(autouse=True)
def _no_system_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SYSTEM_BUS_ADDRESS", raising=False)


@dataclasses.dataclass
class Steps:
    """Every node lifecycle step a plugin sees, begin or event."""

    seen: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> None:
        self.seen.append(("begin", event.event, event.detail))

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        self.seen.append(("event", event.event, event.detail))


def node_class(sys_root: Path, run_root: Path, delay: float = 0.0) -> type[NodeDriver]:
    class FakeRootNode(NodeDriver):
        suspend_delay = delay

        def __init__(self) -> None:
            super().__init__(sys_root=sys_root, run_root=run_root)

    return FakeRootNode


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    run = tmp_path / "run"
    run.mkdir()
    return fake_sys(tmp_path / "sys"), run


@pytest.fixture
def host(tmp_path: Path, roots: tuple[Path, Path]) -> Iterator[Host]:
    with running_host(tmp_path / "host", drivers={"node": node_class(*roots)}) as started:
        yield started


def suspend(host: Host, **arguments: Any) -> Any:
    return host.call("node", "node-suspend", **arguments)


def test_the_sequence_is_probe_alarm_reply_then_the_suspend(host: Host) -> None:
    steps = Steps()
    host.plugins.register(steps)
    with replay([*PM_MISSING, Recorded(RTCWAKE), Recorded(("systemctl", "suspend"))],
                all_used=True) as table:
        assert suspend(host, target="mem", duration=120) == {}
        assert host.drivers["node"].join_suspend(timeout=10)
    assert table.commands == ["pm-is-supported --suspend", "pm-is-supported --hibernate",
                              "pm-is-supported --suspend-hybrid", "rtcwake -m no -s 120",
                              "systemctl suspend"]
    assert steps.seen == [("begin", "suspend", "mem"), ("event", "armed", "mem"),
                          ("event", "suspending", "mem"), ("event", "resumed", "mem")]


@pytest.mark.parametrize(("target", "verb"), [("disk", "hibernate"),
                                              ("hybrid", "hybrid-sleep")])
def test_disk_and_hybrid_use_systemctls_verbs(host: Host, target: str, verb: str) -> None:
    with replay([*PM_MISSING, Recorded(RTCWAKE), Recorded(("systemctl", verb))],
                all_used=True) as table:
        suspend(host, target=target, duration=120)
        assert host.drivers["node"].join_suspend(timeout=10)
    assert table.commands[-1] == f"systemctl {verb}"


def test_pm_utils_suspends_with_its_own_commands(host: Host) -> None:
    answers = [Recorded(("pm-is-supported", "--suspend")),
               Recorded(("pm-is-supported", "--hibernate"), status=1),
               Recorded(("pm-is-supported", "--suspend-hybrid"), status=1)]
    with replay([*answers, Recorded(RTCWAKE), Recorded(("pm-suspend",))],
                all_used=True) as table:
        suspend(host, target="mem", duration=120)
        assert host.drivers["node"].join_suspend(timeout=10)
        with pytest.raises(NoSupportError, match="cannot suspend to 'disk' \\(pm-utils "
                                                 "supports: mem\\)"):
            suspend(host, target="disk", duration=120)
    assert table.commands[-1] == "pm-suspend"


@pytest.mark.parametrize("duration", [0, 59, -5])
def test_under_60_seconds_is_refused_before_anything_about_the_host(
    tmp_path: Path, duration: int
) -> None:
    # A host that has nothing at all: the caller still hears about the duration first.
    empty = tmp_path / "empty"
    empty.mkdir()
    with running_host(tmp_path / "h", drivers={"node": node_class(empty, empty)}) as host:
        with replay([]) as table, pytest.raises(CorralError) as caught:
            suspend(host, target="mem", duration=duration)
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert str(caught.value) == (f"The suspend duration must be at least 60 seconds, not "
                                 f"{duration}.")
    assert table.commands == []


def test_one_suspend_at_a_time_and_shutdown_cancels_a_waiting_one(
    tmp_path: Path, roots: tuple[Path, Path]
) -> None:
    steps = Steps()
    with replay([*PM_MISSING, Recorded(RTCWAKE)]) as table:
        with running_host(tmp_path / "h", drivers={"node": node_class(*roots, delay=60)}) as host:
            host.plugins.register(steps)
            suspend(host, target="mem", duration=120)
            with pytest.raises(CorralError, match="Suspend operation already in progress") \
                    as caught:
                suspend(host, target="mem", duration=300)
            assert caught.value.code == ErrorCode.OPERATION_INVALID
    # Shutting down woke the waiting thread: no suspend command ran.
    assert table.commands[-1] == "rtcwake -m no -s 120"
    assert steps.seen[-1] == ("event", "cancelled", "mem")


def test_a_failing_rtcwake_aborts_before_any_suspend_and_clears_the_flag(host: Host) -> None:
    failing = Recorded(RTCWAKE, stderr="rtcwake: /dev/rtc0: unable to find device", status=1)
    with replay([*PM_MISSING, failing]) as table:
        with pytest.raises(CommandError, match="unable to find device"):
            suspend(host, target="mem", duration=120)
        with pytest.raises(CommandError):  # not "already in progress": the flag cleared
            suspend(host, target="mem", duration=120)
    assert not any(command.startswith("systemctl") for command in table.commands)


def test_a_failing_suspend_command_is_announced_and_clears_the_flag(host: Host) -> None:
    steps = Steps()
    host.plugins.register(steps)
    with replay([*PM_MISSING, Recorded(RTCWAKE),
                 Recorded(("systemctl", "suspend"), stderr="Access denied", status=1)]):
        suspend(host, target="mem", duration=120)
        assert host.drivers["node"].join_suspend(timeout=10)
        suspend(host, target="mem", duration=120)  # pending cleared: accepted again
        assert host.drivers["node"].join_suspend(timeout=10)
    assert ("event", "failed") == steps.seen[3][:2] and "Access denied" in steps.seen[3][2]


def test_an_unsupported_target_or_a_missing_alarm_is_no_support(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    only_mem = fake_sys(tmp_path / "a", state="freeze mem", disk="")
    no_alarm = fake_sys(tmp_path / "b", alarm=False)
    with running_host(tmp_path / "h1", drivers={"node": node_class(only_mem, run)}) as host, \
            replay(PM_MISSING) as table:
        with pytest.raises(NoSupportError, match=r"cannot suspend to 'disk' \(sysfs supports: "
                                                 r"mem\)"):
            suspend(host, target="disk", duration=120)
    assert "rtcwake" not in " ".join(table.commands)
    with running_host(tmp_path / "h2", drivers={"node": node_class(no_alarm, run)}) as host, \
            replay(PM_MISSING):
        with pytest.raises(NoSupportError, match="no RTC wake alarm"):
            suspend(host, target="mem", duration=120)


def test_the_probe_runs_once(host: Host) -> None:
    with replay([*PM_MISSING, Recorded(RTCWAKE), Recorded(("systemctl", "suspend"))]) as table:
        for _ in range(2):
            suspend(host, target="mem", duration=120)
            assert host.drivers["node"].join_suspend(timeout=10)
    assert [c for c in table.commands if c.startswith("pm-is")] == [
        "pm-is-supported --suspend", "pm-is-supported --hibernate",
        "pm-is-supported --suspend-hybrid"]


def test_a_failing_node_hook_refuses_the_suspend_before_the_alarm(
    tmp_path: Path, roots: tuple[Path, Path]
) -> None:
    script = tmp_path / "h" / "etc" / "corral" / "hooks" / "node"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\nexit 1\n")
    script.chmod(0o755)
    denied = Recorded((str(script), "-", "suspend", "begin", "mem"), status=1)
    with replay([Recorded((str(script), "-", "start", "-", "start")), denied,
                 Recorded((str(script), "-", "shutdown", "-", "shutdown")), *PM_MISSING]) as table:
        with running_host(tmp_path / "h", drivers={"hooks": HooksDriver,
                                                   "node": node_class(*roots)}) as host:
            with pytest.raises(HookScriptError, match="- suspend begin mem failed with exit "
                                                      "status 1"):
                suspend(host, target="mem", duration=120)
    assert "rtcwake" not in " ".join(table.commands)


# The probe on its own, against fake roots.

def test_sysfs_alone_gives_mem_disk_and_hybrid(tmp_path: Path) -> None:
    sys_root = fake_sys(tmp_path / "sys")
    with replay(PM_MISSING):
        support = probe_support(sys_root, tmp_path / "run")
    assert (support.source, support.targets) == ("sysfs", {"mem", "disk", "hybrid"})
    with replay(PM_MISSING):
        bare = probe_support(fake_sys(tmp_path / "s2", state="freeze", disk=""), tmp_path)
    assert bare.targets == frozenset()


def logind(method: str, answer: str, tool: str = "busctl") -> Recorded:
    if tool == "busctl":
        argv = ("busctl", "call", "org.freedesktop.login1", "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager", method)
        return Recorded(argv, f's "{answer}"\n')
    argv = ("gdbus", "call", "--system", "--dest", "org.freedesktop.login1", "--object-path",
            "/org/freedesktop/login1", "--method", f"org.freedesktop.login1.Manager.{method}")
    return Recorded(argv, f"('{answer}',)\n")


@pytest.fixture
def bus(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "dbus").mkdir(parents=True)
    (run / "dbus/system_bus_socket").write_text("")
    return run


def test_logind_answers_first_when_there_is_a_bus(tmp_path: Path, bus: Path) -> None:
    runs = [logind("CanSuspend", "yes"), logind("CanHibernate", "challenge"),
            logind("CanHybridSleep", "no")]
    with replay(runs, all_used=True):
        support = probe_support(fake_sys(tmp_path / "sys", state="freeze"), bus)
    assert (support.source, support.targets) == ("logind", {"mem", "disk"})
    assert support.command("disk") == ("systemctl", "hibernate")


def test_gdbus_stands_in_for_a_missing_busctl(tmp_path: Path, bus: Path) -> None:
    runs = []
    for method, answer in (("CanSuspend", "na"), ("CanHibernate", "yes"),
                           ("CanHybridSleep", "no")):
        missing = logind(method, "")
        runs += [Recorded(missing.argv, status=127), logind(method, answer, tool="gdbus")]
    with replay(runs, all_used=True):
        support = probe_support(fake_sys(tmp_path / "sys"), bus)
    assert (support.source, support.targets) == ("logind", {"disk"})


def test_without_logind_pm_utils_decides(tmp_path: Path, bus: Path) -> None:
    no_logind = [dataclasses.replace(logind(m, ""), status=1, stdout="")
                 for m in ("CanSuspend", "CanHibernate", "CanHybridSleep")]
    pm = [Recorded(("pm-is-supported", "--suspend"), status=1),
          Recorded(("pm-is-supported", "--hibernate")),
          Recorded(("pm-is-supported", "--suspend-hybrid"), status=1)]
    with replay([*no_logind, *pm], all_used=True):
        support = probe_support(fake_sys(tmp_path / "sys"), bus)
    assert (support.source, support.targets) == ("pm-utils", {"disk"})
    assert support.command("disk") == ("pm-hibernate",)


def test_an_unknown_target_is_invalid_arg_before_anything_runs(host: Host) -> None:
    wanted = "needs the argument 'target' as one of 'mem', 'disk', 'hybrid', not str"
    with replay([]) as table, pytest.raises(CorralError, match=wanted) as caught:
        suspend(host, target="standby", duration=120)
    assert caught.value.code == ErrorCode.INVALID_ARG and table.commands == []
