"""``corral net-update`` against a real corrald running a network in a namespace.

virsh's rules: ``--live`` / ``--config`` say which copy changes (neither, or ``--current``:
the running one if active, else the definition), ``--parent-index`` picks the parent
element, and an XML argument that names an existing file stands for the file's contents.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import StartCorrald
from .test_cli_client import corral

pytestmark = [pytest.mark.root, pytest.mark.netns, pytest.mark.slow]
# (the namespace comes first, so it is deleted after the daemon has stopped)

NETWORK = """<network>
  <name>lab</name>
  <bridge name="ctu0" stp="off" delay="0"/>
  <ip address="10.79.0.1" netmask="255.255.255.0">
    <dhcp><range start="10.79.0.100" end="10.79.0.150"/></dhcp>
  </ip>
</network>"""


def _host(last: int) -> str:
    return f"<host mac='52:54:00:00:00:{last:02x}' ip='10.79.0.{last}'/>"


def test_live_config_current_parent_index_and_an_xml_file(
        namespace: str, readable_root: Path, corrald: StartCorrald, tmp_path: Path) -> None:
    daemon = corrald('drivers = ["network"]\n', launcher=("ip", "netns", "exec", namespace),
                     root=readable_root)
    root = ("--root", daemon.root)
    definition = tmp_path / "lab.xml"
    definition.write_text(NETWORK)
    assert corral(*root, "net-define", definition).returncode == 0
    assert corral(*root, "net-start", "lab").returncode == 0

    def update(*args: str | Path) -> str:
        done = corral(*root, "net-update", "lab", "add", "ip-dhcp-host", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()

    def hosts(*inactive: str) -> list[str]:
        xml = corral(*root, "net-dumpxml", "lab", *inactive).stdout.decode()
        return [line.strip() for line in xml.splitlines() if "<host " in line]

    host_file = tmp_path / "host.xml"
    host_file.write_text(_host(10))
    assert update(host_file, "--parent-index", "0", "--config") == "Updated network lab\n"
    assert (hosts(), hosts("--inactive")) == ([], [_host(10)])
    update(_host(11), "--parent-index", "0", "--live")
    assert (len(hosts()), len(hosts("--inactive"))) == (1, 1)
    assert "52:54:00:00:00:0b" in hosts()[0] and "52:54:00:00:00:0a" in hosts("--inactive")[0]
    update(_host(12), "--parent-index", "0", "--current")  # active: the live network
    assert (len(hosts()), len(hosts("--inactive"))) == (2, 1)
    both = corral(*root, "net-update", "lab", "add", "ip-dhcp-host", _host(13), "--current",
                  "--live")
    assert (both.returncode, both.stderr.decode()) == (
        1, "error: --current cannot be used with --live or --config.\n")
    beyond = corral(*root, "net-update", "lab", "add", "ip-dhcp-host", _host(13),
                    "--parent-index", "3")
    assert beyond.stderr.decode() == (
        "error: The network has no <ip> number 3 (it has 1).\n")
    missing = tmp_path / "absent.xml"  # not a file: the argument is the XML text itself
    wrong = corral(*root, "net-update", "lab", "add", "ip-dhcp-host", missing)
    assert wrong.stderr.decode() == ("error: net-update:1: the document is not well-formed "
                                     "XML: Start tag expected, '<' not found (column 1).\n")
