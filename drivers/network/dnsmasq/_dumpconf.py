"""``corral net-dumpconf FILE``: what dnsmasq would get for a definition file, no daemon.

Registered as the entry point ``network`` of the group ``corral.dumpconf`` (the name is the
definition's root element, the value a callable ``(path: str) -> str``), so the CLI finds
it without importing the network driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from corral.core import CorralError
from corral.drivers.network.conf import load_network
from corral.drivers.network.dnsmasq._files import render
from corral.drivers.network.dnsmasq._paths import DnsmasqPaths

__all__ = [
    "ADDNHOSTS_MARK",
    "DUMPCONF_RUNTIME_DIR",
    "DUMPCONF_STATE_DIR",
    "HOSTSFILE_MARK",
    "dumpconf",
]

#: The line between the conf and the hosts file in :func:`dumpconf`'s output.
HOSTSFILE_MARK: Final = "# --- hostsfile"
#: The line between the hosts file and the addn-hosts file in :func:`dumpconf`'s output.
ADDNHOSTS_MARK: Final = "# --- addnhosts"
#: The directory the conf names for the hosts files: the network driver's state directory
#: in system mode (libvirt's ``/var/lib/libvirt/dnsmasq``).
DUMPCONF_STATE_DIR: Final = Path("/var/lib/corral/network")
#: The directory of the ``pid-file=``: the driver's runtime directory in system mode
#: (libvirt's ``/run/libvirt/network``).
DUMPCONF_RUNTIME_DIR: Final = Path("/run/corral/network")


def dumpconf(path: str) -> str:
    """Return the dnsmasq files of the ``<network>`` definition in file ``path``.

    The conf, then a line ``# --- hostsfile`` and the DHCP hosts file, then a line
    ``# --- addnhosts`` and the addn-hosts file; the conf names the files in
    :data:`DUMPCONF_STATE_DIR` and :data:`DUMPCONF_RUNTIME_DIR`.

    Raises:
        XMLError: The file is not a valid ``<network>`` definition (file, line, rule).
        CorralError: CONFIG_UNSUPPORTED (or XML_ERROR) for what corral does not render,
            the message starting with the file name (also in ``detail["file"]``).
    """
    network = load_network(path)
    paths = DnsmasqPaths.for_network(network.name, DUMPCONF_STATE_DIR, DUMPCONF_RUNTIME_DIR)
    try:
        files = render(network, paths)
    except CorralError as error:  # the definition has no lines left: name the file at least
        raise error.with_message(f"{path}: {error.message}", file=path) from None
    return (
        f"{files.conf}{HOSTSFILE_MARK}\n{files.hosts}{ADDNHOSTS_MARK}\n{files.addn_hosts}"
    )
