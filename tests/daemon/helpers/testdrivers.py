"""Drivers for corrald's tests, installed for the daemon process as a real distribution.

The ``corrald`` fixture puts this file on the daemon's PYTHONPATH with a ``dist-info``
declaring ``corral.drivers`` entry points (``echo``, ``broken``, ``fakenode``), so corrald
finds them exactly as it finds any installed driver. Every mutating operation of ``echo``
appends to ``STATE/echo-effects.log`` first: a test proves "refused before anything ran" by
that file staying empty. ``echo`` begins a ``start`` of its object ``boot`` in
``initialize``, as a driver's autostart does (what the ``hooks/echo`` scripts answer).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from corral.core import CorralError, Driver, DriverContext, ErrorCode, operation
from corral.drivers.node import NodeDriver


class EchoDriver(Driver):
    """Remembers values; sleeps, fails and emits events on request."""

    domain = "echo"

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.values: dict[str, int] = {}
        self.reloads = 0
        context.paths.state.mkdir(parents=True, exist_ok=True)
        context.begin("echo", "boot", "start")  # an autostart: hook scripts may refuse it

    def _effect(self, what: str) -> None:
        with open(Path(self.context.paths.state, "echo-effects.log"), "a") as log:
            log.write(what + "\n")

    def reload(self) -> None:
        self.reloads += 1

    def shutdown(self) -> None:
        Path(self.context.paths.state, "echo-shutdown").write_text("clean\n")

    @operation
    def echo_set(self, key: str, value: int, tags: list[str] | None = None) -> dict[str, Any]:
        """Remember value under key."""
        self._effect(f"set {key}")
        self.values[key] = value
        return {}

    @operation(read_only=True)
    def echo_get(self, key: str) -> int:
        """Return the value of key."""
        if key not in self.values:
            raise CorralError(f"There is no key '{key}'.", code=ErrorCode.INVALID_ARG, key=key)
        return self.values[key]

    @operation(read_only=True)
    def echo_list(self) -> list[str]:
        """Return every key."""
        return sorted(self.values)

    @operation(read_only=True)
    def echo_reloads(self) -> int:
        """Return how many times the driver was reloaded."""
        return self.reloads

    @operation
    def echo_sleep(self, seconds: float) -> dict[str, Any]:
        """Sleep in the worker pool."""
        self._effect("sleep")
        time.sleep(seconds)
        return {"slept": seconds}

    @operation
    def echo_fail(self, message: str) -> None:
        """Fail with a CorralError."""
        self._effect("fail")
        raise CorralError(message, code=ErrorCode.OPERATION_FAILED, why="asked")

    @operation
    def echo_crash(self) -> None:
        """Fail with something that is not a CorralError."""
        self._effect("crash")
        raise RuntimeError("boom")

    @operation
    def echo_emit(self, name: str, event: str) -> dict[str, Any]:
        """Announce a network lifecycle event."""
        self._effect("emit")
        self.context.emit("network", name, event, "from a test")
        return {}


    @operation
    def echo_start(self, name: str) -> dict[str, Any]:
        """Start the object ``name``: hook scripts may refuse it, then announce it."""
        self.context.begin("echo", name, "start")
        self._effect(f"start {name}")
        self.context.emit("echo", name, "started")
        return {}

    @operation(read_only=True)
    def echo_setting(self, key: str) -> Any:
        """Return the setting ``key`` as this driver's context has it."""
        return self.context.config.get(key)


class FakeRootNode(NodeDriver):
    """The node driver on fake ``STATE/sys`` and ``STATE/run`` trees, suspending at once.

    The test puts stand-ins for ``pm-is-supported``, ``rtcwake`` and ``pm-suspend`` first
    on the daemon's PATH: this machine must never really suspend.
    """

    suspend_delay = 0.0

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.sys_root = Path(context.paths.state, "sys")
        self.run_root = Path(context.paths.state, "run")


class BrokenDriver(Driver):
    """Fails to start."""

    domain = "broken"

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        raise CorralError("The broken driver cannot start: no widget.",
                          code=ErrorCode.OPERATION_FAILED)
