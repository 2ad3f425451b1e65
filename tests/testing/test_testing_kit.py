"""corral.core.testing: replayed tool output, golden files, a Host in a temporary root."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from corral.core import Command, CommandError, ConfigKey, Driver, PluginContext, operation
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.testing import (
    REGENERATE_ENV,
    GoldenMismatch,
    Recorded,
    Replay,
    UnexpectedCommand,
    assert_golden,
    record,
    replay,
    running_host,
)

SESSIONS = Recorded(("iscsiadm", "--mode", "session"),
                    "tcp: [1] 10.0.0.1:3260,1 iqn.2024-01.org.example:disk (non-flash)\n")
NO_NODES = Recorded(("iscsiadm", "--mode", "node"), "", "iscsiadm: No records found\n", 21)


def run(*argv: str) -> str:
    return str(Command(*argv).set_output_buffer().set_error_buffer().run().stdout)


def test_recorded_output_is_replayed_and_nothing_spawns(tmp_path: Path) -> None:
    with replay([SESSIONS, NO_NODES]) as table:
        assert run("iscsiadm", "--mode", "session").startswith("tcp: [1] 10.0.0.1")
        with pytest.raises(CommandError) as caught:
            run("iscsiadm", "--mode", "node")
    assert caught.value.status == 21 and "No records found" in str(caught.value)
    assert table.commands == ["iscsiadm --mode session", "iscsiadm --mode node"]


def test_runs_of_one_command_answer_in_order_and_the_last_repeats() -> None:
    polls = [Recorded(("state",), "building\n"), Recorded(("state",), "running\n")]
    with replay(polls):
        assert [run("state") for _ in range(3)] == ["building\n", "running\n", "running\n"]


def test_an_unexpected_command_fails_even_when_the_code_swallows_it() -> None:
    with pytest.raises(UnexpectedCommand) as caught:
        with replay([SESSIONS]):
            try:
                run("iscsiadm", "--mode", "discovery")
            except Exception:  # noqa: S110 - a careless driver, on purpose
                pass
    assert str(caught.value).startswith(
        "The command 'iscsiadm --mode discovery' ran, but the replay table has no recording "
        "of it; recorded:\n  iscsiadm --mode session")


def test_a_worker_thread_is_answered_too_never_running_the_real_tool(tmp_path: Path) -> None:
    marker = tmp_path / "touched"
    with pytest.raises(UnexpectedCommand, match="touch"):
        with replay([SESSIONS]) as table, ThreadPoolExecutor(2) as pool:
            assert pool.submit(run, *SESSIONS.argv).result().startswith("tcp: [1]")
            with pytest.raises(UnexpectedCommand):
                pool.submit(run, "touch", str(marker)).result()
    assert not marker.exists()
    assert table.commands == ["iscsiadm --mode session", f"touch {marker}"]


def test_a_replay_limited_to_its_thread_leaves_other_threads_alone(tmp_path: Path) -> None:
    marker = tmp_path / "touched"
    with replay([SESSIONS], all_threads=False), ThreadPoolExecutor(1) as pool:
        pool.submit(run, "touch", str(marker)).result()
        assert run(*SESSIONS.argv).startswith("tcp: [1]")
    assert marker.exists()


def test_all_used_fails_on_a_recording_nothing_ran() -> None:
    with pytest.raises(UnexpectedCommand, match="never ran:\n  iscsiadm --mode node"):
        with replay([SESSIONS, NO_NODES], all_used=True):
            run("iscsiadm", "--mode", "session")


def test_a_real_run_is_recorded_to_a_file_and_replayed_from_it(tmp_path: Path) -> None:
    table = tmp_path / "outputs.json"
    assert record("echo", "hello", path=table) == Recorded(("echo", "hello"), "hello\n")
    record("sh", "-c", "echo oops >&2; exit 3", path=table)
    assert [entry["status"] for entry in json.loads(table.read_text())] == [0, 3]
    with replay(table) as replayed:
        assert run("echo", "hello") == "hello\n"
        assert Command("sh", "-c", "echo oops >&2; exit 3").run(check=False).status == 3
    assert isinstance(replayed, Replay) and replayed.unused == []


def test_golden_files_match_differ_and_regenerate(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    golden = tmp_path / "golden" / "dnsmasq.conf"
    with pytest.raises(GoldenMismatch, match=f"does not exist \\(rerun with {REGENERATE_ENV}=1"):
        assert_golden("port=0\n", golden)
    monkeypatch.setenv(REGENERATE_ENV, "1")
    assert_golden("port=0\n", golden)
    assert golden.read_text() == "port=0\n"
    monkeypatch.delenv(REGENERATE_ENV)
    assert_golden("port=0\n", golden)
    with pytest.raises(GoldenMismatch) as caught:
        assert_golden("port=53\n", golden)
    assert "-port=0\n+port=53\n" in str(caught.value)


class Echo(Driver):
    started: list[str] = []

    @operation
    def echo_say(self, word: str) -> str:
        self.context.emit("echo", word, "said")
        return run("echo", word)

    def shutdown(self) -> None:
        Echo.started.append("shutdown")


class Ears:
    config_keys = (ConfigKey("ears_prefix", "string", ""),)

    def __init__(self, context: PluginContext) -> None:
        self.prefix = context.config.string("ears_prefix")
        self.heard: list[str] = []

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        self.heard.append(f"{self.prefix}{event.name}")


def test_running_host_starts_the_drivers_enables_the_plugins_and_shuts_down(
    tmp_path: Path,
) -> None:
    Echo.started = []
    with running_host(tmp_path, drivers={"echo": Echo}, plugins={"ears": Ears},
                      config='ears_prefix = "heard "\n') as host:
        assert host.call("echo", "echo-say", word="hi") == "hi\n"
        ears = host.plugins.get_plugin("ears")
        assert ears.heard == ["heard hi"]
        assert host.paths.state == tmp_path / "var/lib/corral"
        assert Echo.started == []
    assert Echo.started == ["shutdown"] and host.drivers == {}
