"""Every spawn of a host running plugins is judged and recorded, from any thread.

The plugins once lived in a ContextVar, so a command started from a Thread, an executor
or ``run_in_executor`` inside ``host.monitored()`` escaped the policy and the audit log.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corral.core import (
    Command,
    CommandError,
    Driver,
    ErrorCode,
    HostPaths,
    monitor_spawns,
)
from corral.core.host import Host, Registry
from corral.plugins.audit import AuditPlugin
from corral.plugins.policy import PolicyPlugin

RULES = "deny binary echo\n"


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def audited_host(tmp_path: Path, **drivers: type[Driver]) -> tuple[Host, Path]:
    log, rules, conf = tmp_path / "audit.log", tmp_path / "policy.rules", tmp_path / "c.conf"
    rules.write_text(RULES)
    conf.write_text(f'plugins = ["audit", "policy"]\naudit_log_file = "{log}"\n'
                    f'policy_rules_file = "{rules}"\n')
    registry = Registry.for_test(drivers=drivers,
                                 plugins={"audit": AuditPlugin, "policy": PolicyPlugin})
    return Host.open(registry, HostPaths.under_root(tmp_path / "root"), conf,
                     privileged=False), log


def attempt(argv: list[str]) -> str:
    """Run ``argv``; return its stdout, or the error code's name when it raised."""
    try:
        return str(Command.from_argv(argv).set_output_buffer().run().stdout)
    except CommandError as error:
        return error.code.name


def in_thread(call: Callable[[], str]) -> str:
    box: list[str] = []
    worker = threading.Thread(target=lambda: box.append(call()))
    worker.start()
    worker.join()
    return box[0]


def in_executor(call: Callable[[], str]) -> str:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def in_run_in_executor(call: Callable[[], str]) -> str:
    async def main() -> str:
        return await asyncio.get_running_loop().run_in_executor(None, call)

    return asyncio.run(main())


@pytest.mark.parametrize("where", [in_thread, in_executor, in_run_in_executor])
def test_a_worker_inside_monitored_is_judged_and_recorded(
    tmp_path: Path, where: Callable[[Callable[[], str]], str]
) -> None:
    host, log = audited_host(tmp_path)
    with host.monitored():
        denied = where(lambda: attempt(["echo", "escaped"]))
        allowed = where(lambda: attempt(["printf", "ran"]))
    assert (denied, allowed) == ("OPERATION_DENIED", "ran")
    kinds = [(record["kind"], record["argv"][0]) for record in records(log)]
    assert kinds == [("denied", "echo"), ("spawn", "printf")]


def test_a_context_cannot_switch_the_host_off(tmp_path: Path) -> None:
    host, log = audited_host(tmp_path)
    with host.monitored(), monitor_spawns(None):
        assert attempt(["echo", "escaped"]) == "OPERATION_DENIED"
        with monitor_spawns(host.spawn_monitor()):  # the same monitor twice: asked once
            assert attempt(["printf", "once"]) == "once"
    assert [record["kind"] for record in records(log)] == ["denied", "spawn"]


class Background(Driver):
    """A driver whose worker thread spawns between requests, as a lease watcher would."""

    def initialize(self, context: Any) -> None:
        super().initialize(context)
        self.go, self.done = threading.Event(), threading.Event()
        self.results: list[str] = []
        threading.Thread(target=self._work, daemon=True).start()

    def _work(self) -> None:
        self.go.wait(10)
        self.results += [attempt(["echo", "escaped"]), attempt(["printf", "ran"])]
        self.done.set()


def test_a_running_driver_s_threads_are_judged_between_requests(tmp_path: Path) -> None:
    host, log = audited_host(tmp_path, background=Background)
    driver = host.start_driver("background")
    assert isinstance(driver, Background)
    driver.go.set()  # no host operation is running now
    assert driver.done.wait(10)
    assert driver.results == ["OPERATION_DENIED", "ran"]
    assert len(records(log)) == 2
    host.shutdown()
    assert attempt(["echo", "free"]) == "free\n"  # the host is gone: so are its plugins
    assert len(records(log)) == 2


def test_a_plugin_refusal_names_the_rule_from_a_thread(tmp_path: Path) -> None:
    host, _ = audited_host(tmp_path)
    with host.monitored():
        caught: list[BaseException] = []

        def run() -> None:
            try:
                Command("echo").run()
            except CommandError as error:
                caught.append(error)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    [error] = caught
    assert isinstance(error, CommandError) and error.code == ErrorCode.OPERATION_DENIED
    assert "deny binary echo" in str(error)
