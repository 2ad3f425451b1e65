"""``corral-leaseshelper``: the program dnsmasq runs as its ``--dhcp-script``.

dnsmasq calls it as ``init`` once at start (it answers with the leases it keeps, in
dnsmasq's lease-file format, so leases survive a dnsmasq restart although dnsmasq runs
with ``--leasefile-ro``), then as ``add``, ``old`` or ``del`` with ``MAC IP [HOSTNAME]``
(``DUID IP [HOSTNAME]`` for DHCPv6) and ``DNSMASQ_*`` variables for every lease change.
The status file it keeps is named by ``CORRAL_LEASES_FILE``, the one variable the network
driver puts in dnsmasq's environment (libvirt's helper gets ``VIR_BRIDGE_NAME``). dnsmasq
runs it as root from a helper process it keeps before dropping its own privileges (no
``dhcp-scriptuser`` is configured), so the status file can live in root's state
directory. Exit status 0 on success; anything else makes dnsmasq log the failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from corral.core import CorralError
from corral.drivers.network._leases import (
    apply_event,
    dnsmasq_lease_lines,
    locked,
    read_leases,
    write_leases,
)

__all__ = ["LEASES_ENV", "main"]

#: The variable naming the status file.
LEASES_ENV = "CORRAL_LEASES_FILE"


def main(argv: list[str] | None = None) -> int:
    """Handle one dnsmasq lease event; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    path = os.environ.get(LEASES_ENV)
    if not path or not args:
        print(f"corral-leaseshelper: needs {LEASES_ENV} and an action (run by dnsmasq)",
              file=sys.stderr)
        return 2
    status = Path(path)
    try:
        with locked(status):
            leases = read_leases(status)
            if args[0] == "init":
                sys.stdout.write(dnsmasq_lease_lines(leases))
                return 0
            write_leases(status, apply_event(leases, args[0], args[1:], os.environ))
    except CorralError as exc:
        print(f"corral-leaseshelper: {exc}", file=sys.stderr)
        return 1
    return 0
