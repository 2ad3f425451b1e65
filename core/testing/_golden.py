"""Golden files: compare what a pure function rendered with the file that holds it.

libvirt tests its XML → config renderers against expected files and regenerates them with
``VIR_TEST_REGENERATE_OUTPUT=1``; corral does the same with
``CORRAL_TEST_REGENERATE_OUTPUT=1``: the expected files are rewritten from the actual
output (review the diff before committing it), and the comparison passes.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

__all__ = ["REGENERATE_ENV", "GoldenMismatch", "assert_golden"]

#: Set to 1 to rewrite the expected files instead of comparing with them.
REGENERATE_ENV = "CORRAL_TEST_REGENERATE_OUTPUT"


class GoldenMismatch(AssertionError):
    """The output differs from the expected file (or the file is missing)."""


def assert_golden(actual: str, expected_file: str | os.PathLike[str]) -> None:
    """Fail unless ``actual`` is exactly the text of ``expected_file``.

    With ``CORRAL_TEST_REGENERATE_OUTPUT=1`` in the environment, the file is written
    (its directory created) from ``actual`` instead, and nothing fails.

    Raises:
        GoldenMismatch: With a unified diff (expected → actual) and how to regenerate.
    """
    path = Path(expected_file)
    if os.environ.get(REGENERATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    how = f"(rerun with {REGENERATE_ENV}=1 to write it from the actual output)"
    if not path.exists():
        raise GoldenMismatch(f"The expected file {path} does not exist {how}.")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=str(path), tofile="actual"))
        raise GoldenMismatch(f"The output differs from {path} {how}:\n{diff}")
