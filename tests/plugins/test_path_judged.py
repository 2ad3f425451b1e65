"""The path the policy judges is the path the child executes.

Once the policy resolved the binary itself while the engine executed the name it was
given: a symlink flipped between the check and the exec ran a denied binary, and a
relative PATH entry was judged in the parent's directory but executed in the child's.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from corral.core import Command, CommandError, ErrorCode, SpawnRecord, monitor_spawns

TRUE = os.path.realpath(str(shutil.which("true")))
ECHO = os.path.realpath(str(shutil.which("echo")))

T = TypeVar("T")


def policy_host(make_host, tmp_path: Path, rules: str):
    path = tmp_path / "policy.rules"
    path.write_text(rules)
    return make_host(f'plugins = ["policy"]\npolicy_rules_file = "{path}"\n')


def flip(link: Path, targets: tuple[str, str], stop: threading.Event) -> None:
    """Point ``link`` at each target in turn, atomically, until ``stop`` is set."""
    spare = link.with_name("spare")
    index = 0
    while not stop.is_set():
        spare.unlink(missing_ok=True)
        spare.symlink_to(targets[index % 2])
        spare.replace(link)
        index += 1


@pytest.fixture
def flipping_link(tmp_path: Path) -> Iterator[Path]:
    link = tmp_path / "tool"
    link.symlink_to(TRUE)
    stop = threading.Event()
    flipper = threading.Thread(target=flip, args=(link, (TRUE, ECHO), stop))
    flipper.start()
    try:
        yield link
    finally:
        stop.set()
        flipper.join()


def test_a_symlink_flipped_after_the_check_never_runs_the_denied_binary(
    make_host, tmp_path: Path, flipping_link: Path
) -> None:
    host = policy_host(make_host, tmp_path, f"deny binary {ECHO}\n")
    escaped = refused = ran = 0
    with host.monitored():
        for _ in range(300):
            try:
                result = Command(flipping_link, "ESCAPED").set_output_buffer().run()
            except CommandError as error:
                assert error.code == ErrorCode.OPERATION_DENIED, error
                refused += 1
                continue
            escaped += result.stdout == "ESCAPED\n"
            ran += result.stdout == ""
    assert escaped == 0
    assert refused and ran  # the link did flip under the test, both ways


def test_a_relative_path_entry_is_ignored(
    make_host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent, child = tmp_path / "parent", tmp_path / "child"
    for directory in (parent, child):
        directory.mkdir()
        for name in ("probe", "true"):
            script = directory / name
            script.write_text(f"#!/bin/sh\necho {directory.name}\n")
            script.chmod(0o755)
    expected = os.path.normpath(str(shutil.which("true")))  # on the absolute entries
    monkeypatch.chdir(parent)
    monkeypatch.setenv("PATH", f".::bin:{os.environ['PATH']}")
    host = policy_host(make_host, tmp_path, f"deny binary {child}/*\n")
    seen: list[SpawnRecord] = []
    with host.monitored():
        # Found only through ".": judged and run nowhere, in neither directory.
        missing = Command("probe").set_working_directory(child).set_output_buffer()
        result = missing.run(check=False)
        assert (result.status, result.stdout) == (127, "")
        with monitor_spawns(Recorder(seen)):
            # An absolute entry after "." wins: the real true, not ./true of either.
            hijack = Command("true").set_working_directory(child).set_output_buffer().run()
    assert hijack.stdout == ""
    assert [(record.binary, record.found) for record in seen] == [(TRUE, expected)]


class Recorder:
    def __init__(self, seen: list[SpawnRecord]) -> None:
        self.seen = seen

    def check(self, record: SpawnRecord) -> str | None:
        self.seen.append(record)
        return None

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        return spawn()

    def reaped(self, record: SpawnRecord) -> None:
        pass


@pytest.mark.parametrize("setup", [
    lambda command: command,
    lambda command: command.set_max_files(64),           # through corral-exec / prlimit
    lambda command: command.daemonize(),                 # through the exec helper
], ids=["plain", "wrapper", "helper"])
def test_the_canonical_path_is_executed_through_every_chain(
    tmp_path: Path, setup: Callable[[Command], Command]
) -> None:
    # A script learns the path it was executed as in $0: the link's, or the file's.
    real = tmp_path / "real" / "report"
    real.parent.mkdir()
    out = tmp_path / "out"
    real.write_text(f'#!/bin/sh\necho "$0" > {out}\n')
    real.chmod(0o755)
    link = tmp_path / "link"
    link.symlink_to(real)
    seen: list[SpawnRecord] = []
    with monitor_spawns(Recorder(seen)):
        setup(Command(link)).run()
    for _ in range(100):  # a daemon writes after run() returned
        if out.exists() and out.read_text():
            break
        time.sleep(0.02)
    assert out.read_text() == f"{real}\n"
    assert (seen[0].binary, seen[0].found, seen[0].argv[0]) == (str(real), str(link), str(link))


def test_a_rule_written_through_a_directory_link_judges_the_canonical_path(
    make_host, tmp_path: Path
) -> None:
    """On merged /usr, ``deny binary /bin/rm`` must stop ``rm`` found as /usr/bin/rm."""
    real = tmp_path / "usr-bin"
    real.mkdir()
    (tmp_path / "bin").symlink_to(real)
    tool = real / "tool"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    host = policy_host(make_host, tmp_path, f"deny binary {tmp_path}/bin/tool\n"
                                            f"deny binary {tmp_path}/bin/other*\n")
    with host.monitored():
        with pytest.raises(CommandError) as caught:
            Command(tool).run()
        assert caught.value.code == ErrorCode.OPERATION_DENIED
        other = real / "other-tool"
        shutil.copy(tool, other)
        with pytest.raises(CommandError):
            Command(other).run()
        allowed = real / "fine"
        shutil.copy(tool, allowed)
        assert Command(allowed).run().status == 0
