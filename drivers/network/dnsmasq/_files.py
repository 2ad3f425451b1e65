"""``render``: a network definition to its three dnsmasq files, with no side effect."""

from __future__ import annotations

import dataclasses

from corral.drivers.network.conf import NetworkDefinition
from corral.drivers.network.dnsmasq._conf import conf_text, dhcp_blocks
from corral.drivers.network.dnsmasq._hosts import addn_hosts_text, hosts_text
from corral.drivers.network.dnsmasq._paths import DnsmasqPaths

__all__ = ["DnsmasqFiles", "dnsmasq_needed", "needs_restart", "render"]


@dataclasses.dataclass(frozen=True, slots=True)
class DnsmasqFiles:
    """The contents of one network's dnsmasq files (written where its paths say).

    Attributes:
        conf: The ``--conf-file``.
        hosts: The ``dhcp-hostsfile`` (static DHCP hosts; written even when empty, as
            libvirt does, so hosts can be added at run time).
        addn_hosts: The ``addn-hosts`` file (``<dns><host>`` names; written even when empty).
    """

    conf: str
    hosts: str
    addn_hosts: str


def render(network: NetworkDefinition, paths: DnsmasqPaths) -> DnsmasqFiles:
    """Return the files libvirt 9.0.0's dnsmasq would get for ``network``.

    Pure: nothing is read or written; ``paths`` only names the files inside the conf.

    Raises:
        CorralError: CONFIG_UNSUPPORTED for what corral does not serve (a forward mode it
            does not implement, two DHCP blocks of one family, a reverse zone for a prefix
            not a multiple of 8 (IPv4) or 4 (IPv6), a DHCP range over 65535 addresses, a
            value holding a line break, no bridge name), XML_ERROR for a range that starts
            at the network address or ends at the broadcast address.
    """
    conf = conf_text(network, paths)
    dns_hosts = network.dns.hosts if network.dns is not None else ()
    return DnsmasqFiles(
        conf=conf,
        hosts=hosts_text(network.name, dhcp_blocks(network)),
        addn_hosts=addn_hosts_text(network.name, dns_hosts),
    )


def dnsmasq_needed(network: NetworkDefinition) -> bool:
    """Whether libvirt would run a dnsmasq for ``network`` (``networkStartDhcpDaemon``).

    It does when the network has an address and something to serve: DHCP, TFTP, or DNS
    (on unless ``<dns enable='no'>``). Otherwise no dnsmasq runs and no file is written.
    """
    if not network.ips:
        return False
    serves = any(
        ip.tftp_root is not None or (ip.dhcp is not None and (ip.dhcp.ranges or ip.dhcp.hosts))
        for ip in network.ips
    )
    return serves or network.dns is None or network.dns.enable is not False


def needs_restart(old: DnsmasqFiles, new: DnsmasqFiles) -> bool:
    """Whether going from ``old`` to ``new`` needs dnsmasq restarted, not just SIGHUP'd.

    SIGHUP makes dnsmasq re-read the hosts file and the addn-hosts file only; any change to
    the conf (ranges, options, records, the interface) needs a restart (libvirt's
    ``networkRestartDhcpDaemon`` versus ``networkRefreshDhcpDaemon``).
    """
    return old.conf != new.conf
