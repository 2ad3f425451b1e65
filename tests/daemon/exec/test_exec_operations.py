"""What the daemon reads from ExecService: each command's QMP name, arguments and tag."""

from __future__ import annotations

from typing import Any

import pytest
from corral.core import ConfigError, CorralError, ErrorCode
from corral.core._operation import describe, is_operation
from corral.core._settings import Config
from corral.core.daemon.exec import CONFIG_KEYS, ExecService, ExecSettings

EXPECTED = {
    "guest-exec": (False, [("path", True), ("arg", False), ("env", False),
                           ("input-data", False), ("capture-output", False),
                           ("handle-stdin", False), ("handle-stdout", False),
                           ("handle-stderr", False), ("cwd", False), ("timeout", False)]),
    "guest-exec-status": (True, [("pid", True)]),
    "guest-exec-terminate": (False, [("pid", True)]),
    "guest-pipe-open": (False, [("mode", True)]),
    "guest-file-read": (False, [("handle", True), ("count", False)]),
    "guest-file-write": (False, [("handle", True), ("buf-b64", True), ("count", False)]),
    "guest-file-close": (False, [("handle", True)]),
}


def operations() -> dict[str, Any]:
    methods = [value for value in vars(ExecService).values() if is_operation(value)]
    return {describe(method).name: describe(method) for method in methods}


def test_every_command_with_its_qmp_arguments_and_read_only_tag() -> None:
    found = {name: (op.read_only, [(arg.name, arg.required) for arg in op.arguments])
             for name, op in operations().items()}
    assert found == EXPECTED
    assert all(op.summary for op in operations().values())


def test_bind_takes_qmp_spelling_and_checks_types() -> None:
    guest_exec = operations()["guest-exec"]
    bound = guest_exec.bind({"path": "ls", "input-data": "", "capture-output": "merged",
                             "handle-stdout": 1000, "timeout": 2},
                            driver="exec", domain="daemon")
    assert bound == {"path": "ls", "input_data": "", "capture_output": "merged",
                     "handle_stdout": 1000, "timeout": 2}
    assert guest_exec.bind({"path": "ls", "capture-output": True}, driver="exec",
                           domain="daemon")["capture_output"] is True
    for wrong in ({"path": "ls", "capture-output": "all"}, {"path": "ls", "arg": "-l"},
                  {"path": "ls", "env": [1]}, {"path": 1}, {"arg": []},
                  {"path": "ls", "params": []}):
        with pytest.raises(CorralError) as caught:
            guest_exec.bind(wrong, driver="exec", domain="daemon")
        assert caught.value.code == ErrorCode.INVALID_ARG


def test_the_config_keys_match_the_settings() -> None:
    defaults = ExecSettings()
    names = {"exec_max_records": defaults.max_records,
             "exec_retention_seconds": defaults.retention_seconds,
             "exec_capture_max_bytes": defaults.capture_max_bytes,
             "exec_max_running": defaults.max_running,
             "exec_max_pipes": defaults.max_pipes}
    assert {key.name: key.default for key in CONFIG_KEYS} == names
    assert all(key.kind == "int" and key.doc for key in CONFIG_KEYS)
    assert ExecSettings.from_config(Config.defaults(CONFIG_KEYS)) == defaults
    assert ExecSettings.from_config({"exec_max_records": 5}).max_records == 5


@pytest.mark.parametrize("settings", [{"max_records": 0}, {"retention_seconds": -1},
                                      {"capture_max_bytes": True}, {"terminate_grace": "1"}])
def test_settings_must_be_positive_numbers(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ExecSettings(**settings)


def test_a_config_value_of_the_wrong_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        ExecSettings.from_config({"exec_max_running": "many"})
    assert "exec_max_running" in str(caught.value)
