"""The two files dnsmasq re-reads on SIGHUP: the DHCP hosts file and the addn-hosts file.

libvirt's formats (``virdnsmasq.c``): one hosts-file line per static ``<host>`` of the
IPv4 DHCP block, then of the IPv6 one -- ``mac,ip,name`` / ``name,ip`` / ``mac,ip`` for
IPv4, ``id:<duid>,name,[ip]`` / ``name,[ip]`` / ``id:<duid>,[ip]`` for IPv6, then
``,<lease>`` when the host has one; and one addn-hosts line per distinct ``<dns><host>``
address, ``ip<TAB>name<TAB>...<TAB>``, the names of every ``<host>`` with that address in
document order.
"""

from __future__ import annotations

import ipaddress
import re

from corral.drivers.network.conf import DhcpHost, DnsHost, IpDefinition, Lease
from corral.drivers.network.dnsmasq._refuse import check_field, check_value

__all__ = ["addn_hosts_text", "address", "hosts_text", "lease_time"]


# An IPv4 address already as inet_ntop prints it: four octets, no leading zeros. Checked
# with one regular expression: ipaddress took two thirds of render at 10,000 hosts.
_CANONICAL_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                             r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")


def address(text: str) -> str:
    """Return an address as libvirt prints it (``inet_ntop``: lower case, zeros compressed)."""
    if _CANONICAL_IPV4.fullmatch(text):
        return text
    return str(ipaddress.ip_address(text))


def lease_time(lease: Lease | None) -> str | None:
    """Return dnsmasq's lease time: ``infinite`` for expiry 0, else ``<n>s|m|h``."""
    if lease is None:
        return None
    if lease.expiry == 0:
        return "infinite"
    return f"{lease.expiry}{lease.effective_unit[0]}"


def _host_line(network: str, host: DhcpHost, ipv6: bool) -> str:
    ip = address(host.ip)
    name = None if host.name is None else check_field(network, "host name", host.name)
    if ipv6:
        # The model guarantees an id or a name for an IPv6 host.
        fields = ([f"id:{host.id}"] if host.id is not None else []) + (
            [name] if name is not None else []
        )
        line = ",".join([*fields, f"[{ip}]"])
    elif name is not None and host.mac is not None:
        line = f"{host.mac},{ip},{name}"
    elif name is not None:
        line = f"{name},{ip}"
    else:
        line = f"{host.mac},{ip}"
    lease = lease_time(host.lease)
    return line if lease is None else f"{line},{lease}"


def hosts_text(network: str, dhcp_ips: list[IpDefinition]) -> str:
    """Return the ``dhcp-hostsfile`` of the DHCP blocks (IPv4 first), libvirt's bytes."""
    lines = [
        _host_line(network, host, ip.is_ipv6)
        for ip in dhcp_ips
        if ip.dhcp is not None
        for host in ip.dhcp.hosts
    ]
    return "".join(f"{line}\n" for line in lines)


def addn_hosts_text(network: str, hosts: tuple[DnsHost, ...]) -> str:
    """Return the ``addn-hosts`` file of the ``<dns><host>`` records, libvirt's bytes."""
    names: dict[str, list[str]] = {}
    for host in hosts:
        for name in host.hostnames:
            names.setdefault(address(host.ip), []).append(
                check_value(network, "DNS host name", name)
            )
    return "".join(ip + "\t" + "".join(f"{name}\t" for name in group) + "\n"
                   for ip, group in names.items())
