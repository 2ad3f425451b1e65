"""The node driver: the host's facts (virNodeGetInfo, memory and CPU stats) and its suspend.

``node-suspend`` follows libvirt's virNodeSuspendForDuration step by step:

1. a duration under 60 s is the caller's mistake and is refused first (INVALID_ARG);
2. one suspend at a time (OPERATION_INVALID "Suspend operation already in progress");
3. the target must be supported (probed once, see :mod:`._suspend`) and an RTC wake
   alarm must exist (``/sys/class/rtc/rtc0/wakealarm``), else NO_SUPPORT;
4. ``context.begin("node", "node", "suspend", target)``: a plugin or an administrator's
   ``hooks/node`` script may refuse;
5. ``rtcwake -m no -s DURATION`` arms the alarm without sleeping (its failure aborts: no
   suspend follows); the event ``armed`` is announced and the reply (``{}``) goes back;
6. after :attr:`NodeDriver.suspend_delay` seconds (libvirt's 10, so the reply reaches the
   client) a background thread announces ``suspending`` and runs the suspend command;
   when it returns it announces ``resumed`` (or ``failed`` with the reason) and the
   pending flag clears.

Every announcement is a ``node`` lifecycle event (the daemon's NODE_SUSPEND) whose detail
is the target.
"""

from __future__ import annotations

import contextvars
import os
import threading
from pathlib import Path
from typing import Any

from corral.core import (
    Command,
    CorralError,
    Driver,
    DriverContext,
    ErrorCode,
    ErrorDomain,
    NoSupportError,
    operation,
)
from corral.drivers.node._info import cpu_stats, memory_stats, node_info
from corral.drivers.node._suspend import Support, Target, probe_support

__all__ = ["MIN_DURATION", "NODE", "NodeDriver"]

#: libvirt refuses shorter suspends: the host would wake before it is asleep.
MIN_DURATION = 60
#: The object type and name of the node's lifecycle events.
NODE = "node"


class NodeDriver(Driver):
    """The host itself: its facts and its suspend.

    Args:
        sys_root: Where sysfs is (tests give a fake tree).
        proc_root: Where procfs is.
        run_root: Where ``/run`` is (the system D-Bus socket).
    """

    domain = ErrorDomain.NODE
    #: Seconds between the reply and the suspend (libvirt's 10).
    suspend_delay: float = 10.0

    def __init__(self, sys_root: str | os.PathLike[str] = "/sys",
                 proc_root: str | os.PathLike[str] = "/proc",
                 run_root: str | os.PathLike[str] = "/run") -> None:
        self.sys_root, self.proc_root, self.run_root = (
            Path(sys_root), Path(proc_root), Path(run_root))
        self._lock = threading.Lock()
        self._support: Support | None = None
        self._pending = False
        self._worker: threading.Thread | None = None
        self._cancel = threading.Event()

    def initialize(self, context: DriverContext) -> None:
        """Start; the suspend support is probed at the first suspend, not here."""
        super().initialize(context)

    def shutdown(self) -> None:
        """Cancel a suspend still waiting for its delay (the alarm stays armed, harmless)."""
        self._cancel.set()
        self.join_suspend()

    @operation(read_only=True)
    def node_info(self) -> dict[str, Any]:
        """virNodeInfo: model, memory (KiB), cpus, mhz, nodes, sockets, cores, threads."""
        return node_info(self.sys_root, self.proc_root, os.uname().machine)

    @operation(read_only=True)
    def node_memory_stats(self, cell: int = -1) -> dict[str, int]:
        """virsh nodememstats: total, free, buffers, cached in KiB (a cell: total, free)."""
        return memory_stats(self.sys_root, self.proc_root, cell)

    @operation(read_only=True)
    def node_cpu_stats(self, cpu: int = -1) -> dict[str, int]:
        """virsh nodecpustats: kernel, user, idle, iowait in nanoseconds (all or one CPU)."""
        return cpu_stats(self.proc_root, cpu)

    @operation
    def node_suspend(self, target: Target, duration: int) -> dict[str, Any]:
        """Suspend the host to ``target`` for ``duration`` seconds; returns before it sleeps.

        Raises:
            CorralError: INVALID_ARG for a duration under 60 s; OPERATION_INVALID while
                another suspend is pending; what a plugin or hook script raised.
            NoSupportError: If the host cannot suspend to ``target`` or has no RTC alarm.
            CommandError: If ``rtcwake`` fails (nothing is suspended).
        """
        if duration < MIN_DURATION:
            raise CorralError(
                f"The suspend duration must be at least {MIN_DURATION} seconds, not "
                f"{duration}.", code=ErrorCode.INVALID_ARG, argument="duration",
                duration=duration)
        with self._lock:
            if self._pending:
                raise CorralError("Suspend operation already in progress.",
                                  code=ErrorCode.OPERATION_INVALID, target=target)
            support = self._probe()
            command = self._suspend_command(support, target)
            self._pending = True
        try:
            self.context.begin(NODE, NODE, "suspend", target)
            Command("rtcwake", "-m", "no", "-s", str(duration)).set_error_buffer().run()
        except BaseException:
            self._clear()
            raise
        self.context.emit(NODE, NODE, "armed", target)
        self._cancel.clear()
        work = contextvars.copy_context()  # its commands pass through the plugins too
        self._worker = threading.Thread(target=work.run, args=(self._suspend, command, target),
                                        name="corral-node-suspend", daemon=True)
        self._worker.start()
        return {}

    def join_suspend(self, timeout: float | None = None) -> bool:
        """Wait for a started suspend's thread to end; return True when none is left."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return worker is None or not worker.is_alive()

    def _probe(self) -> Support:
        if self._support is None:
            self._support = probe_support(self.sys_root, self.run_root)
            self.context.logger.info("Suspend support (%s): %s", self._support.source,
                                     ", ".join(sorted(self._support.targets)) or "none")
        return self._support

    def _suspend_command(self, support: Support, target: Target) -> tuple[str, ...]:
        if target not in support.targets:
            raise NoSupportError(
                f"This host cannot suspend to '{target}' ({support.source} supports: "
                f"{', '.join(sorted(support.targets)) or 'nothing'}).",
                domain=self.domain, target=target, source=support.source)
        alarm = self.sys_root / "class/rtc/rtc0/wakealarm"
        if not alarm.exists():
            raise NoSupportError(
                f"This host has no RTC wake alarm ({alarm} is missing): it could not wake "
                "up again.", domain=self.domain, target=target, path=str(alarm))
        return support.command(target)

    def _suspend(self, command: tuple[str, ...], target: Target) -> None:
        try:
            if self._cancel.wait(self.suspend_delay):
                self.context.emit(NODE, NODE, "cancelled", target)
                return
            self.context.emit(NODE, NODE, "suspending", target)
            try:
                Command(*command).set_error_buffer().run()
            except CorralError as exc:
                self.context.logger.error("The suspend failed: %s", exc)
                self.context.emit(NODE, NODE, "failed", f"{target}: {exc}")
            else:
                self.context.emit(NODE, NODE, "resumed", target)
        finally:
            self._clear()

    def _clear(self) -> None:
        with self._lock:
            self._pending = False
