"""Record real iscsiadm runs into iscsiadm-recorded.json (run as root; see README.md).

Only what works without the iscsi_tcp kernel module is recorded; the node record and iface
it creates are deleted again. Run: .venv/bin/python tests/data/storage/record_iscsiadm.py
"""

from pathlib import Path

from corral.core.testing import record

OUT = Path(__file__).with_name("iscsiadm-recorded.json")
PORTAL = "127.0.0.1:3260,1"
TARGET = "iqn.2026-12.org.corral:recorded"
IFACE = "corral-iface-recorded"
NODE = ("--mode", "node", "--portal", PORTAL, "--targetname", TARGET)

OUT.unlink(missing_ok=True)
for argv in (
    ("--mode", "session"),
    ("--mode", "iface"),
    NODE,
    (*NODE, "--op", "new"),
    NODE,
    (*NODE, "--op", "update", "--name", "node.session.auth.authmethod", "--value", "CHAP"),
    (*NODE, "--op", "update", "--name", "node.session.auth.username", "--value", "corral"),
    (*NODE, "--op", "update", "--name", "node.session.auth.password", "--value", "recorded-pw"),
    (*NODE, "--login"),
    (*NODE, "--logout"),
    (*NODE, "--op", "delete"),
    (*NODE, "--op", "delete"),
    ("--mode", "session", "-r", "1", "-R"),
    ("--mode", "discovery", "--type", "sendtargets", "--portal", PORTAL, "--op",
     "nonpersistent"),
    ("--mode", "iface", "--interface", IFACE, "--op", "new"),
    ("--mode", "iface", "--interface", IFACE, "--op", "update", "--name",
     "iface.initiatorname", "--value", "iqn.2026-12.org.corral:initiator"),
    ("--mode", "iface"),
    ("--mode", "iface", "--interface", IFACE, "--op", "delete"),
):
    record("iscsiadm", *argv, path=OUT)
