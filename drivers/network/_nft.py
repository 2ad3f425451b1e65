"""The nftables rules of one network, as a pure function of its definition.

libvirt 10's nftables backend (``network_nftables.c``) is the model, with one structural
difference that makes removal exact without rule handles: corral owns one table per
family (``table ip corral``, ``table ip6 corral``) and gives each network **its own base
chains** in it, named after its bridge:

- ``fwd-BRIDGE`` (``type filter hook forward priority 0``): what may be forwarded to and
  from the bridge;
- ``nat-BRIDGE`` (``type nat hook postrouting priority 100``): the masquerading of a
  ``nat`` network.

Starting a network adds (or flushes and refills) its chains in one ``nft -f -``
transaction; stopping deletes exactly those chains, and the table once no chain is left,
so neither another network nor another program's table is ever touched. The rules are
libvirt's, in the order it ends up with:

- ``nat``: traffic between two ports of the bridge is accepted; traffic from the
  network's subnets leaving through the bridge's uplink (``dev=`` when given) is
  accepted, replies coming back are accepted (``ct state related,established``), and
  anything else entering or leaving the bridge is rejected. Packets from the subnets to
  anywhere but themselves are masqueraded -- TCP and UDP to source ports 1024-65535 (or
  ``<nat><port>``), SNAT to ``<nat><address>`` when given -- except broadcast and
  multicast (``224.0.0.0/24``, ``255.255.255.255``), which are never masqueraded. IPv6 is
  routed, not masqueraded, unless ``<nat ipv6='yes'>``.
- ``route``: the same without masquerading, and the outside may open connections into
  the network (no ``ct state`` on the incoming accept).
- ``open``: no rules at all.
- isolated (no ``<forward>``): only cross-bridge traffic is accepted; everything else to
  or from the bridge is rejected, in both families.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Final, Literal

from corral.core import CorralError, ErrorCode
from corral.drivers.network.conf import NetworkDefinition

__all__ = [
    "FAMILIES",
    "TABLE",
    "Chain",
    "chain_names",
    "chains_for",
    "render_add",
    "render_remove",
]

Family = Literal["ip", "ip6"]

#: The name of corral's table in each family.
TABLE: Final = "corral"
#: The families corral keeps a table in.
FAMILIES: Final[tuple[Family, ...]] = ("ip", "ip6")

# libvirt's source port range for masqueraded TCP and UDP (it keeps privileged ports free).
_NAT_PORTS: Final = (1024, 65535)
# Never masqueraded: local multicast and the limited broadcast (libvirt's "return" rules).
_NOT_MASQUERADED: Final = ("224.0.0.0/24", "255.255.255.255/32")
_FORWARD_HOOK: Final = "type filter hook forward priority 0; policy accept;"
_NAT_HOOK: Final = "type nat hook postrouting priority 100; policy accept;"
# nft identifiers (chain names) cannot be quoted in the nft corral targets (1.0.6): the
# bridge name goes into the chain name, so it must be one of these characters.
_IDENTIFIER_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
)


@dataclasses.dataclass(frozen=True)
class Chain:
    """One base chain of a network in corral's table of ``family``."""

    family: Family
    name: str
    hook: str
    rules: tuple[str, ...]


def chain_names(bridge: str) -> tuple[str, str]:
    """Return the names of the forward and nat chains of ``bridge``."""
    return f"fwd-{bridge}", f"nat-{bridge}"


def chains_for(definition: NetworkDefinition, bridge: str) -> tuple[Chain, ...]:
    """Return the chains (with their rules) ``definition`` needs on ``bridge``.

    Raises:
        CorralError: CONFIG_UNSUPPORTED when the bridge name cannot name an nft chain.
    """
    _check_bridge(bridge)
    forward = definition.forward
    if forward is None:
        return tuple(_isolated(family, bridge) for family in FAMILIES)
    mode = forward.effective_mode
    if mode in ("open", "bridge"):
        return ()
    chains: list[Chain] = []
    for family in FAMILIES:
        subnets = _subnets(definition, family)
        if not subnets:
            continue
        masquerade = mode == "nat" and (
            family == "ip" or bool(forward.nat is not None and forward.nat.ipv6)
        )
        chains.append(_forwarding(family, bridge, subnets, forward.dev, masquerade))
        if masquerade:
            chains.append(_nat(family, bridge, subnets, definition))
    return tuple(chains)


def render_add(chains: Sequence[Chain]) -> str:
    """Return the ``nft -f`` input that installs ``chains`` in one transaction.

    An existing chain of the same name (left by a crash) is flushed first, so applying
    twice gives the same ruleset, never doubled rules.
    """
    lines: list[str] = []
    for family in _families_of(chains):
        lines.append(f"add table {family} {TABLE}")
    for chain in chains:
        head = f"{chain.family} {TABLE} {chain.name}"
        lines.append(f"add chain {head} {{ {chain.hook} }}")
        lines.append(f"flush chain {head}")
        lines.extend(f"add rule {head} {rule}" for rule in chain.rules)
    return "".join(f"{line}\n" for line in lines)


def render_remove(chains: Iterable[tuple[Family, str]], empty_tables: Iterable[Family]) -> str:
    """Return the ``nft -f`` input deleting ``chains`` and then the ``empty_tables``.

    Args:
        chains: ``(family, chain name)`` pairs that exist in corral's tables.
        empty_tables: The families whose corral table holds nothing else afterwards.
    """
    lines = [f"delete chain {family} {TABLE} {name}" for family, name in chains]
    lines.extend(f"delete table {family} {TABLE}" for family in empty_tables)
    return "".join(f"{line}\n" for line in lines)


def _families_of(chains: Iterable[Chain]) -> list[Family]:
    present = {chain.family for chain in chains}
    return [family for family in FAMILIES if family in present]


def _check_bridge(bridge: str) -> None:
    if not bridge or len(bridge) > 15 or not set(bridge) <= _IDENTIFIER_CHARS:
        raise CorralError(
            f"The bridge name '{bridge}' is not supported: corral names its nftables chains "
            "after the bridge, so it must be 1 to 15 letters, digits, '_', '.' or '-'.",
            code=ErrorCode.CONFIG_UNSUPPORTED, bridge=bridge,
        )


def _subnets(definition: NetworkDefinition, family: Family) -> list[str]:
    """The networks (``192.168.122.0/24``) of the ``<ip>``s of ``family``, in order."""
    found: list[str] = []
    for ip in definition.ips:
        if ip.address is None or ip.is_ipv6 != (family == "ip6"):
            continue
        subnet = str(ip.interface.network)
        if subnet not in found:
            found.append(subnet)
    return found


def _isolated(family: Family, bridge: str) -> Chain:
    return Chain(family, chain_names(bridge)[0], _FORWARD_HOOK, (
        f'iifname "{bridge}" oifname "{bridge}" counter accept',
        f'iifname "{bridge}" counter reject',
        f'oifname "{bridge}" counter reject',
    ))


def _forwarding(family: Family, bridge: str, subnets: Sequence[str], dev: str | None,
                stateful: bool) -> Chain:
    """Accept the network's own traffic out and (replies, or all when routed) in."""
    out_dev = f' oifname "{dev}"' if dev else ""
    in_dev = f' iifname "{dev}"' if dev else ""
    state = " ct state related,established" if stateful else ""
    rules = [f'iifname "{bridge}" oifname "{bridge}" counter accept']
    for subnet in subnets:
        rules.append(f'{family} saddr {subnet} iifname "{bridge}"{out_dev} counter accept')
        rules.append(f'{family} daddr {subnet} oifname "{bridge}"{in_dev}{state} counter accept')
    rules.append(f'iifname "{bridge}" counter reject')
    rules.append(f'oifname "{bridge}" counter reject')
    return Chain(family, chain_names(bridge)[0], _FORWARD_HOOK, tuple(rules))


def _nat(family: Family, bridge: str, subnets: Sequence[str],
         definition: NetworkDefinition) -> Chain:
    """Masquerade (or SNAT to ``<nat><address>``) all but broadcast and multicast."""
    forward = definition.forward
    nat = forward.nat if forward is not None else None
    dev = f' oifname "{forward.dev}"' if forward is not None and forward.dev else ""
    ports = (nat.port.start, nat.port.end) if nat is not None and nat.port else _NAT_PORTS
    address = nat.address if nat is not None and family == "ip" else None
    target = f"snat to {address.start}-{address.end}" if address else "masquerade"
    span = f"{ports[0]}-{ports[1]}"
    port_target = f"{target}:{span}" if address else f"{target} to :{span}"
    rules: list[str] = []
    for subnet in subnets:
        match = f"{family} saddr {subnet}"
        if family == "ip":
            rules.extend(f"{match} {family} daddr {special} counter return"
                         for special in _NOT_MASQUERADED)
        else:
            rules.append(f"{match} {family} daddr ff02::/16 counter return")
        outside = f"{match} {family} daddr != {subnet}{dev}"
        rules.append(f"{outside} meta l4proto tcp counter {port_target}")
        rules.append(f"{outside} meta l4proto udp counter {port_target}")
        rules.append(f"{outside} counter {target}")
    return Chain(family, chain_names(bridge)[1], _NAT_HOOK, tuple(rules))
