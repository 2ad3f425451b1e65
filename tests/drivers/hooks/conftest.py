"""Hook scripts in a temporary config root, a fake network driver, and an event recorder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from corral.core import Driver, DriverContext, operation
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.host import Host
from corral.core.testing import running_host
from corral.drivers.hooks import HooksDriver


class FakeNetworks(Driver):
    """A network driver in miniature: begin, the work, emit -- nothing else."""

    domain = "fakenet"

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.running: set[str] = set()

    @operation
    def fake_start(self, name: str, xml: str = "") -> None:
        self.context.begin("network", name, "start", xml=xml)
        self.running.add(name)
        self.context.emit("network", name, "started", xml=xml)

    @operation
    def fake_stop(self, name: str, xml: str = "") -> None:
        self.running.discard(name)
        self.context.emit("network", name, "stopped", xml=xml)

    @operation
    def fake_define(self, name: str) -> None:
        self.context.emit("network", name, "defined")


@dataclasses.dataclass
class Events:
    """A plugin keeping every lifecycle event it sees."""

    seen: list[LifecycleEvent] = dataclasses.field(default_factory=list)

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        self.seen.append(event)

    def failures(self) -> list[LifecycleEvent]:
        return [event for event in self.seen if event.object_type == "hook"]


@dataclasses.dataclass(frozen=True)
class Hooks:
    """The hooks directory of a temporary root, and the log the recording scripts write."""

    root: Path

    @property
    def directory(self) -> Path:
        return self.root / "etc" / "corral" / "hooks"

    @property
    def log(self) -> Path:
        return self.root / "calls.log"

    def script(self, name: str, body: str, mode: int = 0o755) -> Path:
        """Write ``hooks/<name>`` as a /bin/sh script."""
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(mode)
        return path

    def recorder(self, name: str, then: str = "exit 0", mode: int = 0o755) -> Path:
        """A script appending its argv (NUL-separated) to the log and its stdin to log.stdin."""
        return self.script(name, f"printf '%s\\0' \"$0\" \"$@\" >> '{self.log}'\n"
                                 f"printf '\\n' >> '{self.log}'\n"
                                 f"cat >> '{self.log}.stdin'\n{then}", mode)

    def calls(self) -> list[list[str]]:
        """Every recorded call: [script path, arg1, ...], in order."""
        if not self.log.exists():
            return []
        return [record.split("\0")[:-1] for record in self.log.read_text().split("\n")
                if record]

    def args(self) -> list[tuple[str, ...]]:
        """Every recorded call as (script name relative to hooks/, args...)."""
        return [(str(Path(call[0]).relative_to(self.directory)), *call[1:])
                for call in self.calls()]

    def stdin(self) -> str:
        path = Path(f"{self.log}.stdin")
        return path.read_text() if path.exists() else ""


@pytest.fixture
def hooks(tmp_path: Path) -> Hooks:
    return Hooks(tmp_path)


HostFactory = Callable[..., AbstractContextManager[Host]]


@pytest.fixture
def host_with_hooks(tmp_path: Path) -> HostFactory:
    """running_host with the hooks driver first, then the fake network driver."""

    def start(config: str = "", **drivers: type[Driver]) -> AbstractContextManager[Host]:
        chosen: dict[str, type[Driver]] = {"hooks": HooksDriver, "network": FakeNetworks,
                                           **drivers}
        return running_host(tmp_path, drivers=chosen, config=config)

    return start


@pytest.fixture
def events() -> Iterator[Events]:
    yield Events()


class FakePools(Driver):
    """A storage driver in miniature: its objects are pools, its scripts hooks/storage."""

    domain = "fakepool"

    @operation
    def fake_pool_start(self, name: str, xml: str = "") -> None:
        self.context.begin("pool", name, "start", xml=xml)
        self.context.emit("pool", name, "started", xml=xml)
