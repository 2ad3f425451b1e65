"""The hook-script runner with real scripts: arguments, stdin, order, abort or not, limits."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from corral.core import ConfigError, CorralError, ErrorCode, ErrorDomain, HookScriptError

from .conftest import Events, FakePools, Hooks, HostFactory

NETWORK_XML = "<network>\n  <name>net1</name>\n  <bridge name='virbr9'/>\n</network>\n"


def test_start_started_stopped_reach_the_script_with_libvirts_arguments(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.recorder("network")
    with host_with_hooks() as host:
        host.call("network", "fake-start", name="net1", xml=NETWORK_XML)
        host.call("network", "fake-define", name="net1")  # "defined" runs no script
        host.call("network", "fake-stop", name="net1", xml=NETWORK_XML)
    assert hooks.args() == [
        ("network", "net1", "start", "begin", "-"),
        ("network", "net1", "started", "begin", "-"),
        ("network", "net1", "stopped", "end", "-"),
    ]


def test_a_network_script_reads_the_xml_in_libvirts_hookdata_wrapper(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.recorder("network")
    with host_with_hooks() as host:
        host.call("network", "fake-start", name="net1",
                  xml="<?xml version='1.0'?>\n" + NETWORK_XML)
    wrapped = ("<hookData>\n  <network>\n    <name>net1</name>\n"
               "    <bridge name='virbr9'/>\n  </network>\n</hookData>\n")
    assert hooks.stdin() == wrapped * 2  # start begin, then started begin


def test_the_daemon_scripts_run_at_start_reload_and_shutdown(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.recorder("daemon")
    with host_with_hooks() as host:
        assert hooks.args() == [("daemon", "-", "start", "-", "start")]
        host.reload()
    assert hooks.args()[1:] == [("daemon", "-", "reload", "begin", "SIGHUP"),
                                ("daemon", "-", "shutdown", "-", "shutdown")]


def test_main_script_first_then_d_entries_in_byte_order_non_executables_skipped(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    for name in ("network", "network.d/b", "network.d/a", "network.d/B", "network.d/10-x",
                 "network.d/9-y", "network.d/\u00e9t\u00e9"):
        hooks.recorder(name)
    hooks.recorder("network.d/0-not-executable", mode=0o644)
    (hooks.directory / "network.d" / "0-subdir").mkdir()
    with host_with_hooks() as host:
        assert host.call("hooks", "hook-list") == {"network": [
            str(hooks.directory / name) for name in (
                "network", "network.d/10-x", "network.d/9-y", "network.d/B", "network.d/a",
                "network.d/b", "network.d/\u00e9t\u00e9")]}
        host.call("network", "fake-start", name="n")
    starts = [call[0] for call in hooks.args() if call[2] == "start"]
    assert starts == ["network", "network.d/10-x", "network.d/9-y", "network.d/B",
                      "network.d/a", "network.d/b", "network.d/\u00e9t\u00e9"]


def test_a_failing_start_hook_refuses_the_start_naming_script_status_and_stderr(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    failing = hooks.recorder("network.d/20-deny",
                             then="echo 'starting is not allowed here' >&2; exit 3")
    hooks.recorder("network.d/30-later")
    with host_with_hooks() as host:
        with pytest.raises(HookScriptError) as caught:
            host.call("network", "fake-start", name="net1")
        assert host.drivers["network"].running == set()  # refused before any work
    error = caught.value
    assert (error.domain, error.code) == (ErrorDomain.HOOKS, ErrorCode.HOOK_SCRIPT_FAILED)
    assert str(error) == (f"Hook script execution failed: {failing} net1 start begin - failed "
                          "with exit status 3: starting is not allowed here")
    assert error.detail["script"] == str(failing) and error.detail["status"] == 3
    assert error.detail["stderr"] == "starting is not allowed here"
    # libvirt runs every .d script even after one failed; no "started" follows.
    assert [call[0] for call in hooks.args()] == ["network.d/20-deny", "network.d/30-later"]


def test_a_failing_stopped_hook_is_logged_and_announced_and_the_stop_happens(
    hooks: Hooks, host_with_hooks: HostFactory, events: Events,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = hooks.script("network", 'test "$2" != stopped || { echo cleanup broke >&2; exit 4; }')
    with host_with_hooks() as host:
        host.plugins.register(events)
        host.call("network", "fake-start", name="net1")
        host.call("network", "fake-stop", name="net1")  # does not raise
        assert host.drivers["network"].running == set()
    [failure] = events.failures()
    assert (failure.name, failure.event, failure.driver) == (str(failing), "failed", "hooks")
    assert "net1 stopped end - failed with exit status 4: cleanup broke" in failure.detail
    assert any("cleanup broke" in record.getMessage() and record.levelname == "ERROR"
               for record in caplog.records)


def test_a_failing_daemon_hook_never_stops_the_host(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.script("daemon", "exit 1")
    with host_with_hooks() as host:
        host.reload()
        assert set(host.drivers) == {"hooks", "network"}


@pytest.mark.slow
def test_a_hanging_hook_is_killed_at_the_timeout_and_fails(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.script("network", "sleep 60")
    with host_with_hooks(config="hook_timeout = 1\n") as host:
        started = time.monotonic()
        with pytest.raises(HookScriptError, match=r"did not finish within 1 seconds and was "
                                                  "killed"):
            host.call("network", "fake-start", name="net1")
        assert time.monotonic() - started < 10


def test_a_hook_leaving_a_background_child_on_its_output_does_not_hang(
    hooks: Hooks, host_with_hooks: HostFactory, tmp_path: Path
) -> None:
    pidfile = tmp_path / "background.pid"
    # The child inherits stdin, stdout and stderr and outlives the script.
    hooks.script("network", f"sleep 60 &\necho $! > '{pidfile}'\necho still here >&2\nexit 0")
    try:
        with host_with_hooks(config="hook_timeout = 20\n") as host:
            started = time.monotonic()
            host.call("network", "fake-start", name="net1")
            assert time.monotonic() - started < 10  # not the 20 s timeout, nor 60 s
            assert host.drivers["network"].running == {"net1"}
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_shell_metacharacters_in_an_object_name_reach_the_script_literally(
    hooks: Hooks, host_with_hooks: HostFactory, tmp_path: Path
) -> None:
    hooks.recorder("network")
    name = f"a;touch {tmp_path}/pwned $(touch {tmp_path}/pwned2) `id` * | & > x"
    with host_with_hooks() as host:
        host.call("network", "fake-start", name=name)
    assert hooks.args()[0] == ("network", name, "start", "begin", "-")
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


def test_the_environment_is_libvirts_pass_common_only(
    hooks: Hooks, host_with_hooks: HostFactory, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CORRAL_TEST_PRIVATE", "must not leak")
    dump = tmp_path / "env.txt"
    hooks.script("network", f"env > '{dump}'")
    with host_with_hooks() as host:
        host.call("network", "fake-start", name="n")
    names = {line.split("=", 1)[0] for line in dump.read_text().splitlines()}
    assert "LC_ALL=C" in dump.read_text().splitlines()
    assert "CORRAL_TEST_PRIVATE" not in names
    assert names <= {"LC_ALL", "PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LD_PRELOAD",
                     "LD_LIBRARY_PATH", "PWD", "SHLVL", "_"}  # the last three: sh's own


def test_only_the_tail_of_a_huge_stderr_is_kept(hooks: Hooks, host_with_hooks: HostFactory
                                                 ) -> None:
    hooks.script("network", "head -c 3000000 /dev/zero | tr '\\0' x >&2; echo THE-END >&2; "
                            "exit 2")
    with host_with_hooks() as host:
        with pytest.raises(HookScriptError) as caught:
            host.call("network", "fake-start", name="n")
    stderr = caught.value.detail["stderr"]
    assert stderr.endswith("THE-END") and len(stderr) == 2000


def test_scripts_are_found_at_start_and_on_reload_not_on_every_call(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    with host_with_hooks() as host:
        hooks.recorder("network")
        host.call("network", "fake-start", name="before")
        assert hooks.calls() == []
        host.reload()
        host.call("network", "fake-start", name="after")
    assert [call[1] for call in hooks.calls()] == ["after", "after"]


def test_a_script_removed_since_the_scan_is_a_failure_not_a_crash(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    script = hooks.script("network", "exit 0")
    with host_with_hooks() as host:
        script.unlink()
        with pytest.raises(HookScriptError, match=r"network net1 start begin - failed with "
                                                  r"exit status 127"):
            host.call("network", "fake-start", name="net1")


def test_a_bad_hook_timeout_stops_the_driver_start(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    with pytest.raises(CorralError, match="'hook_timeout' must be a positive number") as caught:
        with host_with_hooks(config="hook_timeout = 0\n"):
            pass
    assert isinstance(caught.value.__cause__, ConfigError)


def test_a_pool_reaches_the_storage_script_by_its_drivers_name_with_its_xml(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.recorder("storage")
    hooks.recorder("pool")  # the object type names no script
    with host_with_hooks(storage=FakePools) as host:
        host.call("storage", "fake-pool-start", name="p1", xml="<pool type='iscsi'/>\n")
    assert hooks.args() == [("storage", "p1", "start", "begin", "-"),
                            ("storage", "p1", "started", "begin", "-")]
    assert hooks.stdin() == "<pool type='iscsi'/>\n" * 2


def test_a_hook_killed_by_a_signal_is_a_failure_naming_the_signal(
    hooks: Hooks, host_with_hooks: HostFactory
) -> None:
    hooks.script("network", "echo dying >&2; kill -KILL $$")
    with host_with_hooks() as host:
        with pytest.raises(HookScriptError, match=r"start begin - was killed by signal 9: "
                                                  r"dying$") as caught:
            host.call("network", "fake-start", name="n")
    assert (caught.value.detail["signal"], caught.value.detail["status"]) == (9, None)
