"""Where the network driver keeps its files, under the host's three directories.

==============================================  =========================================
``<config>/networks/NAME.xml``                  the persistent definition (libvirt's
                                                ``/etc/libvirt/qemu/networks``)
``<config>/networks/autostart/NAME.xml``        a symlink to it: start at boot
``<state>/network/NAME.conf``, ``.hostsfile``,  dnsmasq's files (netconf's names)
``.addnhosts``
``<state>/network/NAME.status``                 the leases ``corral-leaseshelper`` keeps
``<state>/network/default-installed``           the default network was installed once
``<runtime>/network/NAME.xml``                  the live definition of an active network
``<runtime>/network/NAME.pid``                  dnsmasq's pid file
``<runtime>/network/autostarted``               autostart ran in this boot
==============================================  =========================================

The runtime directory is a tmpfs in system mode (``/run``), so a reboot empties it: the
autostart marker says "this boot", and a live status file says the network may still run.
"""

from __future__ import annotations

import dataclasses
import sysconfig
from pathlib import Path

from corral.core import HostPaths
from corral.drivers.network.dnsmasq import DnsmasqPaths, escape_name

__all__ = ["LEASES_HELPER", "Layout"]

#: The console script dnsmasq runs for each lease change.
LEASES_HELPER = "corral-leaseshelper"


@dataclasses.dataclass(frozen=True)
class Layout:
    """The driver's directories and the file names of each network."""

    definitions: Path
    autostart_dir: Path
    state: Path
    runtime: Path

    @classmethod
    def of(cls, paths: HostPaths) -> Layout:
        """Return the layout under the host's ``paths``."""
        definitions = paths.config / "networks"
        return cls(definitions, definitions / "autostart", paths.state / "network",
                   paths.runtime / "network")

    def create(self) -> None:
        """Create the directories, readable by dnsmasq (which runs as ``nobody``)."""
        for directory in (self.definitions, self.autostart_dir, self.state, self.runtime):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o755)

    def definition(self, name: str) -> Path:
        """The persistent definition of ``name``."""
        return self.definitions / f"{name}.xml"

    def autostart(self, name: str) -> Path:
        """The autostart link of ``name``."""
        return self.autostart_dir / f"{name}.xml"

    def live(self, name: str) -> Path:
        """The live status XML of ``name``."""
        return self.runtime / f"{name}.xml"

    def leases(self, name: str) -> Path:
        """The lease status file of ``name``."""
        return self.state / f"{escape_name(name)}.status"

    def dnsmasq(self, name: str) -> DnsmasqPaths:
        """dnsmasq's files for ``name``, its lease helper the installed console script."""
        helper = Path(sysconfig.get_path("scripts")) / LEASES_HELPER
        return DnsmasqPaths.for_network(name, self.state, self.runtime, helper)

    @property
    def autostarted(self) -> Path:
        """The marker saying autostart ran in this boot."""
        return self.runtime / "autostarted"

    @property
    def default_installed(self) -> Path:
        """The marker saying the default network was installed (never again after)."""
        return self.state / "default-installed"
