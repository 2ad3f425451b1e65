"""config/hooks/: the shipped examples are inert as shipped, and work once installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corral.drivers.hooks import HookCall, find_scripts, run_hook

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "hooks"
CALLS = {
    "daemon": [("-", "start", "-", "start"), ("-", "reload", "begin", "SIGHUP"),
               ("-", "shutdown", "-", "shutdown")],
    "network": [("n;x $(id)", "start", "begin", "-"), ("n", "started", "begin", "-"),
                ("n", "stopped", "end", "-")],
    "storage": [("p", "start", "begin", "-"), ("p", "stopped", "end", "-")],
    "node": [("-", "suspend", "begin", "mem"), ("-", "resume", "end", "mem")],
}


def test_every_driver_has_an_example_and_none_is_executable() -> None:
    examples = sorted(EXAMPLES.glob("*.example"))
    assert [path.stem for path in examples] == sorted(CALLS)
    for path in [*examples, EXAMPLES / "README"]:
        assert path.stat().st_mode & 0o111 == 0, f"{path} must not be executable"


def test_copied_as_shipped_nothing_runs(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "hooks")
    assert find_scripts(tmp_path / "hooks").by_driver == {}


@pytest.mark.parametrize("driver", sorted(CALLS))
def test_installed_each_example_accepts_its_operations(tmp_path: Path, driver: str) -> None:
    script = tmp_path / "hooks" / driver
    script.parent.mkdir()
    shutil.copy(EXAMPLES / f"{driver}.example", script)
    script.chmod(0o755)
    assert find_scripts(tmp_path / "hooks").scripts(driver) == (script,)
    for args in CALLS[driver]:
        call = HookCall(driver, *args, stdin="<hookData/>" if driver == "network" else "")
        assert run_hook(script, call, timeout=10) is None
