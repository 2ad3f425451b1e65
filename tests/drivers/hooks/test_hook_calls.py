"""The table from corral's lifecycle steps to libvirt's hook operations (docs/hooks.md)."""

from __future__ import annotations

import pytest
from corral.core.hookspecs import LifecycleEvent
from corral.drivers.hooks import hook_call
from corral.drivers.hooks._calls import daemon_call, hook_data


@pytest.mark.parametrize(("driver", "object_type", "event", "phase", "argv", "aborts"), [
    ("network", "network", "start", "begin", ("n", "start", "begin", "-"), True),
    ("network", "network", "started", "event", ("n", "started", "begin", "-"), False),
    ("network", "network", "update", "begin", ("n", "updated", "begin", "-"), True),
    ("network", "network", "port-create", "begin", ("n", "port-created", "begin", "-"), True),
    ("network", "network", "port-deleted", "event", ("n", "port-deleted", "begin", "-"), False),
    ("network", "network", "stopped", "event", ("n", "stopped", "end", "-"), False),
    ("storage", "pool", "start", "begin", ("n", "start", "begin", "-"), True),
    ("storage", "pool", "stopped", "event", ("n", "stopped", "end", "-"), False),
    ("node", "node", "suspend", "begin", ("-", "suspend", "begin", "disk"), True),
    ("node", "node", "resumed", "event", ("-", "resume", "end", "disk"), False),
    ("dummy", "dummy", "prepare", "begin", ("n", "prepare", "begin", "-"), True),
    ("dummy", "dummy", "released", "event", ("n", "release", "end", "-"), False),
])
def test_each_step_maps_onto_libvirts_operation(driver: str, object_type: str, event: str,
                                                phase: str, argv: tuple[str, ...],
                                                aborts: bool) -> None:
    detail = "disk" if driver == "node" else "autostart"
    call = hook_call(LifecycleEvent(object_type, "n", event, detail, driver), phase)
    assert call is not None
    assert (call.driver, call.argv, call.aborts) == (driver, argv, aborts)


@pytest.mark.parametrize("event", ["defined", "undefined", "refreshed", "armed", "failed"])
def test_other_announcements_run_no_script(event: str) -> None:
    assert hook_call(LifecycleEvent("network", "n", event, driver="network"), "event") is None


def test_an_event_without_a_driver_name_uses_its_object_type() -> None:
    call = hook_call(LifecycleEvent("network", "n", "start"), "begin")
    assert call is not None and call.driver == "network"


def test_daemon_calls_are_libvirts() -> None:
    assert [daemon_call(op).argv for op in ("start", "reload", "shutdown")] == [
        ("-", "start", "-", "start"), ("-", "reload", "begin", "SIGHUP"),
        ("-", "shutdown", "-", "shutdown")]


def test_hook_data_wraps_and_an_empty_xml_stays_empty() -> None:
    assert hook_data("") == ""
    assert hook_data("<network><name>n</name></network>") == (
        "<hookData>\n  <network><name>n</name></network>\n</hookData>\n")


def test_an_events_repr_leaves_the_xml_out() -> None:
    event = LifecycleEvent("network", "n", "started", xml="<network>big</network>")
    assert "big" not in repr(event) and event.xml == "<network>big</network>"
