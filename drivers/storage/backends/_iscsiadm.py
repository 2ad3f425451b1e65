"""Running ``iscsiadm``: its exit statuses as data, and the output libvirt parses.

:data:`EXIT_STATUS` is the one table of what an exit status means (open-iscsi's
``iscsi_err.h``, as the ``iscsiadm(8)`` page lists them) and which error code it becomes;
each call says which statuses are success for it (``accept``): 15 (a session exists) is
success for a login, 21 (no records) for a session listing or a logout. Everything else
raises a :class:`StorageError` naming the portal and the target, with the meaning from
the table and the tool's own last words, any CHAP password redacted. The parsers are
libvirt's (``viriscsi.c``), tested on libvirt's own fixtures.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Final

from corral.core import Command, CommandError, ErrorCode
from corral.drivers.storage.backends._protocol import Chap, StorageError, last_lines, redact

__all__ = ["EXIT_STATUS", "IscsiadmStatus", "iscsiadm", "parse_ifaces", "parse_sessions",
           "parse_targets", "portal_of"]


@dataclasses.dataclass(frozen=True)
class IscsiadmStatus:
    """What one ``iscsiadm`` exit status means.

    Attributes:
        name: open-iscsi's name for it (``ISCSI_ERR_LOGIN_AUTH_FAILED``).
        meaning: It in words, for the error message.
        code: The error code a failure with it becomes.
    """

    name: str
    meaning: str
    code: ErrorCode


def _status(name: str, meaning: str, code: ErrorCode = ErrorCode.OPERATION_FAILED,
            ) -> IscsiadmStatus:
    return IscsiadmStatus(f"ISCSI_{name}", meaning, code)


#: Every exit status of ``iscsiadm`` (open-iscsi 2.1, ``include/iscsi_err.h``).
EXIT_STATUS: Final[Mapping[int, IscsiadmStatus]] = {
    0: _status("SUCCESS", "success", ErrorCode.OK),
    1: _status("ERR", "a generic failure"),
    2: _status("ERR_SESS_NOT_FOUND", "no such session"),
    3: _status("ERR_NOMEM", "out of memory", ErrorCode.NO_MEMORY),
    4: _status("ERR_TRANS", "a transport failure: the portal cannot be reached"),
    5: _status("ERR_LOGIN", "the login failed"),
    6: _status("ERR_IDBM", "the iSCSI node database failed"),
    7: _status("ERR_INVAL", "an invalid argument", ErrorCode.INTERNAL_ERROR),
    8: _status("ERR_TRANS_TIMEOUT", "a transport timeout: the portal cannot be reached",
               ErrorCode.OPERATION_TIMEOUT),
    9: _status("ERR_INTERNAL", "an internal error of iscsiadm", ErrorCode.INTERNAL_ERROR),
    10: _status("ERR_LOGOUT", "the logout failed"),
    11: _status("ERR_PDU_TIMEOUT", "a PDU timed out", ErrorCode.OPERATION_TIMEOUT),
    12: _status("ERR_TRANS_NOT_FOUND", "the iSCSI transport is not loaded (kernel module "
                "iscsi_tcp)", ErrorCode.OPERATION_UNSUPPORTED),
    13: _status("ERR_ACCESS", "permission denied", ErrorCode.ACCESS_DENIED),
    14: _status("ERR_TRANS_CAPS", "the transport cannot do this"),
    15: _status("ERR_SESS_EXISTS", "a session already exists"),
    16: _status("ERR_INVALID_MGMT_REQ", "iscsid refused the request", ErrorCode.INTERNAL_ERROR),
    17: _status("ERR_ISNS_UNAVAILABLE", "iSNS is not available"),
    18: _status("ERR_ISCSID_COMM_ERR", "iscsiadm cannot talk to iscsid"),
    19: _status("ERR_FATAL_LOGIN", "the target refused the login (it does not exist at this "
                "portal, or does not accept this initiator)"),
    20: _status("ERR_ISCSID_NOTCONN", "iscsid is not running"),
    21: _status("ERR_NO_OBJS_FOUND", "no records found"),
    22: _status("ERR_SYSFS_LOOKUP", "a sysfs lookup failed"),
    23: _status("ERR_HOST_NOT_FOUND", "no such SCSI host"),
    24: _status("ERR_LOGIN_AUTH_FAILED", "authentication failed (check the CHAP username "
                "and secret)", ErrorCode.AUTH_FAILED),
    25: _status("ERR_ISNS_QUERY", "the iSNS query failed"),
    26: _status("ERR_ISNS_REG_FAILED", "the iSNS registration failed"),
    27: _status("ERR_OP_NOT_SUPP", "the operation is not supported",
                ErrorCode.OPERATION_UNSUPPORTED),
    28: _status("ERR_BUSY", "the device or resource is busy", ErrorCode.RESOURCE_BUSY),
    29: _status("ERR_AGAIN", "a temporary failure: try again"),
    30: _status("ERR_UNKNOWN_DISCOVERY_TYPE", "an unknown discovery type",
                ErrorCode.INTERNAL_ERROR),
    31: _status("ERR_CHILD_TERMINATED", "an iscsiadm child process was terminated"),
    32: _status("ERR_SESSION_NOT_CONNECTED", "the session is not connected"),
}

_UNKNOWN: Final = _status("ERR_UNKNOWN", "an unknown failure")


@dataclasses.dataclass(frozen=True)
class Ran:
    """How an accepted ``iscsiadm`` run ended: its status and what it printed."""

    status: int
    stdout: str


def portal_of(host: str, port: int) -> str:
    """Return libvirt's portal string: ``host:port,1`` (``[addr]:port,1`` for IPv6)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port},1"


def iscsiadm(args: Sequence[str], *, action: str, portal: str, target: str | None,
             accept: frozenset[int] = frozenset({0}), secret: str | None = None,
             chap: Chap | None = None) -> Ran:
    """Run ``iscsiadm ARGS [SECRET]`` and return how it ended, if ``accept`` holds it.

    Args:
        args: The arguments after ``iscsiadm``.
        action: What it does, for the error (``log in to``).
        portal: The portal (``host:port,1``), for the error.
        target: The target IQN, for the error; None for a discovery.
        accept: The exit statuses that are success for this call.
        secret: A last argument that is a secret (a CHAP password): the engine shows it
            as ``***`` everywhere.
        chap: The credentials whose password is redacted from iscsiadm's messages.

    Raises:
        StorageError: The status is not accepted: the table's code and meaning, the
            portal, the target and iscsiadm's own words.
    """
    command = Command("iscsiadm", *args).set_output_buffer().set_error_buffer()
    if secret is not None:
        command.add_arg_secret(secret)
    where = (f"the iSCSI target '{target}' at the portal '{portal}'" if target is not None
             else f"the iSCSI portal '{portal}'")
    try:
        result = command.run(check=False)
    except CommandError as exc:  # not found, refused by a policy, killed: the engine's words
        raise StorageError(f"Cannot {action} {where}: {exc.message}", code=exc.code,
                           portal=portal, target=target, tool="iscsiadm") from exc
    status = int(result.status or 0)
    if status in accept:
        return Ran(status, str(result.stdout or ""))
    known = EXIT_STATUS.get(status, _UNKNOWN)
    words = last_lines(redact(str(result.stderr or result.stdout or ""), chap))
    tail = f": {words}" if words else ""
    raise StorageError(
        f"Cannot {action} {where}: {known.meaning} (iscsiadm exit status {status} "
        f"{known.name}){tail}", code=known.code, portal=portal, target=target, tool="iscsiadm",
        status=status, reason=known.name, stderr=words)


_SESSION: Final = re.compile(r"^tcp:\s+\[(\S+)\]\s+\S+\s+(\S+).*$")
_TARGET: Final = re.compile(r"^\s*(\S+)\s+(\S+)\s*$")


def parse_sessions(output: str) -> dict[str, str]:
    """Return ``{target IQN: session id}`` from ``iscsiadm --mode session`` (libvirt's regex).

    A trailing `` (non-flash)`` (newer iscsiadm) is ignored; the first session of a target
    wins.
    """
    sessions: dict[str, str] = {}
    for line in output.splitlines():
        match = _SESSION.match(line)
        if match:
            sessions.setdefault(match.group(2), match.group(1))
    return sessions


def parse_targets(output: str) -> list[str]:
    """Return the target IQNs of a sendtargets discovery, in its order (libvirt's regex)."""
    found = (_TARGET.match(line) for line in output.splitlines())
    return [match.group(2) for match in found if match]


def parse_ifaces(output: str, *, portal: str) -> dict[str, str | None]:
    """Return ``{iface name: initiator IQN or None}`` from ``iscsiadm --mode iface``.

    Each line is ``NAME TRANSPORT,HWADDRESS,IPADDRESS,NETIFACE,INITIATORNAME`` (libvirt:
    the name up to the first space, then four commas skipped); ``<empty>`` is no IQN.

    Raises:
        StorageError: A line does not have that form (libvirt's "malformed output").
    """
    ifaces: dict[str, str | None] = {}
    for line in output.splitlines():
        if not line.strip():
            continue
        name, _, rest = line.partition(" ")
        fields = rest.split(",", 4)
        if not name or len(fields) != 5:
            raise StorageError(f"Cannot read the iSCSI interfaces for the portal '{portal}': "
                               f"malformed iscsiadm output line '{line}'.", portal=portal,
                               tool="iscsiadm")
        iqn = fields[4].strip()
        ifaces[name] = None if iqn in ("", "<empty>") else iqn
    return ifaces
