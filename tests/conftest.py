"""Shared fixtures: a private commandhelper per test and a private entry-point cache."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from corral.core.command import _dryrun, _monitor

HELPERS = Path(__file__).parent / "helpers"


@dataclasses.dataclass(frozen=True)
class CommandHelper:
    """An executable copy of tests/helpers/commandhelper.py in a private directory."""

    path: Path

    @property
    def log_path(self) -> Path:
        return self.path.parent / "commandhelper.log"

    def log(self) -> str:
        """Return the report the last run wrote."""
        return self.log_path.read_text()

    def log_lines(self) -> list[str]:
        return self.log().splitlines()


def make_commandhelper(directory: Path) -> CommandHelper:
    """Write an executable commandhelper (``#!python -IS``) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "commandhelper"
    source = (HELPERS / "commandhelper.py").read_text()
    path.write_text(f"#!{sys.executable} -IS\n{source}")
    path.chmod(0o755)
    return CommandHelper(path)


@pytest.fixture
def commandhelper(tmp_path: Path) -> CommandHelper:
    """A commandhelper whose log lands in a directory of this test's own."""
    return make_commandhelper(tmp_path / "helper")


@pytest.fixture(autouse=True)
def _private_entry_point_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep stevedore's entry-point cache out of the user's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(autouse=True)
def _no_leaked_process_wide_monitor() -> Iterator[None]:
    """Forget the process-wide spawn monitors and dry runs a test left installed.

    A test that starts a host's driver and never shuts it down leaves the host's plugins
    watching every later spawn of the session (as they would in corrald): keep that test's
    policy out of the next one, and an abandoned ``replay()`` from faking its commands.
    """
    yield
    _monitor._process_wide.entries = ()
    _dryrun._process_wide.entries = ()
