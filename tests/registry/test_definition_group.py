"""The ``corral.definitions`` group as ``corral validate`` uses it: broken kinds stay one line.

A kind that fails to import is loud, as every corral entry point is (stevedore would skip
it silently); a kind whose loader raises something that is not a CorralError is still one
``error:`` line, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from corral.core.host import DEFINITION_GROUP

BROKEN = "def load(tree, *, file=None):\n    raise ValueError('boom')\n"


def validate(path: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "corral.core.cli", "validate", str(path)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_a_foreign_error_in_a_loader_is_one_line(make_distribution, tmp_path: Path) -> None:
    site = make_distribution("widgets", {DEFINITION_GROUP: {"widget": "widgetkind:load"}},
                             modules={"widgetkind": BROKEN})
    path = tmp_path / "w.xml"
    path.write_text("<widget/>")
    done = validate(path, site)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"error: The {DEFINITION_GROUP} entry point 'widget' failed on {path}: ValueError: boom\n"
    )


def test_a_kind_that_cannot_be_imported_is_loud(make_distribution, tmp_path: Path) -> None:
    site = make_distribution("gizmos", {DEFINITION_GROUP: {"gizmo": "nowhere.gizmo:KIND"}})
    path = tmp_path / "g.xml"
    path.write_text("<network><name>n</name></network>")
    done = validate(path, site)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        f"error: Cannot load the {DEFINITION_GROUP} entry point 'gizmo' = nowhere.gizmo:KIND "
        "from gizmos 1.0: ModuleNotFoundError"
    )
    assert done.stderr.count("\n") == 1
