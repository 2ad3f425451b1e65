"""The layering contracts in pyproject.toml hold (import-linter, run as the Makefile does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import corral.core
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERING = "the CLI, daemon and client sit above the host, the host above xml, state and command"
EXTENSIONS = "drivers and plugins never import the host, daemon, client or CLI"


def lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed next to this interpreter")
    return subprocess.run([lint, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_the_registry_contracts_are_declared() -> None:
    names = {contract["name"] for contract in CONTRACTS["contracts"]}
    assert {
        "core never imports drivers or plugins",
        "plugins never import drivers",
        "drivers are independent of each other",
        LAYERING,
        EXTENSIONS,
    } <= names


def test_lint_imports_keeps_every_contract(tmp_path: Path) -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "plugins never import drivers KEPT" in done.stdout
    assert "drivers are independent of each other KEPT" in done.stdout
    assert " ".join(done.stdout.split()).count(" KEPT") == len(CONTRACTS["contracts"])


def test_the_layer_contracts_catch_a_driver_a_plugin_and_the_engine_climbing(
    tmp_path: Path,
) -> None:
    # A copy of the installed corral with three planted imports, found first on sys.path.
    installed = Path(next(iter(corral.core.__path__))).parent
    shutil.copytree(installed, tmp_path / "corral", ignore=shutil.ignore_patterns("__pycache__"))
    planted = {
        "drivers/sneaky.py": "import corral.core.host\n",
        "plugins/sneaky.py": "from corral.core.cli import main\n",
        "core/xml/sneaky.py": "from corral.core.host import Registry\n",
    }
    for path, source in planted.items():
        (tmp_path / "corral" / path).write_text(source)
    done = lint_imports(tmp_path, {**os.environ, "PYTHONPATH": str(tmp_path)})
    report = " ".join(done.stdout.split())
    assert done.returncode == 1, report
    assert f"{LAYERING} BROKEN" in report and f"{EXTENSIONS} BROKEN" in report
    for module in ("corral.drivers.sneaky", "corral.plugins.sneaky", "corral.core.xml.sneaky"):
        assert module in report
