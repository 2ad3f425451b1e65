"""Where the dnsmasq of one network keeps its files: :class:`DnsmasqPaths`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from corral.core import CorralError, ErrorCode

__all__ = ["DnsmasqPaths", "escape_name"]

# libvirt names the hosts files and the pid file after the XML-escaped network name (its
# README for 9.0.0: `default&quot;with&quot;quotes&quot;.hostsfile`), the conf after the
# raw one. The five characters of XML's predefined entities, as libvirt's buffer escaping.
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def escape_name(name: str) -> str:
    """Return ``name`` as libvirt writes it in dnsmasq file names (XML-escaped)."""
    return name.translate(_ENTITIES)


@dataclasses.dataclass(frozen=True, slots=True)
class DnsmasqPaths:
    """The files of one network's dnsmasq (libvirt's layout, in the directories given).

    Attributes:
        conf: The ``--conf-file`` (``<state>/<name>.conf``, the raw name).
        hostsfile: The ``dhcp-hostsfile=`` (``<state>/<escaped name>.hostsfile``).
        addnhosts: The ``addn-hosts=`` (``<state>/<escaped name>.addnhosts``).
        pid_file: The ``pid-file=`` dnsmasq writes (``<runtime>/<escaped name>.pid``).
        lease_helper: The ``--dhcp-script`` program, when dnsmasq is to be run.
    """

    conf: Path
    hostsfile: Path
    addnhosts: Path
    pid_file: Path
    lease_helper: Path | None = None

    @classmethod
    def for_network(
        cls,
        name: str,
        state_dir: str | Path,
        runtime_dir: str | Path,
        lease_helper: str | Path | None = None,
    ) -> DnsmasqPaths:
        """Return libvirt's file names for network ``name`` in the two directories.

        Args:
            name: The network name (the definition's ``<name>``).
            state_dir: Where the conf and the two hosts files live (libvirt's
                ``/var/lib/libvirt/dnsmasq``).
            runtime_dir: Where dnsmasq writes its pid file (libvirt's ``/run/libvirt/network``).
            lease_helper: The ``--dhcp-script`` program.
        """
        state, escaped = Path(state_dir), escape_name(name)
        return cls(
            conf=state / f"{name}.conf",
            hostsfile=state / f"{escaped}.hostsfile",
            addnhosts=state / f"{escaped}.addnhosts",
            pid_file=Path(runtime_dir) / f"{escaped}.pid",
            lease_helper=None if lease_helper is None else Path(lease_helper),
        )

    def arguments(self) -> list[str]:
        """Return dnsmasq's arguments after the program, exactly libvirt's three.

        ``--conf-file=<conf> --leasefile-ro --dhcp-script=<lease helper>``: everything else
        is in the conf file, and the lease helper keeps the leases (dnsmasq keeps none).

        Raises:
            CorralError: INVALID_ARG when no lease helper was given.
        """
        if self.lease_helper is None:
            raise CorralError(
                "The dnsmasq paths have no lease helper, so dnsmasq's arguments cannot be built.",
                code=ErrorCode.INVALID_ARG,
            )
        return [f"--conf-file={self.conf}", "--leasefile-ro", f"--dhcp-script={self.lease_helper}"]
