"""Rendering a network's dnsmasq files with 100, 1,000 and 10,000 static DHCP hosts.

The issue's target is render plus SIGHUP-reload under 200 ms together at 10,000 hosts; this
is the render half (``corral.drivers.network.dnsmasq.render``: conf, hosts file, addn-hosts
file, all in memory), and it claims at most half of that budget. Each size is also shown per
host, so the growth reads off the table: constant per host means linear. Run on its own
with ``python bench/dnsmasq_render.py`` or through ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import statistics
import sys

from table import ms, ratio, render
from timing import timed_rounds

SIZES = (100, 1_000, 10_000)
TARGET_S = 0.100  # render's half of the 200 ms (render + reload) at 10,000 hosts


def network(hosts: int) -> object:
    """libvirt's default network on a /16, with ``hosts`` static hosts (MAC, address, name)."""
    from corral.drivers.network.conf import DhcpHost, parse_network

    base = parse_network(
        "<network><name>bench</name><forward mode='nat'/><bridge name='virbr7'/>"
        "<ip address='10.7.0.1' prefix='16'><dhcp>"
        "<range start='10.7.0.2' end='10.7.0.254'/></dhcp></ip></network>")
    ip = base.ips[0]
    assert ip.dhcp is not None
    first = ipaddress.IPv4Address("10.7.1.0")
    static = tuple(
        DhcpHost(ip=str(first + i), mac=f"52:54:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:"
                 f"{i & 255:02x}", name=f"guest{i}")
        for i in range(hosts))
    dhcp = dataclasses.replace(ip.dhcp, hosts=static)
    return dataclasses.replace(base, ips=(dataclasses.replace(ip, dhcp=dhcp),))


def measure(rounds: int) -> list[list[str]]:
    """One row per size: median render time, per host, hosts-file size."""
    from corral.drivers.network.dnsmasq import DnsmasqPaths
    from corral.drivers.network.dnsmasq import render as render_files

    paths = DnsmasqPaths.for_network("bench", "/var/lib/corral/network",
                                     "/run/corral/network")
    rows, previous = [], None
    for size in SIZES:
        definition = network(size)
        files = render_files(definition, paths)  # type: ignore[arg-type]
        assert files.hosts.count("\n") == size
        (samples,) = timed_rounds([lambda d=definition: render_files(d, paths)], rounds)
        seconds = statistics.median(samples)
        rows.append([f"{size:,}", ms(seconds), f"{seconds / size * 1e6:.2f}",
                     f"{len(files.hosts) / 1024:.0f}",
                     "" if previous is None else ratio(seconds, previous)])
        previous = seconds
    return rows


def report(rows: list[list[str]]) -> str:
    """The table and the verdict, as text."""
    headers = ["static hosts", "render ms", "µs per host", "hosts file KiB", "× previous size"]
    largest = float(rows[-1][1]) / 1000
    verdict = (f"{'PASS' if largest <= TARGET_S else 'FAIL'} ({largest * 1000:.1f} ms at "
               f"{SIZES[-1]:,} hosts; target ≤ {TARGET_S * 1000:.0f} ms, half of the 200 ms "
               "render + reload budget)")
    return (f"dnsmasq files of one network (median of the rounds)\n{render(headers, rows)}\n"
            f"dnsmasq render target: {verdict}")


def main(argv: list[str] | None = None) -> int:
    """Measure and print; exit 1 with ``--strict`` when the target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=21, help="rounds per size (21)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    text = report(measure(args.rounds))
    print(text)
    return 1 if args.strict and "dnsmasq render target: PASS" not in text else 0


if __name__ == "__main__":
    sys.exit(main())
