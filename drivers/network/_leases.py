"""A network's DHCP leases: the status file the lease helper keeps and the driver reads.

dnsmasq runs with ``--leasefile-ro`` and tells ``corral-leaseshelper`` (its
``--dhcp-script``) about every lease instead; the helper keeps them in one JSON file per
network, as libvirt's leaseshelper keeps ``<bridge>.status``: a list of objects with
libvirt's keys (``ip-address``, ``mac-address``, ``hostname``, ``client-id``,
``expiry-time``, and for DHCPv6 ``iaid`` and ``server-duid``). Every change happens under
an exclusive lock on ``<file>.lock`` and replaces the file atomically, so a reader (the
driver, another helper run) never sees half of it. An expiry time of 0 means the lease
never expires.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from corral.core import CorralError, ErrorCode
from corral.core.state import atomic_write

__all__ = ["Lease", "apply_event", "dnsmasq_lease_lines", "locked", "read_leases", "write_leases"]

Lease = dict[str, Any]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the status file ``path`` for the block."""
    try:
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CorralError(f"Cannot open the lock of the lease file '{path}': {exc.strerror}.",
                          code=ErrorCode.SYSTEM_ERROR, path=str(path)) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_leases(path: Path, now: float | None = None) -> list[Lease]:
    """Return the leases in ``path`` that have not expired (none when there is no file).

    Raises:
        CorralError: READ_FAILED when the file cannot be read or is not a lease list.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise CorralError(f"Cannot read the lease file '{path}': {exc}.",
                          code=ErrorCode.READ_FAILED, path=str(path)) from exc
    if not isinstance(data, list) or not all(isinstance(lease, dict) for lease in data):
        raise CorralError(f"The lease file '{path}' does not hold a list of leases.",
                          code=ErrorCode.READ_FAILED, path=str(path))
    moment = time.time() if now is None else now
    return [lease for lease in data if not _expired(lease, moment)]


def write_leases(path: Path, leases: list[Lease]) -> None:
    """Replace ``path`` with ``leases`` atomically (readable by all, as libvirt's)."""
    atomic_write(path, json.dumps(leases, indent=2) + "\n", mode=0o644)


def apply_event(leases: list[Lease], action: str, args: list[str],
                env: Mapping[str, str]) -> list[Lease]:
    """Return the lease list after dnsmasq's ``action`` (``add``, ``old``, ``del``).

    Args:
        leases: The current leases.
        action: dnsmasq's first script argument.
        args: The rest: ``MAC IP [HOSTNAME]`` (DHCPv4) or ``DUID IP [HOSTNAME]`` (DHCPv6,
            told apart by ``DNSMASQ_IAID``).
        env: dnsmasq's ``DNSMASQ_*`` variables.

    Raises:
        CorralError: INVALID_ARG for an unknown action or missing arguments.
    """
    if action not in ("add", "old", "del") or len(args) < 2:
        raise CorralError(f"Unexpected lease event {action!r} with {len(args)} arguments.",
                          code=ErrorCode.INVALID_ARG, action=action)
    ip = args[1]
    kept = [lease for lease in leases if lease.get("ip-address") != ip]
    if action == "del":
        return kept
    lease: Lease = {"ip-address": ip, "expiry-time": _expiry(env)}
    iaid = env.get("DNSMASQ_IAID")
    if iaid:
        # DHCPv6: the "MAC" argument is the client's DUID; the MAC comes by variable.
        lease["iaid"] = iaid
        lease["client-id"] = args[0]
        if env.get("DNSMASQ_MAC"):
            lease["mac-address"] = env["DNSMASQ_MAC"]
        if env.get("DNSMASQ_SERVER_DUID"):
            lease["server-duid"] = env["DNSMASQ_SERVER_DUID"]
    else:
        lease["mac-address"] = args[0]
        if env.get("DNSMASQ_CLIENT_ID"):
            lease["client-id"] = env["DNSMASQ_CLIENT_ID"]
    hostname = args[2] if len(args) > 2 else env.get("DNSMASQ_SUPPLIED_HOSTNAME")
    if hostname:
        lease["hostname"] = hostname
    kept.append(lease)
    return kept


def dnsmasq_lease_lines(leases: list[Lease]) -> str:
    """Return ``leases`` in dnsmasq's lease-file format, its answer to ``init``.

    IPv4 leases first (``EXPIRY MAC IP HOSTNAME CLIENTID``), then, if there are IPv6
    ones, the ``duid SERVER_DUID`` line and ``EXPIRY IAID IP HOSTNAME DUID`` lines
    (libvirt's order); ``*`` stands for an absent value.
    """
    lines: list[str] = []
    v6 = [lease for lease in leases if "iaid" in lease]
    for lease in leases:
        if "iaid" not in lease:
            lines.append(_line(lease, str(lease.get("mac-address", "*"))))
    if v6:
        duid = next((lease["server-duid"] for lease in v6 if lease.get("server-duid")), "*")
        lines.append(f"duid {duid}")
        lines.extend(_line(lease, str(lease["iaid"])) for lease in v6)
    return "".join(f"{line}\n" for line in lines)


def _line(lease: Lease, second: str) -> str:
    return " ".join((str(lease.get("expiry-time", 0)), second, str(lease["ip-address"]),
                     str(lease.get("hostname") or "*"), str(lease.get("client-id") or "*")))


def _expiry(env: Mapping[str, str]) -> int:
    """The lease's end (epoch seconds; 0 = never), from dnsmasq's variables."""
    expires = env.get("DNSMASQ_LEASE_EXPIRES")
    if expires is not None and expires.isdigit():
        return int(expires)
    length = env.get("DNSMASQ_LEASE_LENGTH")  # dnsmasq built with HAVE_BROKEN_RTC
    if length is not None and length.isdigit() and int(length) > 0:
        return int(time.time()) + int(length)
    return 0


def _expired(lease: Lease, now: float) -> bool:
    expiry = lease.get("expiry-time", 0)
    return isinstance(expiry, int) and 0 < expiry < now
