"""The ``iscsi-direct`` backend: user-space iSCSI through libiscsi's tools, no kernel involved.

libvirt links libiscsi; corral runs its command-line tools (package ``libiscsi-bin``):
``iscsi-ls`` for find-sources, ``iscsi-inq`` on LUN 0 to check that a start can log in
(libiscsi says "Target not found" or "Authentication failure" for that one target) and on
each LUN for its device type, and ``iscsi-readcapacity16`` for each disk LUN's exact size:
(last LBA + 1) x block length (libvirt 9.0 computes last LBA x block length, one block
short; corral does not). A LUN that is not a disk (tgtd's controller LUN 0) is not a
volume. The LUN numbers come from REPORT LUNS, which no libiscsi tool sends for one
target (``iscsi-ls -s`` logs in to every target of the portal and stops at the first that
refuses): :mod:`._reportluns` is that one call through libiscsi, run as a child process
like the tools.

CHAP credentials never go in the iSCSI URL, where every local user could read them in
``/proc/PID/cmdline``: libiscsi reads ``LIBISCSI_CHAP_USERNAME`` and
``LIBISCSI_CHAP_PASSWORD`` from the environment, and the password is set with
``add_env_secret`` (``/proc/PID/environ`` is readable by the process's owner only, and
corral's logs, errors and spawn records show ``***``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from corral.core import Command, CommandError, ErrorCode
from corral.drivers.storage.backends._protocol import (
    Chap,
    FoundSource,
    StorageError,
    Volume,
    last_lines,
    redact,
)
from corral.drivers.storage.backends.iscsi_rules import DEFAULT_ISCSI_PORT, portal_port

if TYPE_CHECKING:
    from corral.drivers.storage.conf import PoolDefinition

__all__ = ["DISK", "REPORT_LUNS", "IscsiDirectBackend", "parse_device_type", "parse_luns",
           "parse_readcapacity"]

#: How long one libiscsi tool may take (a portal that drops packets would hang it).
TOOL_TIMEOUT: Final = 60.0

_TARGET: Final = re.compile(r"^Target:(\S+)\s+Portal:")
_LUN: Final = re.compile(r"^Lun:(\d+)\s*$", re.MULTILINE)
_TYPE: Final = re.compile(r"^Peripheral Device Type:(\S+)\s*$", re.MULTILINE)
_CAPACITY: Final = re.compile(r"^RETURNED LOGICAL BLOCK ADDRESS:(\d+)\s*$"
                              r"|^LOGICAL BLOCK LENGTH IN BYTES:(\d+)\s*$", re.MULTILINE)
#: REPORT LUNS through libiscsi, as a child process (see the module docstring).
REPORT_LUNS: Final = (sys.executable, "-m", "corral.drivers.storage.backends._reportluns")
#: libiscsi's name for a disk (SCSI peripheral device type 0).
DISK: Final = "DIRECT_ACCESS"

#: libiscsi's words for a failure -> (what it means, the error code), first match wins.
_FAILURES: Final = (
    ("Authentication failure", "authentication failed (check the CHAP username and "
     "secret)", ErrorCode.AUTH_FAILED),
    ("Target not found", "the target does not exist at this portal",
     ErrorCode.OPERATION_FAILED),
    ("connection failed", "the portal cannot be reached", ErrorCode.OPERATION_FAILED),
    ("socket error", "the portal cannot be reached", ErrorCode.OPERATION_FAILED),
    # What a login to a portal nobody listens on ends with (libiscsi 1.19).
    ("Can not reconnect", "the portal cannot be reached", ErrorCode.OPERATION_FAILED),
)


def parse_luns(output: str) -> list[int]:
    """Return the LUN numbers of ``Lun:N`` lines (:mod:`._reportluns`), in order."""
    return [int(match.group(1)) for match in _LUN.finditer(output)]


def parse_device_type(output: str) -> str | None:
    """Return libiscsi's device type name from ``iscsi-inq`` (``DIRECT_ACCESS``), or None."""
    match = _TYPE.search(output)
    return match.group(1) if match else None


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
        """Return the targets ``iscsi-ls`` lists at the portal, in its order.

        Raises:
            StorageError: INVALID_ARG without an initiator IQN (libvirt's rule); the
                tool's failure otherwise.
        """
        port = port or DEFAULT_ISCSI_PORT
        url = _portal_url(host, port)
        if initiator is None:  # libvirt's rule, as for the pool itself
            raise StorageError(f"Cannot discover the targets of the iSCSI portal '{url}' "
                               "without an initiator IQN: an iscsi-direct pool needs one.",
                               code=ErrorCode.INVALID_ARG, portal=url)
        output = self._run(("iscsi-ls",), [url], initiator=initiator, chap=None,
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
        self._run(("iscsi-inq",), [f"{portal}/{pool.source.device}/0"],
                  initiator=pool.source.initiator_iqn, chap=chap, action="log in to",
                  portal=portal, target=pool.source.device)

    def refresh(self, pool: PoolDefinition, chap: Chap | None) -> list[Volume]:
        """Return the target's disk LUNs with their exact sizes."""
        portal, target = self._portal(pool), pool.source.device
        initiator = pool.source.initiator_iqn
        url = f"{portal}/{target}"
        listing = self._run(REPORT_LUNS, [url], initiator=initiator, chap=chap,
                            action="list the LUNs of", portal=portal, target=target)
        host = pool.source.hosts[0]
        stem = f"ip-{host.name}:{portal_port(host)}-iscsi-{target}-lun-"
        volumes = []
        for lun in parse_luns(listing):
            what = f"LUN {lun} of"
            inquiry = self._run(("iscsi-inq",), [f"{url}/{lun}"], initiator=initiator,
                                chap=chap, action=f"inquire about {what}", portal=portal,
                                target=target)
            if parse_device_type(inquiry) != DISK:
                continue  # a controller, an enclosure, a tape: not a volume
            capacity = self._run(("iscsi-readcapacity16",), [f"{url}/{lun}"],
                                 initiator=initiator, chap=chap,
                                 action=f"read the capacity of {what}", portal=portal,
                                 target=target)
            size = parse_readcapacity(capacity)
            if size is None:
                raise _failure(f"read the capacity of {what}", portal, target,
                               "iscsi-readcapacity16", "its output has no capacity", 0,
                               last_lines(capacity), ErrorCode.OPERATION_FAILED)
            key = f"{stem}{lun}"
            volumes.append(Volume(f"unit:0:0:{lun}", key, key, "network", size, size))
        return sorted(volumes, key=lambda volume: volume.name)

    def stop(self, pool: PoolDefinition) -> None:
        """Nothing to undo: every tool logs out when it exits."""

    # --- the pieces ---------------------------------------------------------------------

    def _portal(self, pool: PoolDefinition) -> str:
        host = pool.source.hosts[0]
        return _portal_url(host.name, portal_port(host))

    def _command(self, tool: Sequence[str], args: Sequence[str], initiator: str | None,
                 chap: Chap | None) -> Command:
        command = Command(*self.command_prefix, *tool)
        if initiator is not None:
            command.add_arg("-i").add_arg(initiator)
        for arg in args:
            command.add_arg(arg)
        if chap is not None:
            command.add_env_pair("LIBISCSI_CHAP_USERNAME", chap.username)
            command.add_env_secret("LIBISCSI_CHAP_PASSWORD", chap.password.reveal())
        return command.set_output_buffer().set_error_buffer().set_timeout(TOOL_TIMEOUT)

    def _run(self, tool: Sequence[str], args: Sequence[str], *, initiator: str | None,
             chap: Chap | None, action: str, portal: str, target: str | None) -> str:
        name = "iscsi-reportluns" if tool == REPORT_LUNS else tool[-1]
        try:
            result = self._command(tool, args, initiator, chap).run(check=False)
        except CommandError as exc:  # a timeout, not found, refused by a policy
            where = f"the iSCSI target '{target}' at" if target is not None else "the iSCSI"
            raise StorageError(f"Cannot {action} {where} portal '{portal}': {exc.message}",
                               code=exc.code, portal=portal, target=target,
                               tool=name) from exc
        stdout = redact(str(result.stdout or ""), chap)
        if result.status == 0:
            return stdout
        words = last_lines(redact(f"{str(result.stderr or '')}\n{stdout}", chap))
        meaning, code = next(((meaning, code) for marker, meaning, code in _FAILURES
                              if marker in words), ("the tool failed", ErrorCode.OPERATION_FAILED))
        raise _failure(action, portal, target, name, meaning, int(result.status or 0),
                       words, code)


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
