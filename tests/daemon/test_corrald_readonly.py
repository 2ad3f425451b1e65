"""The read-only socket: every command that changes something is refused before it runs.

The list is not written down here: it is what corrald itself says it serves
(``query-commands``), so a command added tomorrow is checked tomorrow.
"""

from __future__ import annotations

from typing import Any

import pytest
from corral.core import ErrorCode

from .conftest import Corrald, StartCorrald


@pytest.fixture
def daemon(corrald: StartCorrald) -> Corrald:
    return corrald()


def sample_arguments(command: dict[str, Any]) -> dict[str, Any]:
    """Arguments that would pass the type check, so only the read-only rule can refuse."""
    samples = {"str": "x", "int": 1, "float": 0.01, "bool": True}
    return {argument["name"]: samples.get(argument["type"], "x")
            for argument in command["arguments"] if argument["required"]}


def test_every_mutating_command_is_refused_on_the_read_only_socket(daemon: Corrald) -> None:
    commands = daemon.client("ro").call("query-commands")
    mutating = [c for c in commands if not c["read-only"]]
    assert len(mutating) >= 5, "the test drivers offer mutating commands"
    ro = daemon.client("ro")
    for command in mutating:
        reply = ro.execute(command["name"], sample_arguments(command), id=command["name"])
        error = reply["error"]
        assert reply["id"] == command["name"]
        assert error["class"] == "GenericError", command
        assert error["desc"] == f"operation forbidden: read only access prevents {command['name']}"
        assert error["data"]["code"] == ErrorCode.OPERATION_DENIED == 29
    # Nothing ran: every mutating test operation records its effect first.
    assert not (daemon.state / "echo-effects.log").exists()


def test_the_refusal_comes_before_the_argument_check(daemon: Corrald) -> None:
    reply = daemon.client("ro").execute("echo-set", {"bogus": 1})
    assert reply["error"]["data"]["code"] == ErrorCode.OPERATION_DENIED


def test_read_only_commands_work_on_the_read_only_socket(daemon: Corrald) -> None:
    daemon.client().call("echo-set", key="k", value=3)
    ro = daemon.client("ro")
    assert ro.call("echo-get", key="k") == 3
    readable = [c for c in ro.call("query-commands") if c["read-only"]]
    for command in readable:
        reply = ro.execute(command["name"], sample_arguments(command))
        if "error" in reply:  # a read-only command may fail on its sample, never as denied
            assert reply["error"]["data"]["code"] != ErrorCode.OPERATION_DENIED, command


def test_the_read_write_socket_runs_mutating_commands(daemon: Corrald) -> None:
    assert daemon.client().call("echo-set", key="k", value=1) == {}
    assert (daemon.state / "echo-effects.log").read_text() == "set k\n"
