"""QMP's message shapes, checked with QEMU's wording; errors cross the wire intact."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from corral.core import CommandError, CorralError, ErrorCode, ErrorDomain, ProtocolError
from corral.core.protocol import (
    CLASS_KEY,
    ErrorClass,
    error_from_wire,
    error_message,
    error_to_wire,
    event_message,
    execute_message,
    greeting,
    parse_request,
    request_id,
    return_message,
)


def test_greeting_has_qemus_shape() -> None:
    assert greeting((0, 1, 2), capabilities=["x"]) == {"QMP": {
        "version": {"corral": {"major": 0, "minor": 1, "micro": 2},
                    "qemu": {"major": 0, "minor": 1, "micro": 2}, "package": ""},
        "capabilities": ["x"]}}


def test_a_request_is_parsed_with_its_id() -> None:
    request = parse_request({"execute": "q", "arguments": {"a": 1}, "id": None})
    assert (request.name, dict(request.arguments), request.id, request.has_id) == (
        "q", {"a": 1}, None, True)
    assert request.reply({"return": {}}) == {"return": {}, "id": None}
    assert parse_request({"execute": "q"}).reply({"return": {}}) == {"return": {}}


@pytest.mark.parametrize(("message", "desc"), [
    ([1], "QMP input must be a JSON object"),
    ("s", "QMP input must be a JSON object"),
    ({"execute": "q", "bogus": 1}, "QMP input member 'bogus' is unexpected"),
    ({"arguments": {}}, "QMP input lacks member 'execute'"),
    ({"execute": 5}, "QMP input member 'execute' must be a string"),
    ({"execute": "q", "arguments": []}, "QMP input member 'arguments' must be an object"),
    ({"exec-oob": "q"}, "The command q does not support OOB"),
])
def test_malformed_requests_use_qemus_messages(message: Any, desc: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_request(message)
    assert str(caught.value) == desc
    assert caught.value.domain == ErrorDomain.RPC


def test_the_id_of_a_malformed_request_is_still_found() -> None:
    assert request_id({"execute": 5, "id": "x"}) == (True, "x")
    assert request_id([1]) == (False, None)


def test_client_side_messages() -> None:
    assert execute_message("q") == {"execute": "q"}
    assert execute_message("q", {"a": 1}, id=3) == {"execute": "q", "arguments": {"a": 1},
                                                    "id": 3}
    assert return_message(None, id="a") == {"return": {}, "id": "a"}
    assert error_message({"class": "GenericError", "desc": "d"}) == {
        "error": {"class": "GenericError", "desc": "d"}}


def test_event_timestamp() -> None:
    event = event_message("NETWORK_LIFECYCLE", {"name": "n"}, when=12.25)
    assert event == {"event": "NETWORK_LIFECYCLE", "data": {"name": "n"},
                     "timestamp": {"seconds": 12, "microseconds": 250000}}


def test_an_error_crosses_the_wire_as_the_same_class() -> None:
    error = CommandError("It failed.", code=ErrorCode.OPERATION_FAILED, argv=["x"], status=3)
    wire = json.loads(json.dumps(error_to_wire(error)))
    assert wire == {"class": "GenericError", "desc": "It failed.",
                    "data": {CLASS_KEY: "CommandError", "domain": "command", "code": 9,
                             "argv": ["x"], "status": 3}}
    back = error_from_wire(wire)
    assert type(back) is CommandError
    assert (back.message, back.domain, back.code, back.status) == (
        "It failed.", "command", ErrorCode.OPERATION_FAILED, 3)


def test_read_only_refusal_wire_form() -> None:
    error = CorralError("operation forbidden: read only access prevents network-start",
                        domain=ErrorDomain.DAEMON, code=ErrorCode.OPERATION_DENIED)
    wire = error_to_wire(error)
    assert wire["class"] == "GenericError" and wire["data"]["code"] == 29


def test_a_detail_json_cannot_carry_is_sent_as_text() -> None:
    from pathlib import Path

    wire = error_to_wire(CorralError("x", path=Path("/a"), blob=b"b", ratio=float("nan")),
                         ErrorClass.COMMAND_NOT_FOUND)
    assert wire["class"] == "CommandNotFound"
    assert wire["data"]["path"] == "/a" and wire["data"]["blob"] == "b"
    assert wire["data"]["ratio"] == "nan"
    json.dumps(wire, allow_nan=False)  # strict JSON, as the daemon writes it


def test_an_error_from_a_plain_qmp_server_is_rebuilt() -> None:
    error = error_from_wire({"class": "CommandNotFound", "desc": "The command x has not been "
                             "found"})
    assert type(error) is CorralError and error.code == ErrorCode.NO_SUPPORT
    assert error.domain == ErrorDomain.RPC and error.detail["qmp_class"] == "CommandNotFound"
    assert error_from_wire({"class": "GenericError", "desc": "d"}).code == \
        ErrorCode.OPERATION_FAILED


def test_the_protocol_imports_no_xml_plugin_or_host_machinery() -> None:
    code = ("import sys, corral.core.protocol; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lxml', 'pluggy', "
            "'stevedore') or m.startswith(('corral.core.host', 'corral.core.xml'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"
