"""corrald killed with -9 while a network runs: the next corrald re-attaches to it.

The daemon runs inside a network namespace the test makes (``ip netns exec`` as its
launcher), so the bridge, the rules and dnsmasq never touch the host's own namespace; its
root is world-readable because dnsmasq reads its files as ``nobody``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import StartCorrald

pytestmark = [pytest.mark.root, pytest.mark.netns, pytest.mark.slow]

NETWORK = """<network>
  <name>lab</name>
  <bridge name="ctd0" stp="off" delay="0"/>
  <forward mode="nat"/>
  <ip address="10.78.0.1" netmask="255.255.255.0">
    <dhcp><range start="10.78.0.100" end="10.78.0.150"/></dhcp>
  </ip>
</network>"""


def test_a_daemon_killed_with_9_is_replaced_by_one_that_reattaches(
        corrald: StartCorrald, namespace: str, readable_root: Path) -> None:
    def start():  # type: ignore[no-untyped-def]
        return corrald('drivers = ["network"]\n', launcher=("ip", "netns", "exec", namespace),
                       root=readable_root)

    first = start()
    client = first.client()
    client.call("network-define", xml=NETWORK)
    client.call("network-start", name="lab")
    pidfile = readable_root / "run/corral/network/lab.pid"
    dnsmasq = int(pidfile.read_text())
    first.process.kill()  # kill -9: no shutdown, no cleanup
    first.process.wait(10)
    assert Path(f"/proc/{dnsmasq}").exists(), "dnsmasq outlives corrald"

    second = start()
    info = second.client().call("network-info", name="lab")
    assert info["active"] is True
    assert int(pidfile.read_text()) == dnsmasq  # re-attached, not restarted
    assert "lab" in [n["name"] for n in second.client().call("network-list")]
    second.client().call("network-destroy", name="lab")
    assert second.stop() == 0
    links = subprocess.run(["ip", "-n", namespace, "-o", "link", "show"], capture_output=True,
                           text=True, check=True).stdout
    assert "ctd0" not in links
