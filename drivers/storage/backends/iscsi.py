"""The ``iscsi`` backend: the kernel's initiator, driven through ``iscsiadm`` as libvirt does.

Start (libvirt's ``virStorageBackendISCSIStartPool``, with os-brick's care): if a session
to the target exists, nothing to do. Otherwise, for a configured initiator IQN, the
initiator iface carrying it (found by parsing ``iscsiadm --mode iface``; created as
``corral-iface-<hash of the IQN>`` if none does), the node record for the portal and
target (``--op new``, only if none exists), the CHAP settings (``--op update``, the
password a secret argument), then the login (exit 15, "session exists", is success).
libvirt's ``--op new`` leaves a node record behind when the login fails; corral removes
the node record and the iface this start created before it raises.

Refresh: a rescan of the session (``--mode session -r SID -R``), then the LUNs from sysfs
(libvirt's walk: ``class/iscsi_session/session<SID>/device/target<H>:...`` gives the SCSI
host, ``bus/scsi/devices/H:B:T:L`` its LUNs); each disk LUN is volume ``unit:B:T:L`` at
the stable ``<target path>/ip-HOST:PORT-iscsi-TARGET-lun-L``. Stop: a logout (no session
is success). Every exit status is read through the one table of :mod:`._iscsiadm`.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from corral.drivers.storage.backends._iscsiadm import (
    iscsiadm,
    parse_ifaces,
    parse_sessions,
    parse_targets,
    portal_of,
)
from corral.drivers.storage.backends._protocol import Chap, FoundSource, StorageError, Volume
from corral.drivers.storage.backends.iscsi_rules import DEFAULT_ISCSI_PORT, portal_port

if TYPE_CHECKING:
    from corral.drivers.storage.conf import PoolDefinition

__all__ = ["IscsiBackend", "iface_name"]

_NONE_OR_SOME: Final = frozenset({0, 21})  # 21: no records (no session, no node)
_LOGGED_IN: Final = frozenset({0, 15})     # 15: the session already exists
_LU: Final = re.compile(r"(\d+):(\d+):(\d+):(\d+)")
_DISK: Final = 0  # SCSI peripheral device type of a disk (SBC)
_SECTOR: Final = 512  # sysfs block sizes are in 512-byte sectors, whatever the device's


def iface_name(initiator: str) -> str:
    """Return the name of the iface corral creates for ``initiator``: stable, short."""
    return "corral-iface-" + hashlib.sha256(initiator.encode()).hexdigest()[:8]


class IscsiBackend:
    """The kernel initiator's backend.

    Args:
        sysfs: Where sysfs is mounted (a test gives a tree of its own).
    """

    def __init__(self, *, sysfs: str | Path = "/sys") -> None:
        self.sysfs = Path(sysfs)

    def find_sources(self, host: str, port: int | None,
                     initiator: str | None) -> list[FoundSource]:
        """Return the targets of a non-persistent sendtargets discovery, in its order."""
        port = port or DEFAULT_ISCSI_PORT
        portal = portal_of(host, port)
        args = ["--mode", "discovery", "--type", "sendtargets", "--portal", portal,
                "--op", "nonpersistent"]
        with contextlib.ExitStack() as created:
            iface = self._ensure_iface(initiator, portal, None, created)
            if iface is not None:
                args += ["--interface", iface]
            ran = iscsiadm(args, action="discover the targets of", portal=portal,
                           target=None, accept=_NONE_OR_SOME)
        return [FoundSource(host, port, target) for target in parse_targets(ran.stdout)]

    def check(self, pool: PoolDefinition) -> bool:
        """Return True when a session to the pool's target exists."""
        return self._session(pool) is not None

    def start(self, pool: PoolDefinition, chap: Chap | None) -> None:
        """Log in to the pool's target, removing what this call created if it fails."""
        if self._session(pool) is not None:
            return
        portal, target = _where(pool)
        with contextlib.ExitStack() as undo:
            iface = self._ensure_iface(pool.source.initiator_iqn, portal, target, undo)
            node = _node(portal, target, iface)
            if not self._node_exists(node, portal, target):
                iscsiadm([*node, "--op", "new"], action="create the node record of",
                         portal=portal, target=target)
                undo.callback(_quietly, self._delete_node, node, portal, target)
            if chap is not None:
                self._set_chap(node, portal, target, chap)
            iscsiadm([*node, "--login"], action="log in to", portal=portal, target=target,
                     accept=_LOGGED_IN, chap=chap)
            undo.pop_all()  # logged in: what was created stays

    def refresh(self, pool: PoolDefinition, chap: Chap | None) -> list[Volume]:
        """Rescan the session and return its disk LUNs as volumes."""
        portal, target = _where(pool)
        session = self._session(pool)
        if session is None:
            raise StorageError(f"The iSCSI target '{target}' at the portal '{portal}' has "
                               "no session: the pool is not logged in.", portal=portal,
                               target=target)
        iscsiadm(["--mode", "session", "-r", session, "-R"], action="rescan", portal=portal,
                 target=target)
        host = self._scsi_host(session, portal, target)
        base = pool.target.path if pool.target is not None else "/dev/disk/by-path"
        stem = f"ip-{pool.source.hosts[0].name}:{portal_port(pool.source.hosts[0])}" \
               f"-iscsi-{target}-lun-"
        volumes = []
        for lu in sorted((self.sysfs / "bus/scsi/devices").iterdir(), key=_lu_order):
            numbers = _LU.fullmatch(lu.name)
            if numbers is None or int(numbers.group(1)) != host:
                continue
            size = self._disk_size(lu)
            if size is None:
                continue  # not a disk (a controller, an enclosure): not a volume
            _, bus, scsi_target, lun = numbers.groups()
            key = f"{stem}{lun}"
            volumes.append(Volume(f"unit:{bus}:{scsi_target}:{lun}", key, f"{base}/{key}",
                                  "block", size, size))
        return sorted(volumes, key=lambda volume: volume.name)

    def stop(self, pool: PoolDefinition) -> None:
        """Log out of the pool's target; no session is success."""
        if self._session(pool) is None:
            return
        portal, target = _where(pool)
        iface = self._find_iface(pool.source.initiator_iqn, portal)
        iscsiadm([*_node(portal, target, iface), "--logout"], action="log out of",
                 portal=portal, target=target, accept=_NONE_OR_SOME)

    # --- the pieces ---------------------------------------------------------------------

    def _session(self, pool: PoolDefinition) -> str | None:
        portal, target = _where(pool)
        # libvirt ignores this status; 21 is "No active sessions", anything else an error.
        ran = iscsiadm(["--mode", "session"], action="list the sessions of", portal=portal,
                       target=target, accept=_NONE_OR_SOME)
        return parse_sessions(ran.stdout).get(target)

    @staticmethod
    def _node_exists(node: list[str], portal: str, target: str) -> bool:
        ran = iscsiadm(node, action="look up the node record of", portal=portal,
                       target=target, accept=_NONE_OR_SOME)
        return ran.status == 0

    @staticmethod
    def _delete_node(node: list[str], portal: str, target: str) -> None:
        iscsiadm([*node, "--op", "delete"], action="delete the node record of",
                 portal=portal, target=target, accept=_NONE_OR_SOME)

    @staticmethod
    def _set_chap(node: list[str], portal: str, target: str, chap: Chap) -> None:
        update = [*node, "--op", "update", "--name"]
        action = "set the CHAP credentials of"
        for name, value in (("authmethod", "CHAP"), ("username", chap.username)):
            iscsiadm([*update, f"node.session.auth.{name}", "--value", value],
                     action=action, portal=portal, target=target, chap=chap)
        iscsiadm([*update, "node.session.auth.password", "--value"], action=action,
                 portal=portal, target=target, secret=chap.password.reveal(), chap=chap)

    @staticmethod
    def _list_ifaces(portal: str) -> dict[str, str | None]:
        ran = iscsiadm(["--mode", "iface"], action="list the initiator ifaces for",
                       portal=portal, target=None)
        return parse_ifaces(ran.stdout, portal=portal)

    def _find_iface(self, initiator: str | None, portal: str) -> str | None:
        if initiator is None:
            return None
        found = [name for name, iqn in self._list_ifaces(portal).items() if iqn == initiator]
        return found[0] if found else None

    def _ensure_iface(self, initiator: str | None, portal: str, target: str | None,
                      undo: contextlib.ExitStack) -> str | None:
        """Return the iface for ``initiator`` (None: the default), creating it if needed.

        An iface created here is deleted when ``undo`` closes.
        """
        if initiator is None:
            return None
        found = self._find_iface(initiator, portal)
        if found is not None:
            return found
        name = iface_name(initiator)
        iface = ["--mode", "iface", "--interface", name]
        action = f"create the initiator iface {name} ({initiator}) for"
        iscsiadm([*iface, "--op", "new"], action=action, portal=portal, target=target)
        undo.callback(_quietly, iscsiadm, [*iface, "--op", "delete"],
                      action=f"delete the initiator iface {name} for", portal=portal,
                      target=target, accept=_NONE_OR_SOME)
        iscsiadm([*iface, "--op", "update", "--name", "iface.initiatorname", "--value",
                  initiator], action=action, portal=portal, target=target)
        if self._find_iface(initiator, portal) != name:
            raise StorageError(f"Cannot {action} the iSCSI portal '{portal}': iscsiadm "
                               "accepted it, but does not list it.", portal=portal,
                               target=target, tool="iscsiadm")
        return name

    def _scsi_host(self, session: str, portal: str, target: str) -> int:
        device = self.sysfs / "class/iscsi_session" / f"session{session}" / "device"
        with contextlib.suppress(OSError):
            for entry in sorted(device.iterdir()):
                match = re.fullmatch(r"target(\d+):\d+:\d+", entry.name)
                if match:
                    return int(match.group(1))
        raise StorageError(f"Cannot find the SCSI host of the session {session} of the iSCSI "
                           f"target '{target}' at the portal '{portal}' in {device}.",
                           portal=portal, target=target, session=session)

    @staticmethod
    def _disk_size(lu: Path) -> int | None:
        try:
            if int((lu / "type").read_text().strip()) != _DISK:
                return None
            blocks = sorted((lu / "block").iterdir())
            if not blocks:
                return None
            return int((blocks[0] / "size").read_text().strip()) * _SECTOR
        except (OSError, ValueError):
            return None  # a LUN going away while we look, or not yet a block device


def _quietly(undo: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    # An undo step runs while the error that made it necessary propagates: that error is
    # the one to report, not a second one from cleaning up after it.
    with contextlib.suppress(StorageError):
        undo(*args, **kwargs)


def _where(pool: PoolDefinition) -> tuple[str, str]:
    host = pool.source.hosts[0]
    return portal_of(host.name, portal_port(host)), pool.source.device


def _node(portal: str, target: str, iface: str | None) -> list[str]:
    node = ["--mode", "node", "--portal", portal, "--targetname", target]
    return [*node, "--interface", iface] if iface is not None else node


def _lu_order(path: Path) -> tuple[int, ...]:
    match = _LU.fullmatch(path.name)
    return tuple(int(n) for n in match.groups()) if match else (-1,)
