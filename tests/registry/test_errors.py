"""The error model is open: any subclass survives copies, pickling and the wire form.

The daemon sends errors as ``to_dict()`` and the client rebuilds them with ``from_dict()``;
both, pickling (executors, multiprocessing) and the host's ``wrap_failure`` must work for a
driver's own error class, whatever its constructor takes.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import corral.core
import pytest
from corral.core import (
    CommandError,
    CorralError,
    ErrorCode,
    ErrorDomain,
    ProtocolError,
    XMLError,
)
from corral.core.host._registry import wrap_failure

SHIPPED = sorted(
    (value for name in corral.core.__all__
     if isinstance(value := getattr(corral.core, name), type) and issubclass(value, CorralError)),
    key=lambda klass: klass.__name__,
)


class LeaseError(CorralError):
    """A third-party driver's error: its own constructor, its own domain."""

    default_domain = "leases"
    default_code = ErrorCode.OPERATION_FAILED

    def __init__(self, mac: str, address: str) -> None:
        super().__init__(f"The lease of {mac} for {address} expired.", mac=mac,
                         address=address)
        self.mac = mac


def wire_round_trip(error: CorralError) -> CorralError:
    return CorralError.from_dict(json.loads(json.dumps(error.to_dict())))


def same(a: CorralError, b: CorralError) -> None:
    assert type(a) is type(b)
    assert (a.message, a.domain, a.code, a.detail) == (b.message, b.domain, b.code, b.detail)
    assert str(a) == str(b) and repr(a) == repr(b)


def test_every_shipped_class_is_covered() -> None:
    assert [klass.__name__ for klass in SHIPPED] == [
        "CommandError", "ConfigError", "CorralError", "HookScriptError", "NoSupportError",
        "ProtocolError", "XMLError"]


@pytest.mark.parametrize("klass", SHIPPED, ids=lambda klass: klass.__name__)
def test_every_shipped_class_round_trips_on_the_wire_and_through_pickle(
    klass: type[CorralError],
) -> None:
    error = klass("Something broke.", code=ErrorCode.OPERATION_FAILED, file="a.xml", line=3,
                  argv=["ip", "link"])
    for copy in (wire_round_trip(error), pickle.loads(pickle.dumps(error))):
        same(copy, error)
    assert wire_round_trip(error).to_dict() == error.to_dict()


def test_a_subclass_with_its_own_constructor_round_trips() -> None:
    error = LeaseError("52:54:00:aa:bb:cc", "192.168.122.10")
    wire = error.to_dict()
    assert wire == {"class": "LeaseError", "desc": error.message,
                    "data": {"domain": "leases", "code": 9, "mac": "52:54:00:aa:bb:cc",
                             "address": "192.168.122.10"}}
    same(wire_round_trip(error), error)
    pickled = pickle.loads(pickle.dumps(error))
    same(pickled, error)
    assert pickled.mac == "52:54:00:aa:bb:cc"  # an attribute of its own survives pickling


def test_wrap_failure_keeps_a_subclass_with_its_own_constructor() -> None:
    wrapped = wrap_failure(LeaseError("m", "a"), "The driver 'leases' failed to initialize",
                           ErrorDomain.REGISTRY, driver="leases")
    assert type(wrapped) is LeaseError and wrapped.mac == "m"
    assert str(wrapped) == "The driver 'leases' failed to initialize: The lease of m for a expired."
    assert wrapped.domain == "leases" and wrapped.code == ErrorCode.OPERATION_FAILED
    assert wrapped.detail == {"mac": "m", "address": "a", "driver": "leases"}


def test_with_message_copies_without_touching_the_original() -> None:
    original = XMLError("bad", line=2)
    copy = original.with_message("f.xml: bad", file="f.xml")
    assert type(copy) is XMLError and copy.line == 2 and copy.file == "f.xml"
    assert original.message == "bad" and original.detail == {"line": 2}


def test_a_domain_is_any_short_lowercase_name_and_corrals_stay_members() -> None:
    assert CorralError("x", domain="leases").domain == "leases"
    known = CorralError("x", domain="network").domain
    assert known is ErrorDomain.NETWORK  # ErrorDomain.X keeps working as it did
    assert CorralError("x", domain=ErrorDomain.STORAGE).domain is ErrorDomain.STORAGE
    for bad in ("", "Leases", "two words", "x" * 33, "9lives"):
        with pytest.raises(ValueError, match="is not an error domain"):
            CorralError("x", domain=bad)


def test_a_class_with_a_bad_default_domain_fails_when_defined() -> None:
    with pytest.raises(ValueError, match="'Not A Domain' is not an error domain"):
        type("Broken", (CorralError,), {"default_domain": "Not A Domain"})


def test_the_wire_keeps_an_unknown_domain_and_forgives_garbage() -> None:
    rebuilt = CorralError.from_dict({"class": "Nobody", "desc": "d",
                                     "data": {"domain": "leases", "code": 9, "k": 1}})
    assert type(rebuilt) is CorralError and rebuilt.domain == "leases"
    assert rebuilt.code == ErrorCode.OPERATION_FAILED and rebuilt.detail == {"k": 1}
    garbage = CorralError.from_dict({"class": "CommandError", "data": {"domain": "NO!",
                                                                      "code": 12345}})
    assert type(garbage) is CommandError
    assert (garbage.domain, garbage.code) == (ErrorDomain.NONE, ErrorCode.INTERNAL_ERROR)


@pytest.mark.parametrize("wire", ["junk", None, [1, 2], {"class": "CorralError", "data": [1, 2]},
                                  {"data": "text"}, {"data": 3}])
def test_a_malformed_wire_error_is_a_protocol_error(wire: object) -> None:
    with pytest.raises(ProtocolError, match="must be an object") as caught:
        CorralError.from_dict(wire)
    assert (caught.value.domain, caught.value.code) == (ErrorDomain.RPC, ErrorCode.RPC)


def test_the_wire_form_is_always_json_whatever_the_detail_holds() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque"

    error = CommandError("m", path=Path("/x"), argv=("a", Path("b")), raw=b"\xffok",
                         nested={"p": Path("/y"), 1: {2, 3} - {3}}, thing=Opaque(),
                         flag=True, count=2, ratio=0.5, none=None, code_name=ErrorCode.RPC)
    wire = json.loads(json.dumps(error.to_dict()))
    assert wire["data"] == {
        "domain": "command", "code": int(ErrorCode.INTERNAL_ERROR), "path": "/x",
        "argv": ["a", "b"], "raw": "\\xffok", "nested": {"p": "/y", "1": [2]},
        "thing": "opaque", "flag": True, "count": 2, "ratio": 0.5, "none": None,
        "code_name": int(ErrorCode.RPC),
    }
    assert error.detail["path"] == Path("/x")  # the error itself keeps what it was given
    rebuilt = CorralError.from_dict(wire)
    assert type(rebuilt) is CommandError and rebuilt.detail["argv"] == ["a", "b"]


def test_a_null_description_reads_empty() -> None:
    assert CorralError.from_dict({"class": "CorralError", "desc": None}).message == ""


def test_a_third_party_class_cannot_take_over_a_shipped_name() -> None:
    impostor = type("CommandError", (CorralError,), {})
    rebuilt = CorralError.from_dict(CommandError("x", status=1).to_dict())
    assert type(rebuilt) is CommandError and type(rebuilt) is not impostor
