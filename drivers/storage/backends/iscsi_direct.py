"""The ``iscsi-direct`` backend: user-space iSCSI through libiscsi's tools, no kernel involved.

libvirt links libiscsi; corral runs its command-line tools (package ``libiscsi-bin``):
``iscsi-ls`` for find-sources and the LUN listing (``-s``), ``iscsi-inq`` on LUN 0 to
check a start can log in (libiscsi reports "Target not found" and "Authentication
failure" per target, where ``iscsi-ls`` stops at the first target that fails), and
``iscsi-readcapacity16`` for each disk LUN's exact size: (last LBA + 1) x block length
(libvirt 9.0 computes last LBA x block length, one block short; corral does not). A LUN
that is not a disk (tgtd's controller LUN 0) is not a volume.

CHAP credentials never go in the iSCSI URL, where every local user could read them in
``/proc/PID/cmdline``: libiscsi reads ``LIBISCSI_CHAP_USERNAME`` and
``LIBISCSI_CHAP_PASSWORD`` from the environment, and the password is set with
``add_env_secret`` (``/proc/PID/environ`` is readable by the process's owner only, and
corral's logs, errors and spawn records show ``***``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from corral.core import Command, ErrorCode
from corral.drivers.storage.backends._protocol import (
    Chap,
    FoundSource,
    StorageError,
    Volume,
    redact,
)
from corral.drivers.storage.backends.iscsi_rules import DEFAULT_ISCSI_PORT, portal_port

if TYPE_CHECKING:
    from corral.drivers.storage.conf import PoolDefinition

__all__ = ["IscsiDirectBackend", "Lun", "parse_luns", "parse_readcapacity"]

#: How long one libiscsi tool may take (a portal that drops packets would hang it).
TOOL_TIMEOUT: Final = 60.0

_TARGET: Final = re.compile(r"^Target:(\S+)\s+Portal:")
_LUN: Final = re.compile(r"^Lun:(\d+)\s+Type:(\S+)")
_CAPACITY: Final = re.compile(r"^RETURNED LOGICAL BLOCK ADDRESS:(\d+)\s*$"
                              r"|^LOGICAL BLOCK LENGTH IN BYTES:(\d+)\s*$", re.MULTILINE)

#: libiscsi's words for a failure -> (what it means, the error code), first match wins.
_FAILURES: Final = (
    ("Authentication failure", "authentication failed (check the CHAP username and "
     "secret)", ErrorCode.AUTH_FAILED),
    ("Target not found", "the target does not exist at this portal",
     ErrorCode.OPERATION_FAILED),
    ("connection failed", "the portal cannot be reached", ErrorCode.OPERATION_FAILED),
    ("socket error", "the portal cannot be reached", ErrorCode.OPERATION_FAILED),
)


@dataclasses.dataclass(frozen=True)
class Lun:
    """A LUN as ``iscsi-ls -s`` lists it: its number and libiscsi's device type name."""

    number: int
    type: str

    @property
    def is_disk(self) -> bool:
        """True for a disk (SCSI peripheral type 0, libiscsi's ``DIRECT_ACCESS``)."""
        return self.type == "DIRECT_ACCESS"


def parse_luns(output: str) -> dict[str, list[Lun]]:
    """Return ``{target: its LUNs}`` as ``iscsi-ls -s`` lists them, in its order."""
    targets: dict[str, list[Lun]] = {}
    current: list[Lun] | None = None
    for line in output.splitlines():
        header = _TARGET.match(line)
        if header:
            current = targets.setdefault(header.group(1), [])
            continue
        lun = _LUN.match(line)
        if lun and current is not None:
            current.append(Lun(int(lun.group(1)), lun.group(2)))
    return targets


def parse_readcapacity(output: str) -> int | None:
    """Return the exact size in bytes ``iscsi-readcapacity16`` reports, or None."""
    lba = length = None
    for match in _CAPACITY.finditer(output):
        lba = int(match.group(1)) if match.group(1) is not None else lba
        length = int(match.group(2)) if match.group(2) is not None else length
    if lba is None or length is None:
        return None
    return (lba + 1) * length  # the last LBA is returned: there are lba + 1 blocks


class IscsiDirectBackend:
    """The libiscsi backend.

    Args:
        command_prefix: Put before every tool's argv (tests: ``ip netns exec NS``, so
            the tools reach a target in a private network namespace). Empty in corrald.
    """

    def __init__(self, *, command_prefix: Sequence[str] = ()) -> None:
        self.command_prefix = tuple(command_prefix)

    def find_sources(self, host: str, port: int | None,
                     initiator: str | None) -> list[FoundSource]:
        """Return the targets ``iscsi-ls`` lists at the portal, in its order."""
        port = port or DEFAULT_ISCSI_PORT
        url = _portal_url(host, port)
        output = self._run("iscsi-ls", [url], initiator=initiator, chap=None,
                           action="discover the targets of", portal=url, target=None)
        found = (_TARGET.match(line) for line in output.splitlines())
        return [FoundSource(host, port, match.group(1)) for match in found if match]

    def check(self, pool: PoolDefinition) -> bool:
        """Always True: a user-space pool has no session to lose between daemon runs.

        Whether the target still answers is what the next refresh finds out.
        """
        return True

    def start(self, pool: PoolDefinition, chap: Chap | None) -> None:
        """Log in to LUN 0 of the target once, so a start fails when the login would."""
        portal = self._portal(pool)
        self._run("iscsi-inq", [f"{portal}/{pool.source.device}/0"],
                  initiator=pool.source.initiator_iqn, chap=chap, action="log in to",
                  portal=portal, target=pool.source.device)

    def refresh(self, pool: PoolDefinition, chap: Chap | None) -> list[Volume]:
        """Return the target's disk LUNs with their exact sizes."""
        portal, target = self._portal(pool), pool.source.device
        initiator = pool.source.initiator_iqn
        output, failure = self._listing(portal, target, initiator, chap)
        listed = parse_luns(output)
        luns = listed.get(target)
        # iscsi-ls stops at the first target that fails: the last one listed.
        if failure is not None and (luns is None or list(listed)[-1] == target):
            raise failure
        if luns is None:
            raise _failure("list the LUNs of", portal, target, "iscsi-ls",
                                      "the target does not exist at this portal", 0, "",
                                      ErrorCode.OPERATION_FAILED)
        host = pool.source.hosts[0]
        stem = f"ip-{host.name}:{portal_port(host)}-iscsi-{target}-lun-"
        volumes = []
        for lun in luns:
            if not lun.is_disk:
                continue
            size_output = self._run("iscsi-readcapacity16", [f"{portal}/{target}/{lun.number}"],
                                    initiator=initiator, chap=chap,
                                    action=f"read the capacity of LUN {lun.number} of",
                                    portal=portal, target=target)
            size = parse_readcapacity(size_output)
            if size is None:
                raise _failure(f"read the capacity of LUN {lun.number} of", portal, target,
                               "iscsi-readcapacity16", "its output has no capacity", 0,
                               size_output[-400:], ErrorCode.OPERATION_FAILED)
            key = f"{stem}{lun.number}"
            volumes.append(Volume(f"unit:0:0:{lun.number}", key, key, "network", size, size))
        return sorted(volumes, key=lambda volume: volume.name)

    def stop(self, pool: PoolDefinition) -> None:
        """Nothing to undo: every tool logs out when it exits."""

    # --- the pieces ---------------------------------------------------------------------

    def _portal(self, pool: PoolDefinition) -> str:
        host = pool.source.hosts[0]
        return _portal_url(host.name, portal_port(host))

    def _listing(self, portal: str, target: str, initiator: str | None,
                 chap: Chap | None) -> tuple[str, StorageError | None]:
        # iscsi-ls logs in to every target of the portal and stops at the first that
        # refuses: our target's section counts even when another target failed.
        try:
            return self._run("iscsi-ls", ["-s", portal], initiator=initiator, chap=chap,
                             action="list the LUNs of", portal=portal, target=target), None
        except StorageError as error:
            return str(error.detail.get("output", "")), error

    def _command(self, tool: str, args: Sequence[str], initiator: str | None,
                 chap: Chap | None) -> Command:
        command = Command(*self.command_prefix, tool)
        if initiator is not None:
            command.add_arg("-i").add_arg(initiator)
        for arg in args:
            command.add_arg(arg)
        if chap is not None:
            command.add_env_pair("LIBISCSI_CHAP_USERNAME", chap.username)
            command.add_env_secret("LIBISCSI_CHAP_PASSWORD", chap.password.reveal())
        return command.set_output_buffer().set_error_buffer().set_timeout(TOOL_TIMEOUT)

    def _run(self, tool: str, args: Sequence[str], *, initiator: str | None,
             chap: Chap | None, action: str, portal: str, target: str | None) -> str:
        result = self._command(tool, args, initiator, chap).run(check=False)
        stdout = redact(str(result.stdout or ""), chap)
        if result.status == 0:
            return stdout
        words = redact(f"{str(result.stderr or '')}\n{stdout}", chap).strip()
        meaning, code = next(((meaning, code) for marker, meaning, code in _FAILURES
                              if marker in words), ("the tool failed", ErrorCode.OPERATION_FAILED))
        raise _failure(action, portal, target, tool, meaning, int(result.status or 0),
                       words[-400:], code, output=stdout)


def _portal_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"iscsi://{shown}:{port}"


def _failure(action: str, portal: str, target: str | None, tool: str, meaning: str,
             status: int, words: str, code: ErrorCode, **detail: Any) -> StorageError:
    where = (f"the iSCSI target '{target}' at the portal '{portal}'" if target is not None
             else f"the iSCSI portal '{portal}'")
    tail = f" ({tool} exit status {status}: {words.splitlines()[-1]})" if words else ""
    return StorageError(f"Cannot {action} {where}: {meaning}{tail}.", code=code,
                        portal=portal, target=target, tool=tool, status=status,
                        stderr=words, **detail)
