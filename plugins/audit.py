"""The audit plugin: one JSON line for every spawn, refusal and lifecycle event.

Enable it in corrald.conf with ``plugins = ["audit"]``; ``audit_log_file`` says where the
log goes (empty: ``<state dir>/audit.log``). Each line is a JSON object with ``time`` (UTC,
ISO 8601) and ``kind``:

- ``spawn``: ``argv``, ``env_names``, ``cwd``, ``mode``, ``dry_run``, ``pid``, ``status``,
  ``signal``, ``duration``, ``error`` -- written when a ``run`` ends or a ``run_async``
  child has started;
- ``reaped``: the same fields, when a ``run_async`` child has been reaped;
- ``denied``: the spawn fields plus ``reason``, when a plugin refused the command;
- ``lifecycle``: ``object_type``, ``name``, ``event``, ``detail``.

Environment *values* are never written, only names: they hold passwords. The engine
guarantees it: a :class:`~corral.core.SpawnRecord` carries names only, and its ``error`` is a
summary of the failure's facts, never the error text (which quotes the command line with
its environment). The file is opened in append mode (0600) for each record and closed
again, so every record is on disk when the spawn returns and log rotation needs no signal;
a symbolic link at its path is never followed, and anything but a regular file there (a
FIFO, a device) is never written to: it is opened without blocking, so a planted FIFO cannot
hang the spawns (the record is refused and logged in both cases).
A write failure is logged and never breaks the spawn it describes.
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import json
import os
import stat
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

from corral.core import ConfigKey, PluginContext, SpawnRecord
from corral.core.hookspecs import LifecycleEvent, hookimpl

__all__ = ["AuditPlugin"]

class AuditPlugin:
    """Append a JSON record of every spawn and lifecycle event to the audit log.

    Args:
        context: Given by corral: the settings (``audit_log_file``), paths and logger.
    """

    config_keys = (
        ConfigKey("audit_log_file", "string", "",
                  "Where the audit plugin appends its JSON lines; empty means "
                  "<state dir>/audit.log."),
    )

    def __init__(self, context: PluginContext) -> None:
        configured = context.config.string("audit_log_file")
        self.path = Path(configured) if configured else context.paths.state / "audit.log"
        self.logger = context.logger
        # Records from several worker threads must not interleave within a line.
        self._lock = threading.Lock()

    @hookimpl(wrapper=True)
    def corral_spawn_check(self, spawn: SpawnRecord) -> Generator[None, str | None, str | None]:
        """Record a refusal; the reason comes from whichever plugin refused."""
        reason = yield
        if reason is not None:
            self.write({"kind": "denied", **dataclasses.asdict(spawn), "reason": reason})
        return reason

    @hookimpl(wrapper=True)
    def corral_spawn(self, spawn: SpawnRecord) -> Generator[None, None, None]:
        """Record the spawn once it ended (run) or started (run_async), failed or not."""
        try:
            yield
        finally:
            self.write({"kind": "spawn", **dataclasses.asdict(spawn)})

    @hookimpl
    def corral_spawn_reaped(self, spawn: SpawnRecord) -> None:
        """Record the end of a child started with ``run_async``."""
        self.write({"kind": "reaped", **dataclasses.asdict(spawn)})

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        """Record a driver's lifecycle event (without the object's XML: the audit log says
        what happened to which object, and the definition lives in the config root)."""
        fields = dataclasses.asdict(event)
        del fields["xml"]
        self.write({"kind": "lifecycle", **fields})

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` with a timestamp as one JSON line; log (never raise) on failure."""
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
        line = json.dumps({"time": now, **record}, default=str) + "\n"
        try:
            with self._lock:
                self._append(line.encode())
        except OSError as exc:
            # The spawn already happened (or is refused anyway): losing a record is bad,
            # breaking the caller for it would be worse.
            self.logger.error("Cannot write the audit log %s: %s", self.path, exc)

    def _append(self, data: bytes) -> None:
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_NONBLOCK: a FIFO planted at the log's path must not hang every spawn in open()
        # (with no reader it fails with ENXIO; with one, the check below refuses it).
        flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                 | os.O_NONBLOCK)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP and self.path.is_symlink():
                # A link planted at the log's path: root must not append through it.
                raise OSError(exc.errno, "it is a symbolic link, which the audit log "
                                         "never follows") from exc
            if exc.errno == errno.ENXIO:
                raise _not_regular() from exc
            raise
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _not_regular()
            os.write(fd, data)
        finally:
            os.close(fd)


def _not_regular() -> OSError:
    return OSError(errno.EINVAL, "it is not a regular file (a FIFO, a device or a socket), "
                                 "which the audit log never writes to")
