"""The nftables ruleset of a network: a pure function, pinned by golden files."""

from __future__ import annotations

from pathlib import Path

import pytest
from corral.core import CorralError, ErrorCode
from corral.core.testing import assert_golden
from corral.drivers.network._nft import chains_for, render_add, render_remove
from corral.drivers.network.conf import parse_network

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "network" / "nft"

V4 = "<ip address='192.168.122.1' netmask='255.255.255.0'/>"
V6 = "<ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'/>"

CASES = {
    "nat": f"<forward mode='nat'/>{V4}",
    "nat-default-mode": f"<forward/>{V4}",
    "nat-dev-address-port": (
        "<forward mode='nat' dev='eth1'><nat><address start='10.0.0.1' end='10.0.0.5'/>"
        f"<port start='2000' end='3000'/></nat></forward>{V4}"
    ),
    "nat-dual-stack": f"<forward mode='nat'/>{V4}{V6}",
    "nat-ipv6-masquerade": f"<forward mode='nat'><nat ipv6='yes'/></forward>{V4}{V6}",
    "route": f"<forward mode='route'/>{V4}",
    "route-dev": f"<forward mode='route' dev='eth0'/>{V4}{V6}",
    "open": f"<forward mode='open'/>{V4}",
    "isolated": V4,
}


def network(body: str) -> str:
    return f"<network><name>n</name><bridge name='virbr0'/>{body}</network>"


@pytest.mark.parametrize("case", CASES)
def test_ruleset_matches_the_golden_file(case: str) -> None:
    chains = chains_for(parse_network(network(CASES[case])), "virbr0")
    assert_golden(render_add(chains), GOLDEN / f"{case}.nft")


def test_open_has_no_rules_at_all() -> None:
    assert chains_for(parse_network(network(CASES["open"])), "virbr0") == ()
    assert render_add(()) == ""


def test_isolated_rejects_in_both_families_even_without_ipv6() -> None:
    chains = chains_for(parse_network(network(CASES["isolated"])), "virbr0")
    assert [(chain.family, chain.name) for chain in chains] == [
        ("ip", "fwd-virbr0"), ("ip6", "fwd-virbr0")]
    assert all("reject" in chain.rules[-1] for chain in chains)


def test_nat_never_masquerades_broadcast_or_multicast_and_keeps_own_subnet() -> None:
    (_, nat) = chains_for(parse_network(network(CASES["nat"])), "virbr0")
    assert nat.rules[0] == "ip saddr 192.168.122.0/24 ip daddr 224.0.0.0/24 counter return"
    assert nat.rules[1] == "ip saddr 192.168.122.0/24 ip daddr 255.255.255.255/32 counter return"
    assert all("daddr != 192.168.122.0/24" in rule for rule in nat.rules[2:])


def test_ipv4_only_nat_leaves_the_ip6_table_alone() -> None:
    chains = chains_for(parse_network(network(CASES["nat"])), "virbr0")
    assert {chain.family for chain in chains} == {"ip"}


@pytest.mark.parametrize("bridge", ["", "br 0", 'br"0', "a" * 16, "br;flush"])
def test_a_bridge_name_nft_cannot_carry_is_refused(bridge: str) -> None:
    with pytest.raises(CorralError) as caught:
        chains_for(parse_network(network(CASES["nat"])), bridge)
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED


def test_removal_deletes_only_the_named_chains_then_empty_tables() -> None:
    text = render_remove([("ip", "fwd-virbr0"), ("ip", "nat-virbr0")], ["ip"])
    assert text == ("delete chain ip corral fwd-virbr0\n"
                    "delete chain ip corral nat-virbr0\n"
                    "delete table ip corral\n")
