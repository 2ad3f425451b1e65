"""config/systemd/ agrees with corrald: the socket names, their modes, Type=notify."""

from __future__ import annotations

import configparser
from pathlib import Path

from corral.core.daemon import DAEMON_CONFIG_KEYS

UNITS = Path(__file__).resolve().parents[2] / "config" / "systemd"
DEFAULTS = {key.name: key.default for key in DAEMON_CONFIG_KEYS}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def test_the_service_is_type_notify_and_reloads_with_sighup() -> None:
    service = unit("corrald.service")["Service"]
    assert service["Type"] == "notify"
    assert "-HUP" in service["ExecReload"]


def test_each_socket_unit_names_its_descriptor_as_corrald_expects() -> None:
    expected = {"corrald.socket": ("corrald-sock", "0600"),
                "corrald-ro.socket": ("corrald-sock-ro", DEFAULTS["unix_sock_ro_perms"]),
                "corrald-admin.socket": ("corrald-admin-sock",
                                         DEFAULTS["unix_sock_admin_perms"])}
    for name, (socket_name, mode) in expected.items():
        section = unit(name)["Socket"]
        assert section["FileDescriptorName"] == socket_name
        assert section["ListenStream"] == f"/run/corral/{socket_name}"
        assert section["SocketMode"] == mode
        assert section["Service"] == "corrald.service"
