"""The dnsmasq conf file of a network, directive for directive as libvirt 9.0.0 writes it.

The order is ``networkDnsmasqConfContents``'s (libvirt's ``bridge_driver.c``, modern
dnsmasq profile: ``bind-dynamic``, router advertisements on): DNS forwarding and domain,
the pid file, the listening interface, isolation, DNS records, TFTP, the DHCP blocks (IPv4,
then IPv6), the hosts files, MTU, router advertisements, then the ``<dnsmasq:options>``
passed through verbatim. ``docs/network-dnsmasq.md`` maps each XML construct to its lines.
"""

from __future__ import annotations

import ipaddress

from corral.drivers.network.conf import Dns, DnsSrv, IpDefinition, NetworkDefinition
from corral.drivers.network.dnsmasq._hosts import address, lease_time
from corral.drivers.network.dnsmasq._paths import DnsmasqPaths
from corral.drivers.network.dnsmasq._refuse import check_field, check_value, invalid, unsupported

__all__ = ["IMPLEMENTED_MODES", "conf_text", "dhcp_blocks"]

#: The forward modes whose dnsmasq corral runs (isolated, no ``<forward>``, too).
IMPLEMENTED_MODES = frozenset({"nat", "route", "open"})

# Six lines, as libvirt's: dnsmasq's "bad option at line N" then names the same line.
_HEADER = (
    "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
    "##OVERWRITTEN AND LOST.  Changes to this configuration should be made to\n"
    "##    the definition of network {name}\n"
    "## (corral net-dumpxml, net-define) or through corral's network operations.\n"
    "##\n"
    "## dnsmasq conf file created by corral\n"
)


def _has_dhcp(ip: IpDefinition) -> bool:
    return ip.dhcp is not None and bool(ip.dhcp.ranges or ip.dhcp.hosts)


def dhcp_blocks(network: NetworkDefinition) -> list[IpDefinition]:
    """Return the ``<ip>`` serving DHCPv4, then the one serving DHCPv6 (each if any).

    Raises:
        CorralError: CONFIG_UNSUPPORTED when two addresses of one family both have DHCP.
    """
    found: dict[bool, IpDefinition] = {}
    for ip in network.ips:
        if _has_dhcp(ip):
            if ip.is_ipv6 in found:
                family = "IPv6" if ip.is_ipv6 else "IPv4"
                raise unsupported(
                    network.name, f"for {family}, multiple DHCP definitions cannot be specified"
                )
            found[ip.is_ipv6] = ip
    return [found[family] for family in (False, True) if family in found]


def _ptr_zone(name: str, ip: IpDefinition) -> str:
    interface = ip.interface
    prefix, base = interface.network.prefixlen, interface.network.network_address
    if isinstance(base, ipaddress.IPv4Address):
        if prefix % 8:
            raise unsupported(
                name, f"the PTR domain for IPv4 network with prefix {prefix} cannot be "
                "automatically created (localPtr needs a prefix that is a multiple of 8)"
            )
        labels = str(base).split(".")[: prefix // 8]
        return ".".join([*reversed(labels), "in-addr.arpa"])
    if prefix % 4:
        raise unsupported(
            name, f"the PTR domain for IPv6 network with prefix {prefix} cannot be "
            "automatically created (localPtr needs a prefix that is a multiple of 4)"
        )
    nibbles = base.exploded.replace(":", "")[: prefix // 4]
    return ".".join([*reversed(nibbles), "ip6.arpa"])


def _dns_lines(network: NetworkDefinition, dns: Dns, want_dns: bool) -> list[str]:
    """Forwarders, the domain, reverse zones and plain-name handling (all before pid-file)."""
    name, lines = network.name, []
    if want_dns and dns.forwarders:
        no_resolv = False
        for forwarder in dns.forwarders:
            line = "server="
            if forwarder.domain is not None:
                line += f"/{check_value(name, 'forwarder domain', forwarder.domain)}/"
            if forwarder.addr is not None:
                line += address(forwarder.addr)
                # An address for every domain replaces resolv.conf's servers.
                no_resolv = no_resolv or forwarder.domain is None
            else:
                line += "#"  # "never forward queries for this domain"
            lines.append(line)
        if no_resolv:
            lines.append("no-resolv")
    if network.domain is not None:
        domain = check_value(name, "domain", network.domain.name)
        if network.domain.local_only:
            lines.append(f"local=/{domain}/")
        lines += [f"domain={domain}", "expand-hosts"]
    if want_dns:
        lines += [f"local=/{_ptr_zone(name, ip)}/" for ip in network.ips if ip.local_ptr]
        if dns.forward_plain_names is False:
            lines += ["domain-needed", "local=//"]
    return lines


def _srv_line(name: str, srv: DnsSrv) -> str:
    line = f"srv-host=_{srv.service}._{srv.protocol}"
    if srv.domain is not None:
        line += f".{check_value(name, 'SRV domain', srv.domain)}"
    # No target (or ".") means "decidedly not available here": no port, priority, weight.
    # Otherwise the three are positional: a later one present makes the earlier appear,
    # with dnsmasq's defaults (port 1, priority 0); libvirt tests each as C truth (0 = unset).
    if srv.target is not None and srv.target != ".":
        line += f",{check_field(name, 'SRV target', srv.target)}"
        port, priority, weight = srv.port or 0, srv.priority or 0, srv.weight or 0
        if port or priority or weight:
            line += f",{port or 1}"
        if priority or weight:
            line += f",{priority}"
        if weight:
            line += f",{weight}"
    return line


def _record_lines(network: NetworkDefinition, dns: Dns) -> list[str]:
    name = network.name
    lines = [
        f"txt-record={check_value(name, 'TXT name', txt.name)},"
        f"{check_value(name, 'TXT value', txt.value)}"
        for txt in dns.txts
    ]
    return lines + [_srv_line(name, srv) for srv in dns.srvs]


def _tftp_lines(network: NetworkDefinition) -> list[str]:
    roots = [
        check_field(network.name, "TFTP root", ip.tftp_root)  # after a comma: an interface
        for ip in network.ips
        if not ip.is_ipv6 and ip.tftp_root is not None
    ]
    return ["enable-tftp", *(f"tftp-root={root}" for root in roots)] if roots else []


def _range_size(name: str, ip: IpDefinition, start_text: str, end_text: str) -> int:
    """The addresses of a range (libvirt's virSocketAddrGetRange), checked as libvirt does."""
    start, end = ipaddress.ip_address(start_text), ipaddress.ip_address(end_text)
    network = ip.interface.network
    span = f"the DHCP range {start} - {end}"
    # IPv4 only (IPv6 has neither): libvirt refuses these for every prefix, /31 and /32 too.
    if isinstance(network, ipaddress.IPv4Network):
        if start == network.network_address:
            raise invalid(name, f"{span} starts at the network address of {network}")
        if end == network.broadcast_address:
            raise invalid(name, f"{span} ends at the broadcast address of {network}")
    # libvirt's "legacy check": start and end may differ in their last 16 bits only.
    if int(start) >> 16 != int(end) >> 16:
        raise unsupported(name, f"{span} is too large (> 65535 addresses)")
    return int(end) - int(start) + 1


def _dhcp_lines(name: str, ip: IpDefinition) -> tuple[list[str], int]:
    """The lines of one DHCP block and the number of addresses its ranges hold."""
    assert ip.dhcp is not None and ip.address is not None  # dhcp_blocks chose it for its DHCP
    interface, lines, leases = ip.interface, [], 0
    prefix = interface.network.prefixlen
    if ip.is_ipv6 and prefix < 64:
        # dnsmasq refuses to start on it ("prefix length must be at least 64").
        raise unsupported(name, f"DHCPv6 on {ip.address}/{prefix} needs a prefix of 64 or more")
    mask = str(prefix) if ip.is_ipv6 else str(interface.netmask)
    for item in ip.dhcp.ranges:
        line = f"dhcp-range={address(item.start)},{address(item.end)},{mask}"
        lease = lease_time(item.lease)
        lines.append(line if lease is None else f"{line},{lease}")
        leases += _range_size(name, ip, item.start, item.end)
    if not ip.dhcp.ranges:
        # Static hosts only: a "static" range switches dnsmasq's DHCP on for them.
        static = f"dhcp-range={address(ip.address)},static"
        lines.append(f"{static},{prefix}" if ip.is_ipv6 else static)
    if not ip.is_ipv6:
        lines += ["dhcp-no-override", "dhcp-authoritative"]
        bootp = ip.dhcp.bootp
        if bootp is not None:
            file = check_field(name, "BOOTP file", bootp.file)  # after a comma: a server name
            server = "" if bootp.server is None else f",,{address(bootp.server)}"
            lines.append(f"dhcp-boot={file}{server}")
    return lines, leases


def _ra_lines(network: NetworkDefinition, dhcp: list[IpDefinition]) -> list[str]:
    if any(ip.is_ipv6 for ip in dhcp):
        return ["enable-ra"]
    # No DHCPv6: each IPv6 address is announced for SLAAC only.
    return [f"dhcp-range={address(str(ip.address))},ra-only" for ip in network.ips if ip.is_ipv6]


def _check_network(network: NetworkDefinition) -> str:
    """Return the bridge name once the network is one corral's dnsmasq can serve."""
    name = check_value(network.name, "network name", network.name)
    forward = network.forward
    if forward is not None and forward.effective_mode not in IMPLEMENTED_MODES:
        raise unsupported(
            name, f"forward mode '{forward.effective_mode}' is not implemented by corral "
            "(only nat, route, open and isolated networks, without <forward>)"
        )
    bridge = network.bridge.name if network.bridge is not None else None
    if bridge is None:
        raise unsupported(name, "the network has no bridge name (<bridge name='virbrN'/>)")
    return check_value(name, "bridge name", bridge)


def conf_text(network: NetworkDefinition, paths: DnsmasqPaths) -> str:
    """Return the dnsmasq conf file of ``network`` with the files of ``paths``.

    Raises:
        CorralError: CONFIG_UNSUPPORTED or XML_ERROR for what corral will not render.
    """
    bridge = _check_network(network)
    name = network.name
    dns = network.dns or Dns()
    want_dns = dns.enable is not False
    lines = ["strict-order"]
    if not want_dns:
        lines.append("port=0")  # DNS off: dnsmasq listens on no DNS port
    lines += _dns_lines(network, dns, want_dns)
    lines += [
        f"pid-file={check_value(name, 'pid file', str(paths.pid_file))}",
        "except-interface=lo",
        "bind-dynamic",  # only the bridge, even for addresses added later (CVE-2012-3411)
        f"interface={bridge}",
    ]
    if network.forward is None:
        # Isolated: no default route, no forwarding of queries, no IPv6 default route.
        lines += ["dhcp-option=3", "no-resolv", "ra-param=*,0,0"]
    if want_dns:
        lines += _record_lines(network, dns)
    lines += _tftp_lines(network)
    dhcp = dhcp_blocks(network)
    leases = 0
    for ip in dhcp:
        block, size = _dhcp_lines(name, ip)
        lines += block
        leases += size
    if leases:
        lines.append(f"dhcp-lease-max={leases}")
    if dhcp:
        lines.append(f"dhcp-hostsfile={check_value(name, 'hosts file', str(paths.hostsfile))}")
    if want_dns:
        lines.append(f"addn-hosts={check_value(name, 'addn-hosts file', str(paths.addnhosts))}")
    if network.mtu:
        lines.append(f"dhcp-option=option:mtu,{network.mtu}")
    lines += _ra_lines(network, dhcp)
    lines += [check_value(name, "dnsmasq option", option) for option in network.dnsmasq_options]
    return _HEADER.format(name=name) + "".join(f"{line}\n" for line in lines)
