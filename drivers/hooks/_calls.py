"""Which hook script call a lifecycle step makes: corral's events onto libvirt's operations.

A driver's vetoable step (``context.begin(type, name, verb)``) runs ``<name> <op> begin -``
and its failure refuses the step; an announced event (``context.emit``) in the table below
runs its script without any power to undo what happened. ``docs/hooks.md`` has the table.

=================  ==================  ===================  =========================
corral step        script arguments    stdin                a failure
=================  ==================  ===================  =========================
begin ``start``    ``N start begin -``  the XML (networks:  refuses the start
                                        ``<hookData>``)
begin ``update``   ``N updated begin -``                     refuses the update
begin ``port-create`` ``N port-created begin -``             refuses the port
begin ``suspend``  ``- suspend begin T`` (node: T target)    refuses the suspend
begin other ``V``  ``N V begin -``                           refuses it
emit ``started``   ``N started begin -``                     is logged and announced
emit ``stopped``   ``N stopped end -``                       is logged and announced
emit ``port-deleted`` ``N port-deleted begin -``             is logged and announced
emit ``released``  ``N release end -``                       is logged and announced
emit ``resumed``   ``- resume end T``                        is logged and announced
=================  ==================  ===================  =========================

libvirt's network ``started`` hook can still fail a start; corral's ``started`` is an
announcement (the lifecycle contract of :mod:`corral.core.hookspecs`), so its failure is
reported and the network stays up.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from corral.core.hookspecs import LifecycleEvent

__all__ = ["HookCall", "daemon_call", "hook_call"]

#: corral's vetoable verbs whose libvirt operation is spelt otherwise; others pass as they are.
_BEGIN_OPERATIONS = {"update": "updated", "port-create": "port-created"}

#: Announced events that run scripts: event -> (operation, sub-operation).
_EVENT_OPERATIONS = {
    "started": ("started", "begin"),
    "stopped": ("stopped", "end"),
    "port-deleted": ("port-deleted", "begin"),
    "released": ("release", "end"),
    "resumed": ("resume", "end"),
}

#: Drivers whose object is the host itself: the script's object argument is "-".
_HOST_DRIVERS = frozenset({"daemon", "node"})


@dataclasses.dataclass(frozen=True)
class HookCall:
    """One invocation of a driver's hook scripts.

    Attributes:
        driver: Which scripts: ``hooks/<driver>`` and ``hooks/<driver>.d/*``.
        object: The first argument (the object's name, or ``-``).
        operation: The second (``start``, ``stopped``, ...).
        sub_operation: The third (``begin``, ``end`` or ``-``).
        extra: The fourth (``-`` unless the operation has one).
        aborts: True when a failure refuses the operation.
        stdin: What the scripts read on their standard input ("" for nothing).
    """

    driver: str
    object: str
    operation: str
    sub_operation: str
    extra: str = "-"
    aborts: bool = False
    stdin: str = dataclasses.field(default="", repr=False)

    @property
    def argv(self) -> tuple[str, str, str, str]:
        """The four arguments every script gets, each non-empty (libvirt's ``-``)."""
        return (self.object or "-", self.operation, self.sub_operation or "-",
                self.extra or "-")


def hook_call(event: LifecycleEvent, phase: Literal["begin", "event"]) -> HookCall | None:
    """Return the hook call a lifecycle step makes, or None when it runs no script.

    Args:
        event: The step, as a driver announced it.
        phase: ``begin`` for :func:`corral_lifecycle_begin` (vetoable), ``event`` for
            :func:`corral_lifecycle_event` (observe only).
    """
    driver = event.driver or event.object_type
    if phase == "begin":
        operation, sub_operation = _BEGIN_OPERATIONS.get(event.event, event.event), "begin"
    elif event.event in _EVENT_OPERATIONS:
        operation, sub_operation = _EVENT_OPERATIONS[event.event]
    else:
        return None
    host = driver in _HOST_DRIVERS
    return HookCall(
        driver=driver,
        object="-" if host else event.name,
        operation=operation,
        sub_operation=sub_operation,
        extra=event.detail if host and event.detail else "-",
        aborts=phase == "begin",
        stdin=hook_data(event.xml) if driver == "network" else event.xml,
    )


def daemon_call(operation: Literal["start", "shutdown", "reload"]) -> HookCall:
    """Return libvirt's daemon hook call: ``- start - start``, ``- reload begin SIGHUP``, ..."""
    if operation == "reload":
        return HookCall("daemon", "-", "reload", "begin", "SIGHUP")
    return HookCall("daemon", "-", operation, "-", operation)


def hook_data(xml: str) -> str:
    """Wrap a network's XML in libvirt's ``<hookData>`` element ("" stays "")."""
    if not xml.strip():
        return ""
    body = xml.strip()
    if body.startswith("<?xml"):
        body = body.split("?>", 1)[1].lstrip()
    indented = "\n".join(f"  {line}" if line else line for line in body.splitlines())
    return f"<hookData>\n{indented}\n</hookData>\n"
