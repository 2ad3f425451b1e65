"""``corral validate`` on a third party's kind whose loader is buggy: one ``error:`` line.

The loader is installed as a real ``corral.definitions`` entry point and the real program
runs, so what a user sees is what the test sees (no traceback, with or without ``--json``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LOADERS = '''
class Nameless:
    pass

class OddName:
    name = object()

def nameless(tree, *, file=None):
    return Nameless()

def odd_name(tree, *, file=None):
    return OddName()
'''


@pytest.mark.parametrize("kind, why", [
    ("nameless", "AttributeError: 'Nameless' object has no attribute 'name'"),
    ("odd", "TypeError: the definition's name is object, not str"),
])
@pytest.mark.parametrize("options", [(), ("--json",)])
def test_a_loader_returning_a_bad_definition_is_one_error_line(
    make_distribution, tmp_path: Path, kind: str, why: str, options: tuple[str, ...]
) -> None:
    site = make_distribution("buggy-kinds", {"corral.definitions": {
        "nameless": "buggy_kinds:nameless", "odd": "buggy_kinds:odd_name"}},
        modules={"buggy_kinds": LOADERS})
    path = tmp_path / "thing.xml"
    path.write_text(f"<{kind}/>")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("CORRAL_DEFAULT_URI", None)
    done = subprocess.run(
        [sys.executable, "-m", "corral.core.cli", *options, "validate", str(path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr == (f"error: The corral.definitions entry point '{kind}' failed on "
                           f"{path}: {why}\n")
