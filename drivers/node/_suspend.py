"""Suspending the host for a while, as libvirt's virNodeSuspendForDuration does.

What the host supports is probed once, in libvirt's order, every tool run through
:class:`~corral.core.Command` (so ``dry_run`` and the plugins see it):

1. logind over the system D-Bus, when there is one: ``busctl call ... CanSuspend`` (or
   ``gdbus`` when busctl is missing); ``yes`` or ``challenge`` means supported. The
   suspend itself is then ``systemctl suspend|hibernate|hybrid-sleep``.
2. pm-utils: ``pm-is-supported --suspend|--hibernate|--suspend-hybrid`` (exit 0 means
   supported); the suspend is ``pm-suspend|pm-hibernate|pm-suspend-hybrid``.
3. The kernel's own word: ``mem`` in ``/sys/power/state`` (mem), ``disk`` there (disk),
   and ``suspend`` among ``/sys/power/disk``'s modes too (hybrid); the suspend is
   ``systemctl``'s, which starts systemd's sleep targets itself when logind is away.

A missing tool (exit status 127) moves on to the next source; a source that answers is
final, as in libvirt.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Literal

from corral.core import Command

__all__ = ["SUSPEND_COMMANDS", "Support", "Target", "probe_support"]

Target = Literal["mem", "disk", "hybrid"]

_LOGIND_METHODS: dict[Target, str] = {
    "mem": "CanSuspend", "disk": "CanHibernate", "hybrid": "CanHybridSleep"}
_PM_OPTIONS: dict[Target, str] = {
    "mem": "--suspend", "disk": "--hibernate", "hybrid": "--suspend-hybrid"}

#: The command that suspends the host, by the source that said it can.
SUSPEND_COMMANDS: dict[str, dict[Target, tuple[str, ...]]] = {
    "logind": {"mem": ("systemctl", "suspend"), "disk": ("systemctl", "hibernate"),
               "hybrid": ("systemctl", "hybrid-sleep")},
    "pm-utils": {"mem": ("pm-suspend",), "disk": ("pm-hibernate",),
                 "hybrid": ("pm-suspend-hybrid",)},
    "sysfs": {"mem": ("systemctl", "suspend"), "disk": ("systemctl", "hibernate"),
              "hybrid": ("systemctl", "hybrid-sleep")},
}

_MISSING = 127  # the engine's status for a binary not found on PATH


@dataclasses.dataclass(frozen=True)
class Support:
    """What the host can do, and who said so.

    Attributes:
        source: ``logind``, ``pm-utils`` or ``sysfs``.
        targets: The supported targets.
    """

    source: str
    targets: frozenset[Target]

    def command(self, target: Target) -> tuple[str, ...]:
        """The argv that suspends the host to ``target``."""
        return SUSPEND_COMMANDS[self.source][target]


def probe_support(sys_root: Path, run_root: Path) -> Support:
    """Ask logind, then pm-utils, then the kernel which targets this host supports."""
    if _has_system_bus(run_root):
        answers = {target: _logind(method) for target, method in _LOGIND_METHODS.items()}
        if all(answer is not None for answer in answers.values()):
            return Support("logind", frozenset(t for t, yes in answers.items() if yes))
    pm = {target: _run(("pm-is-supported", option)) for target, option in _PM_OPTIONS.items()}
    if all(status != _MISSING for status in pm.values()):
        return Support("pm-utils", frozenset(t for t, status in pm.items() if status == 0))
    states = _words(sys_root / "power/state")
    modes = {mode.strip("[]") for mode in _words(sys_root / "power/disk")}
    found: set[Target] = set()
    if "mem" in states:
        found.add("mem")
    if "disk" in states:
        found.add("disk")
        if "suspend" in modes:
            found.add("hybrid")
    return Support("sysfs", frozenset(found))


def _has_system_bus(run_root: Path) -> bool:
    return bool(os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")) or \
        (run_root / "dbus/system_bus_socket").exists()


def _logind(method: str) -> bool | None:
    """logind's answer to ``method`` (True for yes/challenge), or None if it cannot answer."""
    busctl = ("busctl", "call", "org.freedesktop.login1", "/org/freedesktop/login1",
              "org.freedesktop.login1.Manager", method)
    result = Command(*busctl).set_output_buffer().run(check=False)
    if result.status == _MISSING:
        gdbus = ("gdbus", "call", "--system", "--dest", "org.freedesktop.login1",
                 "--object-path", "/org/freedesktop/login1",
                 "--method", f"org.freedesktop.login1.Manager.{method}")
        result = Command(*gdbus).set_output_buffer().run(check=False)
    if result.status != 0:
        return None  # no logind (or no tool): libvirt falls back to pm-utils
    answer = str(result.stdout).strip().strip("()',").split()[-1].strip("\"'")
    return answer in ("yes", "challenge")


def _run(argv: tuple[str, ...]) -> int | None:
    return Command(*argv).run(check=False).status


def _words(path: Path) -> set[str]:
    try:
        return set(path.read_text(encoding="utf-8").split())
    except OSError:
        return set()
