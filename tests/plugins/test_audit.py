"""The audit plugin: a JSON line per spawn, refusal and event, never an env value."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from corral.core import Command, CommandError, ErrorCode, dry_run
from corral.core.hookspecs import LifecycleEvent


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_run_is_recorded_with_env_names_but_no_values(make_host, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with host.monitored():
        result = Command("true", "arg").add_env_pair("SECRET_TOKEN", "hunter2").run()
    [record] = records(log)
    assert record["kind"] == "spawn" and record["argv"] == ["true", "arg"]
    assert record["env_names"] == ["SECRET_TOKEN"]
    assert "hunter2" not in log.read_text()
    assert (record["pid"], record["status"], record["signal"]) == (result.pid, 0, None)
    assert record["duration"] > 0 and record["dry_run"] is False and record["error"] is None
    assert record["time"].endswith("+00:00")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_timeout_logs_no_environment_values(make_host, tmp_path: Path) -> None:
    # The engine's timeout message once rendered the command with its environment values
    # ("Child process (TOKEN='it is hunter2' sleep 5) timed out ..."): neither may now.
    log = tmp_path / "audit.log"
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    command = Command("sleep", "5").add_env_pair("TOKEN", "it's hunter2").set_timeout(0.05)
    with host.monitored(), pytest.raises(CommandError) as caught:
        command.add_env_pair("OTHER", "hunter3").run()
    assert "TOKEN='***' OTHER='***' sleep 5" in str(caught.value)  # names, never values
    [record] = records(log)
    assert "hunter2" not in log.read_text() and "hunter3" not in log.read_text()
    assert record["env_names"] == ["OTHER", "TOKEN"]
    assert record["error"].startswith("operation timeout") and record["pid"] > 0


def test_the_default_log_lives_in_the_state_directory(make_host, tmp_path: Path) -> None:
    host = make_host('plugins = ["audit"]\n')
    with host.monitored():
        Command("true").run()
    assert records(tmp_path / "root/var/lib/corral/audit.log")[0]["argv"] == ["true"]


def test_a_failed_command_is_recorded_and_still_raises(make_host, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with host.monitored(), pytest.raises(CommandError):
        Command("false").run()
    [record] = records(log)
    assert record["status"] == 1 and record["argv"] == ["false"]


def test_async_children_are_recorded_when_started_and_when_reaped(make_host, tmp_path) -> None:
    log = tmp_path / "audit.log"
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with host.monitored():
        command = Command("true")
        pid = command.run_async()
        command.wait()
    started, reaped = records(log)
    assert (started["kind"], started["pid"], started["mode"]) == ("spawn", pid, "async")
    assert (reaped["kind"], reaped["pid"], reaped["status"]) == ("reaped", pid, 0)


def test_dry_runs_and_lifecycle_events_are_recorded(make_host, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with host.monitored(), dry_run():
        Command("/usr/sbin/dnsmasq", "--test").run()
    host.plugins.hook.corral_lifecycle_event(event=LifecycleEvent(
        "network", "default", "started", xml="<network><name>default</name></network>"))
    spawn, event = records(log)
    assert "xml" not in event and "<network>" not in log.read_text()
    assert spawn["dry_run"] is True and spawn["argv"] == ["/usr/sbin/dnsmasq", "--test"]
    assert {k: event[k] for k in ("kind", "object_type", "name", "event", "detail")} == {
        "kind": "lifecycle", "object_type": "network", "name": "default", "event": "started",
        "detail": ""}


def test_refusals_are_recorded_with_the_reason(make_host, tmp_path: Path) -> None:
    log, rules = tmp_path / "audit.log", tmp_path / "policy.rules"
    rules.write_text("deny arg --force\n")
    host = make_host(f'plugins = ["audit", "policy"]\naudit_log_file = "{log}"\n'
                     f'policy_rules_file = "{rules}"\n')
    with host.monitored(), pytest.raises(CommandError) as caught:
        Command("true", "--force").run()
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    [record] = records(log)
    assert record["kind"] == "denied" and record["argv"] == ["true", "--force"]
    assert record["reason"] == f"refused by the policy rule 'deny arg --force' at {rules}:1"


def test_a_write_failure_never_breaks_the_spawn(
    make_host, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "a-directory"
    log.mkdir()  # opening a directory for writing fails, even for root
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with caplog.at_level(logging.ERROR, logger="corral.plugins.audit"), host.monitored():
        result = Command("true").run()
    assert result.status == 0
    assert f"Cannot write the audit log {log}" in caplog.text


def test_a_link_planted_at_the_log_path_is_never_written_through(
    make_host, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("root:x:0:0:root:/root:/bin/bash\n")
    log = tmp_path / "audit.log"
    log.symlink_to(victim)
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with caplog.at_level(logging.ERROR, logger="corral.plugins.audit"), host.monitored():
        assert Command("true").run().status == 0
    assert victim.read_text() == "root:x:0:0:root:/root:/bin/bash\n"
    assert log.is_symlink()
    assert f"Cannot write the audit log {log}: " in caplog.text
    assert "it is a symbolic link" in caplog.text


@pytest.mark.parametrize("reader", [False, True])
def test_a_fifo_at_the_log_path_neither_hangs_the_spawn_nor_gets_the_record(
    make_host, tmp_path: Path, caplog: pytest.LogCaptureFixture, reader: bool
) -> None:
    log = tmp_path / "audit.log"
    os.mkfifo(log)
    # With a reader the open succeeds at once; the record must still not go down the pipe.
    read_end = os.open(log, os.O_RDONLY | os.O_NONBLOCK) if reader else None
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    done: list[int | None] = []
    with caplog.at_level(logging.ERROR, logger="corral.plugins.audit"), host.monitored():
        worker = threading.Thread(target=lambda: done.append(Command("true").run().status),
                                  daemon=True)
        worker.start()
        worker.join(timeout=10)
        if worker.is_alive():  # unblock the hung open() so the test process can end
            os.close(os.open(log, os.O_RDONLY | os.O_NONBLOCK))
            pytest.fail("the spawn hung opening the FIFO at the audit log's path")
    try:
        if read_end is not None:
            assert os.read(read_end, 65536) == b""  # the pipe holds nothing: end of file
    finally:
        if read_end is not None:
            os.close(read_end)
    assert done == [0]
    assert f"Cannot write the audit log {log}: " in caplog.text
    assert "it is not a regular file" in caplog.text


def test_secret_arguments_and_values_never_reach_the_log(make_host, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    host = make_host(f'plugins = ["audit"]\naudit_log_file = "{log}"\n')
    with host.monitored():
        Command("true", "--value").add_arg_secret("chap-hunter2").add_env_secret(
            "TOKEN", "tok-sw0rdfish").run()
        with pytest.raises(CommandError):
            Command("false").add_arg_secret("chap-hunter2").run()
        async_run = Command("true").add_arg_secret("chap-hunter2")
        async_run.run_async()
        async_run.wait()
    text = log.read_text()
    assert "chap-hunter2" not in text and "tok-sw0rdfish" not in text
    assert [record["argv"] for record in records(log)] == [
        ["true", "--value", "***"], ["false", "***"], ["true", "***"], ["true", "***"]]
