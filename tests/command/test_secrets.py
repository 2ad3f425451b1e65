"""Secrets reach the child and nothing else; errors show environment names, never values.

Every output the engine produces is grepped for the secret: error str/repr/to_dict, to_string
(both layouts), write_arg_log, argv, repr(cmd), dry-run records and spawn records (the
audit log file is grepped in tests/plugins/test_audit.py).
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from corral.core import Command, CommandError, ErrorCode, SpawnRecord, dry_run, monitor_spawns

PASSWORD = "chap-hunter2"
TOKEN = "tok-sw0rdfish"
PLAIN = "plain-value-7"  # not marked secret: still never in an error

T = TypeVar("T")


def outputs_of(error: CommandError) -> str:
    return "\n".join([str(error), repr(error), json.dumps(error.to_dict())])


def assert_hidden(error: CommandError, *names: str) -> None:
    text = outputs_of(error)
    for value in (PASSWORD, TOKEN, PLAIN):
        assert value not in text, f"{value} leaked: {text}"
    for name in names:
        assert f"{name}='***'" in str(error), str(error)


def with_env(command: Command) -> Command:
    return command.add_env_secret("TOKEN", TOKEN).add_env_pair("PLAIN", PLAIN)


PY = sys.executable


@pytest.mark.parametrize("build", [
    lambda: with_env(Command(PY, "-c", "raise SystemExit(3)")),
    lambda: with_env(Command(PY, "-c", "import os; os.kill(os.getpid(), 9)")),
    lambda: with_env(Command("sleep", "5")).set_timeout(0.05),
], ids=["exit-status", "signal", "timeout"])
def test_errors_show_environment_names_never_values(build: Callable[[], Command]) -> None:
    with pytest.raises(CommandError) as caught:
        build().add_arg_secret(PASSWORD).run()
    assert_hidden(caught.value, "TOKEN", "PLAIN")
    assert caught.value.argv is not None and caught.value.argv[-1] == "***"


def test_a_plain_pair_never_shows_in_an_error() -> None:
    with pytest.raises(CommandError) as caught:
        Command("false").add_env_pair("PLAIN", PLAIN).add_env_pair("LC_ALL", "C").run()
    assert_hidden(caught.value, "PLAIN", "LC_ALL")
    assert str(caught.value) == (
        "Child process (PLAIN='***' LC_ALL='***' false) unexpected exit status 1"
    )


@pytest.mark.parametrize("action", ["run", "to_string"])
def test_a_secret_given_to_add_env_string_without_equals_is_not_quoted(action: str) -> None:
    # A caller who passes the value instead of NAME=VALUE by mistake: the error names the
    # length of the string, never the string.
    command = Command("true").add_env_string(PASSWORD)
    with pytest.raises(CommandError) as caught:
        getattr(command, action)()
    assert_hidden(caught.value)
    assert PASSWORD not in repr(caught.value.detail) + repr(caught.value.args)
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert (f"add_env_string() needs NAME=VALUE; got a {len(PASSWORD)}-character string "
            "without '='") in str(caught.value)


def test_an_already_running_error_hides_values() -> None:
    command = with_env(Command("sleep", "5")).add_arg_secret(PASSWORD)
    command.run_async()
    try:
        with pytest.raises(CommandError) as caught:
            command.run()
        assert caught.value.code == ErrorCode.OPERATION_INVALID
        assert_hidden(caught.value, "TOKEN", "PLAIN")
        assert PASSWORD not in repr(command)
    finally:
        command.abort()


@pytest.mark.timeout(30)
def test_a_held_pidfile_error_hides_values(tmp_path: Path) -> None:
    pidfile = tmp_path / "held.pid"
    Command("sleep", "60").daemonize().set_pidfile(pidfile).run()
    holder = int(pidfile.read_text())
    try:
        with pytest.raises(CommandError) as caught:
            with_env(Command("sleep", "60")).daemonize().set_pidfile(pidfile).run()
        assert "is locked by process" in str(caught.value)
        assert_hidden(caught.value, "TOKEN", "PLAIN")
    finally:
        os.kill(holder, signal.SIGKILL)


def test_a_dry_run_failure_hides_values() -> None:
    with dry_run(lambda argv, env, data: (3, "", "")), pytest.raises(CommandError) as caught:
        with_env(Command("iscsiadm")).add_arg_secret(PASSWORD).run()
    assert caught.value.status == 3
    assert_hidden(caught.value, "TOKEN", "PLAIN")


def iscsiadm_update(binary: str | Path = "iscsiadm") -> Command:
    """libvirt's CHAP update: the password reaches iscsiadm as an argument."""
    return (
        Command(binary, "--mode", "node", "--op", "update")
        .add_arg_list("--name", "node.session.auth.password", "--value")
        .add_arg_secret(PASSWORD)
        .add_env_secret("TOKEN", TOKEN)
    )


def test_the_child_gets_the_secrets_and_every_rendering_masks_them(commandhelper) -> None:
    command = iscsiadm_update(commandhelper.path)
    command.set_output_buffer().run()
    lines = commandhelper.log_lines()
    assert f"ARG:{PASSWORD}" in lines and f"ENV:TOKEN={TOKEN}" in lines

    log = io.StringIO()
    command.write_arg_log(log)
    renderings = [command.to_string(), command.to_string(linebreaks=True), log.getvalue(),
                  repr(command), " ".join(command.argv)]
    for text in renderings:
        assert PASSWORD not in text and TOKEN not in text, text
    assert command.to_string().endswith("--value '***'")
    assert command.to_string().startswith("TOKEN='***' ")
    assert log.getvalue().startswith("TOKEN=*** ") and log.getvalue().endswith("--value ***\n")


class Keep:
    def __init__(self) -> None:
        self.records: list[SpawnRecord] = []

    def check(self, record: SpawnRecord) -> str | None:
        return None

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        value = spawn()
        self.records.append(record)
        return value

    def reaped(self, record: SpawnRecord) -> None:
        pass


@pytest.fixture
def kept() -> Iterator[Keep]:
    keep = Keep()
    with monitor_spawns(keep):
        yield keep


def test_dry_run_records_mask_but_the_callback_fakes_the_real_tool(kept: Keep) -> None:
    seen: list[tuple[list[str], dict[str, str]]] = []

    def tool(argv: list[str], env: dict[str, str], data: bytes | None) -> None:
        seen.append((argv, env))

    with dry_run(tool) as dr:
        iscsiadm_update().run()
    [argv_env] = seen
    assert argv_env[0][-1] == PASSWORD and argv_env[1]["TOKEN"] == TOKEN
    assert dr.commands == [
        "TOKEN='***' iscsiadm --mode node --op update --name node.session.auth.password "
        "--value '***'"
    ]
    [record] = kept.records
    assert PASSWORD not in repr(record) and TOKEN not in repr(record)
    assert record.argv[-1] == "***" and record.env_names == ("TOKEN",)


def test_a_spawn_record_masks_a_secret_argument(kept: Keep) -> None:
    Command("true").add_arg_secret(PASSWORD).add_env_secret("TOKEN", TOKEN).run()
    [record] = kept.records
    assert record.argv == ("true", "***") and PASSWORD not in repr(record)


def test_a_name_set_secret_stays_secret_and_a_bad_secret_is_a_deferred_error() -> None:
    command = Command("true").add_env_secret("TOKEN", TOKEN).add_env_pair("TOKEN", "again")
    assert command.to_string() == "TOKEN='***' true"
    broken = Command("true").add_arg_secret(3.5)
    with pytest.raises(CommandError, match="argument 1 has type float"):
        broken.to_string()
