"""The kernel side of a network: its bridge, addresses, routes, forwarding and nft rules.

Every change goes through :class:`~corral.core.Command` (iproute2's ``ip``, ``nft``), so
the policy plugin can refuse it, the audit plugin logs it and ``dry_run`` tests it; the
one exception is the forwarding switch, a write to ``/proc/sys`` as libvirt's
``virNetDevIPSetForwarding`` (a file, not a program).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from pathlib import Path

from corral.core import Command, CommandError, CorralError, ErrorCode
from corral.drivers.network._nft import (
    FAMILIES,
    TABLE,
    Chain,
    Family,
    chain_names,
    render_add,
    render_remove,
)
from corral.drivers.network.conf import NetworkDefinition

__all__ = [
    "add_addresses",
    "add_bridge",
    "add_routes",
    "apply_chains",
    "bridge_exists",
    "delete_bridge",
    "enable_forwarding",
    "remove_chains",
]


def _run(*argv: str | int, data: str | None = None) -> str:
    command = Command(*(str(arg) for arg in argv)).add_env_pass_common()
    command.set_output_buffer().set_error_buffer()
    if data is not None:
        command.set_input_buffer(data)
    return str(command.run().stdout)


def add_bridge(bridge: str, definition: NetworkDefinition) -> None:
    """Create ``bridge`` with the definition's MAC, MTU, STP and forward delay (down).

    The delay is set before STP, in one request, as libvirt orders it (the kernel refuses
    a short delay once STP is on); libvirt's defaults are STP on and delay 0.
    """
    argv: list[str | int] = ["ip", "link", "add", "name", bridge]
    if definition.mac:
        argv += ["address", definition.mac]
    if definition.mtu:
        argv += ["mtu", definition.mtu]
    settings = definition.bridge
    stp = True if settings is None or settings.stp is None else settings.stp
    delay = 0 if settings is None or settings.delay is None else settings.delay
    # iproute2 takes the delay in hundredths of a second (the kernel's clock_t).
    argv += ["type", "bridge", "forward_delay", delay * 100, "stp_state", int(stp)]
    _run(*argv)


def add_addresses(bridge: str, definition: NetworkDefinition) -> None:
    """Give ``bridge`` each ``<ip>`` address and bring it up.

    ``replace``, not ``add``: the same call restores what a corral killed halfway through
    a start did not get to do, and changes nothing where it did.
    """
    for ip in definition.ips:
        if ip.address is None:
            continue
        extra = () if ip.is_ipv6 else ("broadcast", "+")
        _run("ip", "address", "replace", str(ip.interface), *extra, "dev", bridge)
    _run("ip", "link", "set", "dev", bridge, "up")


def add_routes(bridge: str, definition: NetworkDefinition) -> None:
    """Route the definition's static ``<route>``s through ``bridge`` (``replace``, too)."""
    for route in definition.routes:
        mask = route.prefix if route.prefix is not None else route.netmask
        destination = ipaddress.ip_network(
            route.address if mask is None else f"{route.address}/{mask}", strict=False)
        argv: list[str | int] = ["ip", "route", "replace", str(destination),
                                 "via", route.gateway, "dev", bridge]
        if route.metric is not None:
            argv += ["metric", route.metric]
        _run(*argv)


def delete_bridge(bridge: str) -> None:
    """Delete ``bridge`` (with its addresses and routes)."""
    _run("ip", "link", "delete", "dev", bridge)


def bridge_exists(bridge: str, sys_class_net: Path = Path("/sys/class/net")) -> bool:
    """Whether a network device ``bridge`` exists."""
    return (sys_class_net / bridge).exists()


def enable_forwarding(definition: NetworkDefinition, proc_sys: Path) -> None:
    """Switch on IPv4 (and, with IPv6 addresses, IPv6) forwarding, for nat and route.

    Never switched off again, as libvirt: other networks and the administrator may rely
    on it.
    """
    forward = definition.forward
    if forward is None or forward.effective_mode not in ("nat", "route"):
        return
    switches = [proc_sys / "net/ipv4/ip_forward"]
    if any(ip.is_ipv6 for ip in definition.ips):
        switches.append(proc_sys / "net/ipv6/conf/all/forwarding")
    for switch in switches:
        try:
            if switch.read_text().strip() != "1":
                switch.write_text("1\n")
        except OSError as exc:
            raise CorralError(f"Cannot enable forwarding through '{switch}': {exc.strerror}.",
                              code=ErrorCode.SYSTEM_ERROR, path=str(switch)) from exc


def apply_chains(chains: Sequence[Chain]) -> None:
    """Install ``chains`` atomically (one ``nft -f -`` transaction)."""
    if chains:
        _run("nft", "-f", "-", data=render_add(chains))


def remove_chains(bridge: str) -> None:
    """Delete the chains of ``bridge`` from corral's tables, and the tables left empty.

    Only corral's tables are read and changed: another program's tables, and the chains
    of other networks, are untouched. A chain that is not there is not an error.
    """
    chains: list[tuple[Family, str]] = []
    empty: list[Family] = []
    for family in FAMILIES:
        present = _chains_of(family)
        if present is None:
            continue
        mine = [name for name in chain_names(bridge) if name in present]
        chains.extend((family, name) for name in mine)
        if mine and len(mine) == len(present):
            empty.append(family)
    if chains:
        _run("nft", "-f", "-", data=render_remove(chains, empty))


def _chains_of(family: Family) -> set[str] | None:
    """The chain names in corral's table of ``family``; None when there is no table."""
    try:
        listing = _run("nft", "-j", "list", "table", family, TABLE)
    except CommandError as exc:
        if "No such file or directory" in str(exc):
            return None
        raise
    try:
        entries = json.loads(listing)["nftables"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorralError(f"nft printed a listing of table {family} {TABLE} that is not "
                          "its JSON form.", code=ErrorCode.INTERNAL_ERROR) from exc
    return {entry["chain"]["name"] for entry in entries if "chain" in entry}

