"""Build hook: compile corral-exec, the engine's static exec wrapper, into the package.

pyproject.toml stays the source of all metadata; this file only adds the compile step
to ``build_py`` and marks the distribution as platform-specific, so the wheel carries a
platform tag instead of claiming to be pure Python. Without a C compiler the build still
succeeds and the engine falls back to util-linux ``prlimit``/``setpriv``.
"""

from __future__ import annotations

import os
import subprocess

# This venv has no setuptools stubs; newer setuptools ship their own types.
from setuptools import setup  # type: ignore[import-untyped,unused-ignore]
from setuptools.command.build_py import build_py  # type: ignore[import-untyped,unused-ignore]
from setuptools.dist import Distribution  # type: ignore[import-untyped,unused-ignore]

SOURCE = os.path.join("core", "command", "_native", "corral_exec.c")
PACKAGE_DIR = os.path.join("corral", "core", "command", "_native")
FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra"]


class BuildWithNative(build_py):  # type: ignore[misc,unused-ignore]
    """``build_py`` that also compiles corral-exec next to ``_native/__init__.py``."""

    def run(self) -> None:
        """Copy the Python sources, then compile the wrapper (static if possible)."""
        super().run()
        # An editable install imports the work tree, so the binary belongs there.
        if getattr(self, "editable_mode", False):
            target = os.path.join(os.path.dirname(SOURCE), "corral-exec")
        else:
            target = os.path.join(self.build_lib, PACKAGE_DIR, "corral-exec")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        for link in (["-static"], []):  # dynamic only when static libc is missing
            command = ["cc", *FLAGS, *link, "-o", target, SOURCE]
            self.announce(" ".join(command), level=2)
            try:
                subprocess.run(command, check=True)
                return
            except (OSError, subprocess.CalledProcessError) as exc:
                self.warn(f"{' '.join(command)} failed: {exc}")
        self.warn("corral-exec was not built; the engine will use util-linux prlimit/setpriv.")


class NativeDistribution(Distribution):  # type: ignore[misc,unused-ignore]
    """A distribution with compiled code, so the wheel gets a platform tag."""

    def has_ext_modules(self) -> bool:
        """Return True: corral-exec is machine code even though it is no extension."""
        return True


setup(distclass=NativeDistribution, cmdclass={"build_py": BuildWithNative})
