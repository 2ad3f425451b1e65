"""corrald with the shipped hooks and node drivers: start order, SIGHUP, their QMP events."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode, ErrorDomain

from .conftest import Corrald, StartCorrald

HOOKS = 'drivers = ["echo", "hooks"]\n'  # echo named first: corrald must start hooks first


def hook(daemon_root: Path, driver: str, body: str) -> Path:
    """Install ``hooks/<driver>`` under the daemon's config root, executable."""
    directory = daemon_root / "etc/corral/hooks"
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / driver
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def reload(daemon: Corrald) -> None:
    daemon.notifications.clear()
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for_notification("READY=1")


def test_the_hooks_driver_starts_before_the_others(corrald: StartCorrald,
                                                   tmp_path: Path) -> None:
    root = tmp_path / "root"
    marker = tmp_path / "autostart"
    hook(root, "echo", f'echo "$@" >> {marker}\n')
    daemon = corrald(HOOKS, root=root)
    # echo's autostart (begin "boot start" in its initialize) met the hook script.
    assert marker.read_text() == "boot start begin -\n"
    assert daemon.client("admin").call("query-server")["drivers"] == ["hooks", "echo"]


def test_sighup_picks_up_a_new_hook_script(corrald: StartCorrald, tmp_path: Path) -> None:
    daemon = corrald(HOOKS)
    client = daemon.client()
    assert client.call("echo-start", name="before") == {}
    marker = tmp_path / "reloaded"
    hook(daemon.root, "echo", '[ "$1 $2" = "after start" ] && echo no bridge >&2 && exit 3\n'
                              "exit 0\n")
    hook(daemon.root, "daemon", f'echo "$@" >> {marker}\n')
    reload(daemon)
    assert marker.read_text() == "- reload begin SIGHUP\n"  # the daemon's reload hook ran
    with pytest.raises(CorralError) as caught:
        client.call("echo-start", name="after")
    error = caught.value
    assert (error.domain, error.code) == (ErrorDomain.HOOKS, ErrorCode.HOOK_SCRIPT_FAILED)
    assert "exit status 3" in error.message and "no bridge" in error.message
    effects = (daemon.state / "echo-effects.log").read_text().splitlines()
    assert effects == ["start before"]  # refused before the driver did anything


def test_sighup_hands_the_new_settings_to_the_drivers(corrald: StartCorrald) -> None:
    daemon = corrald(HOOKS + "hook_timeout = 30\n")
    hook(daemon.root, "echo", '[ "$1" = slow ] && sleep 8\nexit 0\n')
    client = daemon.client()
    assert client.call("echo-setting", key="hook_timeout") == 30
    conf = daemon.root / "corrald.conf"
    conf.write_text(conf.read_text().replace("hook_timeout = 30", "hook_timeout = 1"))
    reload(daemon)
    assert client.call("echo-setting", key="hook_timeout") == 1
    started = time.monotonic()
    with pytest.raises(CorralError) as caught:  # the hooks driver's reload saw 1 s
        client.call("echo-start", name="slow")
    assert caught.value.code == ErrorCode.HOOK_SCRIPT_FAILED
    assert time.monotonic() - started < 6


def test_a_failing_script_that_aborts_nothing_is_hook_script_failed(
        corrald: StartCorrald) -> None:
    daemon = corrald(HOOKS)
    script = hook(daemon.root, "echo", '[ "$2" = started ] && echo broken >&2 && exit 4\n'
                                       "exit 0\n")
    reload(daemon)
    client = daemon.client()
    assert client.call("echo-start", name="web") == {}  # "started" is never refused
    event = client.wait_event("HOOK_SCRIPT_FAILED")
    data = event["data"]
    assert (data["type"], data["name"], data["event"]) == ("hook", str(script), "failed")
    assert "web started begin -" in data["detail"] and "exit status 4" in data["detail"]
    assert "broken" in data["detail"]


def stand_in(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def test_the_node_drivers_suspend_steps_are_node_suspend(corrald: StartCorrald,
                                                         tmp_path: Path) -> None:
    root = tmp_path / "root"
    state = root / "var/lib/corral"
    (state / "sys/power").mkdir(parents=True)
    (state / "sys/power/state").write_text("freeze mem\n")
    (state / "sys/class/rtc/rtc0").mkdir(parents=True)
    (state / "sys/class/rtc/rtc0/wakealarm").write_text("")
    (state / "run").mkdir()
    bin_dir = tmp_path / "bin"  # nothing here may touch the real RTC or suspend the host
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    stand_in(bin_dir, "pm-is-supported", '[ "$1" = --suspend ]\n')
    stand_in(bin_dir, "rtcwake", f'echo rtcwake "$@" >> {calls}\n')
    stand_in(bin_dir, "pm-suspend", f"echo pm-suspend >> {calls}\n")
    daemon = corrald('drivers = ["fakenode"]\n', root=root, env={
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DBUS_SYSTEM_BUS_ADDRESS": ""})
    client = daemon.client()
    assert client.call("node-suspend", target="mem", duration=60) == {}
    steps = [client.wait_event("NODE_SUSPEND")["data"] for _ in range(3)]
    assert [(s["type"], s["name"], s["event"], s["detail"]) for s in steps] == [
        ("node", "node", "armed", "mem"), ("node", "node", "suspending", "mem"),
        ("node", "node", "resumed", "mem")]
    assert calls.read_text() == "rtcwake -m no -s 60\npm-suspend\n"
