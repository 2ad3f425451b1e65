"""Where hook scripts live and which of them run: libvirt's layout, scanned once.

Under ``<config root>/hooks/``: ``<driver>`` (the main script) and every entry of
``<driver>.d/``, for any driver name found there (``daemon``, ``network``, ``storage``,
``node``, a third party's). The main script runs first, then the ``.d`` entries sorted by
their names' bytes (libvirt sorts paths byte-wise); anything that is not a regular file
with an execute bit is skipped, as libvirt's ``virFileIsExecutable`` does. The scan happens
at start and on reload, never on every call (libvirt's ``virHookInitialize``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

__all__ = ["HookScripts", "find_scripts"]

_LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class HookScripts:
    """The executable hook scripts found by one scan, by driver name, in running order.

    Attributes:
        directory: The ``hooks`` directory scanned.
        by_driver: ``{"network": (hooks/network, hooks/network.d/10-a, ...)}``; a driver
            without an executable script is absent.
    """

    directory: Path
    by_driver: Mapping[str, tuple[Path, ...]]

    def scripts(self, driver: str) -> tuple[Path, ...]:
        """Return the scripts to run for ``driver``, main script first; () when none."""
        return self.by_driver.get(driver, ())


def find_scripts(directory: str | os.PathLike[str]) -> HookScripts:
    """Scan ``directory`` (``<config>/hooks``) once; a missing directory has no scripts."""
    root = Path(directory)
    try:
        names = sorted(os.listdir(root), key=os.fsencode)
    except FileNotFoundError:
        return HookScripts(root, {})
    except OSError as exc:
        _LOG.warning("Cannot read the hook directory %s: %s; no hook script will run.",
                     root, exc)
        return HookScripts(root, {})
    drivers = {name.removesuffix(".d") for name in names if not name.startswith(".")}
    found: dict[str, tuple[Path, ...]] = {}
    for driver in sorted(drivers, key=os.fsencode):
        scripts = [root / driver] if _is_executable(root / driver) else []
        scripts += _entries(root / f"{driver}.d")
        if scripts:
            found[driver] = tuple(scripts)
    return HookScripts(root, found)


def _entries(directory: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(directory), key=os.fsencode)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        _LOG.warning("Cannot read the hook directory %s: %s", directory, exc)
        return []
    chosen = []
    for name in names:
        path = directory / name
        if _is_executable(path):
            chosen.append(path)
        else:
            _LOG.debug("Skipping the hook %s: not an executable regular file.", path)
    return chosen


def _is_executable(path: Path) -> bool:
    try:
        mode = path.stat().st_mode  # follows a symbolic link, as libvirt's stat() does
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & 0o111)
