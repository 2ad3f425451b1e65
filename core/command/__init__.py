"""corral.core.command: the spawning engine, a Python port of libvirt's virCommand.

Build a :class:`Command`, run it, get a :class:`CommandResult`; nothing goes through a
shell. See ``docs/command.md`` for the guide and the virCommand name table.
"""

from corral.core.command._command import Command
from corral.core.command._dryrun import DryRun, dry_run
from corral.core.command._monitor import (
    SpawnMonitor,
    SpawnRecord,
    monitor_all_spawns,
    monitor_spawns,
)
from corral.core.command._result import CommandResult
from corral.core.command._spec import PIPE

__all__ = [
    "PIPE",
    "Command",
    "CommandResult",
    "DryRun",
    "SpawnMonitor",
    "SpawnRecord",
    "dry_run",
    "monitor_all_spawns",
    "monitor_spawns",
]
