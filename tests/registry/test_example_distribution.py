"""The out-of-tree example (docs/examples/corral-example-plugin) is found and runs.

The fast tests install it the way pip lays it out -- a ``*.dist-info`` with the entry points
of its own pyproject.toml, its package on ``sys.path`` -- and drive the ``dummy`` driver and
the ``tracer`` plugin through a real Host and the real engine, found by their entry-point
names with corral's testing kit (``corral.core.testing.running_host``), the way a driver
author tests theirs. The slow test builds and
installs it with pip for real, then runs it in a fresh interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from corral.core import CommandError, CorralError, ErrorCode
from corral.core.host import DRIVER_GROUP, PLUGIN_GROUP, Registry
from corral.core.testing import running_host

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "corral-example-plugin"
PROJECT = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]


@pytest.fixture
def installed_example(make_distribution, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example's metadata and package on sys.path, as an install leaves them."""
    site = make_distribution(PROJECT["name"], PROJECT["entry-points"], version=PROJECT["version"])
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    return site


def test_corral_finds_the_driver_and_the_plugin(installed_example: Path) -> None:
    registry = Registry.discover()
    for group, name in ((DRIVER_GROUP, "dummy"), (PLUGIN_GROUP, "tracer")):
        info = registry.info(group, name)
        assert (info.distribution, info.version) == ("corral-example-plugin", "0.1.0")
        assert info.value == PROJECT["entry-points"][group][name]
        assert info.origin == str(installed_example)
    described = registry.driver_class("dummy").describe_operations()
    assert {name: op.read_only for name, op in described.items()} == {
        "dummy-define": False, "dummy-list": True, "dummy-start": False, "dummy-stop": False}
    assert [(a.name, a.type_name, a.required) for a in described["dummy-start"].arguments] == [
        ("name", "str", True)]


def test_the_driver_runs_and_the_plugin_sees_everything(
    installed_example: Path, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.log"
    with running_host(tmp_path / "root", drivers=["dummy"], plugins=["tracer"],
                      config=f'example_trace_file = "{trace}"\n') as host:
        host.call("dummy", "dummy-define", name="alpha")
        assert host.call("dummy", "dummy-start", name="alpha") == "started alpha\n"
        assert host.call("dummy", "dummy-list") == ["alpha"]
    lines = trace.read_text().splitlines()
    assert lines[0] == "driver dummy DummyDriver"
    assert lines[1:] == ["event dummy alpha defined", "begin dummy alpha start",
                         "before echo started alpha", "after echo started alpha status=0",
                         "event dummy alpha started"]
    assert (tmp_path / "root/var/lib/corral/dummy/alpha").exists()


def test_the_example_driver_refuses_a_name_that_leaves_its_directory(
    installed_example: Path, tmp_path: Path
) -> None:
    with running_host(tmp_path / "root", drivers=["dummy"]) as host:
        for name in ("../escaped", "", ".hidden"):
            with pytest.raises(CorralError, match="must be a plain file name") as caught:
                host.call("dummy", "dummy-define", name=name)
            assert caught.value.code == ErrorCode.INVALID_ARG
            assert caught.value.domain == "dummy"  # the driver's own domain, given by corral
        with pytest.raises(CorralError, match="needs the argument 'name' as str, not int"):
            host.call("dummy", "dummy-define", name=7)
    assert not (tmp_path / "root/var/lib/corral/escaped").exists()


def refused_start(tmp_path: Path, name: str) -> tuple[CorralError, str]:
    """Define and start ``name`` under the tracer; return the refusal and the trace."""
    with running_host(tmp_path / "root", drivers=["dummy"], plugins=["tracer"],
                      config=f'example_trace_file = "{tmp_path}/t"\n') as host:
        host.call("dummy", "dummy-define", name=name)
        with pytest.raises(CorralError) as caught:
            host.call("dummy", "dummy-start", name=name)
        assert host.drivers["dummy"].running == set()
    return caught.value, (tmp_path / "t").read_text()


def test_the_plugin_refuses_a_command_and_nothing_runs(
    installed_example: Path, tmp_path: Path
) -> None:
    error, trace = refused_start(tmp_path, "--forbidden")
    assert isinstance(error, CommandError) and error.code == ErrorCode.OPERATION_DENIED
    assert "the tracer plugin refuses commands with --forbidden" in str(error)
    assert "before" not in trace  # the wrapper never ran: no spawn


def test_the_plugin_refuses_a_start_before_the_driver_does_anything(
    installed_example: Path, tmp_path: Path
) -> None:
    error, trace = refused_start(tmp_path, "frozen-1")
    assert str(error) == ("A plugin refused to let the dummy 'frozen-1' start: the "
                          "tracer plugin keeps frozen objects stopped")
    assert (error.code, error.domain) == (ErrorCode.OPERATION_DENIED, "dummy")
    assert "begin dummy frozen-1 start" in trace and "echo" not in trace  # nothing ran


def test_a_broken_entry_point_in_the_same_distribution_is_loud(
    make_distribution, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_points = {group: dict(entries) for group, entries in PROJECT["entry-points"].items()}
    entry_points[PLUGIN_GROUP]["tracer"] = "corral_example.tracer:TracePlugin"  # a typo
    make_distribution(PROJECT["name"], entry_points, version=PROJECT["version"])
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    with pytest.raises(CorralError) as caught:
        Registry.discover()
    assert str(caught.value).startswith(
        "Cannot load the corral.plugins entry point 'tracer' = corral_example.tracer:TracePlugin "
        "from corral-example-plugin 0.1.0: AttributeError")


def _can_build_wheels() -> bool:
    # setuptools older than 70.1 builds wheels only with the separate "wheel" package.
    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.mark.slow
def test_pip_installs_the_example_and_a_fresh_interpreter_runs_it(tmp_path: Path) -> None:
    if not _can_build_wheels():
        pytest.skip("building the example needs setuptools>=70.1 or the 'wheel' package")
    target = tmp_path / "site"
    # Build from a copy: an in-tree build leaves build/ and src/*.egg-info in the docs,
    # and that egg-info would shadow the metadata the fast tests above lay out.
    source = tmp_path / "example"
    shutil.copytree(EXAMPLE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(source)],
        check=True, cwd=tmp_path, timeout=120,
    )
    script = (
        "import json, sys\n"
        "from corral.core.testing import running_host\n"
        "trace = f'example_trace_file = \"{sys.argv[2]}\"\\n'\n"
        "with running_host(sys.argv[1], drivers=['dummy'], plugins=['tracer'],"
        " config=trace) as host:\n"
        "    host.call('dummy', 'dummy-define', name='b')\n"
        "    print(json.dumps([host.call('dummy', 'dummy-start', name='b'),"
        " host.registry.info('corral.plugins', 'tracer').distribution]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "root"),
                           str(tmp_path / "trace")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["started b\n", "corral-example-plugin"]
    assert "before echo started b" in (tmp_path / "trace").read_text()
    leftovers = [*EXAMPLE.glob("build"), *EXAMPLE.glob("src/*.egg-info")]
    assert not leftovers, f"the build wrote into the source tree: {leftovers}"
