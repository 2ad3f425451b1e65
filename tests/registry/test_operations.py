"""The typed driver boundary: operations declare their arguments; every call is checked.

A call with a misspelt, missing or mistyped argument is INVALID_ARG naming the argument
and the operation (never a TypeError from inside the driver); whatever else escapes an
operation becomes a corral error of the driver's domain; and what the daemon lists for
``query-commands`` is read from the class without calling anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from corral.core import (
    Argument,
    CorralError,
    Driver,
    DriverContext,
    ErrorCode,
    ErrorDomain,
    HostPaths,
    operation,
)
from corral.core.host import Host, Registry
from corral.core.testing import running_host

CALLS: list[str] = []


class Leases(Driver):
    """A third-party driver with a domain of its own."""

    domain = "leases"

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        CALLS.clear()

    @operation(read_only=True)
    def lease_list(self, network: str, mac: str | None = None) -> list[str]:
        """List the leases of a network."""
        CALLS.append(f"list {network} {mac}")
        return [network]

    @operation
    def lease_add(self, network: str, count: int, tags: list[str],
                  mode: Literal["ipv4", "ipv6"] = "ipv4", input_data: bytes = b"") -> int:
        CALLS.append("add")
        return count

    @operation
    def lease_fail(self, how: str) -> None:
        if how == "plain":
            raise CorralError("No lease there.", code=ErrorCode.INVALID_ARG)
        if how == "network":
            raise CorralError("Not a network.", domain=ErrorDomain.NETWORK)
        {}["missing"]  # noqa: B018 - a driver bug: KeyError


@pytest.fixture
def host(tmp_path) -> Host:
    host = Host.open(Registry.for_test(drivers={"leases": Leases}),
                     HostPaths.under_root(tmp_path), privileged=False)
    host.start_driver("leases")
    return host


def invalid(host: Host, operation_name: str, **arguments: object) -> CorralError:
    with pytest.raises(CorralError) as caught:
        host.call("leases", operation_name, **arguments)
    assert caught.value.code == ErrorCode.INVALID_ARG and caught.value.domain == "leases"
    assert type(caught.value.__cause__) is not TypeError
    assert CALLS == [], "the operation must not run"
    return caught.value


def test_a_misspelt_argument_is_invalid_arg_naming_it_and_the_operation(host: Host) -> None:
    error = invalid(host, "lease-list", netwrok="default")
    assert str(error) == ("The operation 'lease-list' of the driver 'leases' has no argument "
                          "'netwrok' (did you mean 'network'?); it takes: network, mac.")
    assert error.detail == {"driver": "leases", "operation": "lease-list", "argument": "netwrok"}


def test_a_missing_argument_is_invalid_arg(host: Host) -> None:
    error = invalid(host, "lease-list")
    assert str(error) == ("The operation 'lease-list' of the driver 'leases' needs the "
                          "argument 'network'.")


@pytest.mark.parametrize(("arguments", "argument", "wanted", "given"), [
    ({"network": "n", "count": "3", "tags": []}, "count", "int", "str"),
    ({"network": "n", "count": True, "tags": []}, "count", "int", "bool"),
    ({"network": "n", "count": 1, "tags": ["a", 2]}, "tags", "list[str]", "list"),
    ({"network": "n", "count": 1, "tags": [], "mode": "ipv5"}, "mode", "one of 'ipv4', 'ipv6'",
     "str"),
    ({"network": None, "count": 1, "tags": []}, "network", "str", "NoneType"),
])
def test_a_mistyped_argument_is_invalid_arg_and_its_value_is_never_quoted(
    host: Host, arguments: dict[str, object], argument: str, wanted: str, given: str,
) -> None:
    error = invalid(host, "lease-add", **arguments)
    assert str(error) == (f"The operation 'lease-add' of the driver 'leases' needs the "
                          f"argument '{argument}' as {wanted}, not {given}.")


def test_arguments_go_by_wire_name_or_parameter_name_but_not_both(host: Host) -> None:
    assert host.call("leases", "lease-add", network="n", count=2, tags=["t"],
                     **{"input-data": b"x"}) == 2
    CALLS.clear()
    error = invalid(host, "lease-add", network="n", count=2, tags=[],
                    input_data=b"", **{"input-data": b""})
    assert "gets the argument 'input-data' twice" in str(error)


def test_a_plain_corral_error_gets_the_drivers_domain_an_explicit_one_stays(host: Host) -> None:
    with pytest.raises(CorralError) as caught:
        host.call("leases", "lease-fail", how="plain")
    assert caught.value.domain == "leases" and caught.value.code == ErrorCode.INVALID_ARG
    with pytest.raises(CorralError) as caught:
        host.call("leases", "lease-fail", how="network")
    assert caught.value.domain is ErrorDomain.NETWORK


def test_a_foreign_exception_is_internal_error_naming_driver_and_operation(host: Host) -> None:
    with pytest.raises(CorralError) as caught:
        host.call("leases", "lease-fail", how="bug")
    assert str(caught.value) == ("The operation 'lease-fail' of the driver 'leases' failed "
                                 "with KeyError: 'missing'")
    assert caught.value.code == ErrorCode.INTERNAL_ERROR and caught.value.domain == "leases"
    assert caught.value.detail == {"driver": "leases", "operation": "lease-fail"}
    assert isinstance(caught.value.__cause__, KeyError)


def test_a_plain_error_from_initialize_gets_the_drivers_domain(tmp_path) -> None:
    class Grumpy(Driver):
        domain = "grumpy"

        def initialize(self, context: DriverContext) -> None:
            raise CorralError("Cannot start today.", code=ErrorCode.OPERATION_FAILED)

    host = Host.open(Registry.for_test(drivers={"grumpy": Grumpy}),
                     HostPaths.under_root(tmp_path), privileged=False)
    with pytest.raises(CorralError, match="failed to initialize: Cannot start today.") as caught:
        host.start_driver("grumpy")
    assert caught.value.domain == "grumpy"


def test_a_corral_error_from_the_constructor_is_wrapped_with_the_drivers_domain(
        tmp_path: Path) -> None:
    class Sulky(Driver):
        domain = "sulky"

        def __init__(self) -> None:
            raise CorralError("Not today.", code=ErrorCode.OPERATION_FAILED)

    with pytest.raises(CorralError, match="failed to initialize: Not today.") as caught:
        with running_host(tmp_path, drivers={"sulky": Sulky}):
            pass
    assert caught.value.domain == "sulky" and caught.value.detail["driver"] == "sulky"
    assert caught.value.code == ErrorCode.OPERATION_FAILED


class Domainless(Driver):
    """A driver class that declares no domain: its entry-point name is its domain."""

    @operation
    def nag(self, count: int) -> None:
        raise CorralError("plain")


def test_a_driver_without_a_domain_gets_its_entry_point_name(tmp_path: Path) -> None:
    assert Domainless.domain_for("leases") == "leases"
    assert Domainless.domain_for("network") is ErrorDomain.NETWORK
    assert Domainless.domain_for("Not A Domain!") is ErrorDomain.NONE
    assert Leases.domain_for("other") == "leases"  # a declared domain wins
    with running_host(tmp_path, drivers={"naggy": Domainless}) as host:
        with pytest.raises(CorralError) as plain:
            host.call("naggy", "nag", count=1)
        with pytest.raises(CorralError) as invalid_arg:
            host.call("naggy", "nag", count="1")
        with pytest.raises(CorralError) as missing:
            host.call("naggy", "nope")
    assert plain.value.domain == "naggy"
    assert (invalid_arg.value.domain, invalid_arg.value.code) == ("naggy", ErrorCode.INVALID_ARG)
    assert missing.value.domain == "naggy"


def test_operations_are_described_without_calling_anything() -> None:
    described = Leases.describe_operations()
    assert list(described) == ["lease-add", "lease-fail", "lease-list"]
    listing = described["lease-list"]
    assert (listing.read_only, listing.method, listing.summary) == (
        True, "lease_list", "List the leases of a network.")
    assert listing.arguments == (
        Argument("network", "network", str, "str", required=True),
        Argument("mac", "mac", str | None, "str | None", required=False, default=None),
    )
    add = described["lease-add"]
    assert add.read_only is False
    assert [(a.name, a.type_name, a.required) for a in add.arguments] == [
        ("network", "str", True), ("count", "int", True), ("tags", "list[str]", True),
        ("mode", "one of 'ipv4', 'ipv6'", False), ("input-data", "bytes", False)]
    assert CALLS == []


def test_an_operation_with_star_arguments_is_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="operations take named arguments only"):
        class Loose(Driver):
            @operation
            def loose_call(self, *names: str) -> None: ...


def test_a_driver_with_a_bad_domain_is_refused_when_defined() -> None:
    with pytest.raises(ValueError, match="is not an error domain"):
        type("Shouty", (Driver,), {"domain": "SHOUTY"})
