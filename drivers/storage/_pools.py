"""The storage driver's files: pool definitions, autostart links and live status.

libvirt's layout, under corral's roots:

- ``<config>/storage/NAME.xml``: the definition (``virStoragePoolDefFormat``);
- ``<config>/storage/autostart/NAME.xml``: a symbolic link to it, for autostart;
- ``<runtime>/storage/NAME.json``: an active pool's status: the definition it was
  started with (a redefinition applies at the next start) and its volumes. corrald reads
  these at start to re-attach to the pools that kept running.

Every file is written atomically (:func:`corral.core.state.atomic_write`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from corral.core import HostPaths
from corral.core.state import atomic_write
from corral.drivers.storage.backends import Volume
from corral.drivers.storage.conf import PoolDefinition, format_pool, load_pool, parse_pool

__all__ = ["PoolFiles", "PoolStatus"]


@dataclasses.dataclass(frozen=True)
class PoolStatus:
    """An active pool: the definition it runs with and the volumes its last refresh found."""

    definition: PoolDefinition
    volumes: tuple[Volume, ...] = ()

    def to_json(self) -> str:
        """Return the status file's content."""
        return json.dumps({"xml": format_pool(self.definition),
                           "volumes": [volume.to_dict() for volume in self.volumes]},
                          indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, *, file: str) -> PoolStatus:
        """Read a status file written by :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        return cls(parse_pool(data["xml"], file=file),
                   tuple(Volume(**volume) for volume in data["volumes"]))


class PoolFiles:
    """Where the definitions, autostart links and status files of the pools are."""

    def __init__(self, paths: HostPaths) -> None:
        self.config = paths.config / "storage"
        self.autostart_dir = self.config / "autostart"
        self.status_dir = paths.runtime / "storage"
        self.lock_dir = paths.runtime / "storage" / "locks"

    def definitions(self) -> list[PoolDefinition]:
        """Return every saved definition, by file name."""
        if not self.config.is_dir():
            return []
        return [load_pool(path) for path in sorted(self.config.glob("*.xml"))]

    def save(self, definition: PoolDefinition) -> None:
        """Write the definition's file."""
        self.config.mkdir(parents=True, exist_ok=True)
        atomic_write(self.config / f"{definition.name}.xml", format_pool(definition))

    def delete(self, name: str) -> None:
        """Remove the definition and its autostart link."""
        self.set_autostart(name, False)
        (self.config / f"{name}.xml").unlink(missing_ok=True)

    def autostart(self, name: str) -> bool:
        """Return True when the pool starts with corrald."""
        return os.path.lexists(self.autostart_dir / f"{name}.xml")

    def set_autostart(self, name: str, enabled: bool) -> None:
        """Create or remove the autostart link (libvirt's: a link to the definition)."""
        link = self.autostart_dir / f"{name}.xml"
        if not enabled:
            link.unlink(missing_ok=True)
            return
        if not os.path.lexists(link):
            self.autostart_dir.mkdir(parents=True, exist_ok=True)
            link.symlink_to(Path("..") / f"{name}.xml")

    def statuses(self) -> dict[str, PoolStatus]:
        """Return the status of every pool a previous corrald left active."""
        if not self.status_dir.is_dir():
            return {}
        found = {}
        for path in sorted(self.status_dir.glob("*.json")):
            status = PoolStatus.from_json(path.read_text(encoding="utf-8"), file=str(path))
            found[status.definition.name] = status
        return found

    def write_status(self, status: PoolStatus) -> None:
        """Write an active pool's status file."""
        self.status_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.status_dir / f"{status.definition.name}.json", status.to_json())

    def delete_status(self, name: str) -> None:
        """Remove the status file: the pool is inactive."""
        with contextlib.suppress(FileNotFoundError):
            (self.status_dir / f"{name}.json").unlink()
