"""The layering contracts in pyproject.toml hold (import-linter, run as the Makefile does)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_registry_contracts_are_declared() -> None:
    names = {contract["name"] for contract in CONTRACTS["contracts"]}
    assert {
        "core never imports drivers or plugins",
        "plugins never import drivers",
        "drivers are independent of each other",
    } <= names


def test_lint_imports_keeps_every_contract(tmp_path: Path) -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed next to this interpreter")
    done = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "plugins never import drivers KEPT" in done.stdout
    assert "drivers are independent of each other KEPT" in done.stdout
