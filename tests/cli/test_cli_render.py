"""virsh's table and block layouts, byte for byte."""

from __future__ import annotations

import pytest
from corral.core.cli._render import block, size, table


def test_a_table_is_virsh_s() -> None:
    # tools/vsh-table.c, as `virsh net-list` prints it (trailing empty line included).
    text = table(("Name", "State", "Autostart", "Persistent"),
                 [("default", "active", "yes", "yes")])
    assert text == (
        " Name      State    Autostart   Persistent\n"
        "--------------------------------------------\n"
        " default   active   yes         yes\n"
        "\n"
    )


def test_an_empty_table_is_its_header_and_quiet_drops_it() -> None:
    assert table(("Name", "Path"), []) == " Name   Path\n--------------\n\n"
    assert table(("Name", "Path"), [("a", "/p")], quiet=True) == " a      /p\n"  # header widths
    assert table(("Name", "Path"), [], quiet=True) == ""


def test_a_block_is_virsh_s_printf() -> None:
    assert block([("Name", "default"), ("Bridge", "virbr0")]) == (
        "Name:           default\nBridge:         virbr0\n"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0.00 B"), (1023, "1023.00 B"), (64 * 1024**2, "64.00 MiB"),
     (int(9.78 * 1024**3), "9.78 GiB"), (None, "-"), (True, "-")],
)
def test_sizes_are_virsh_s(value: object, text: str) -> None:
    assert size(value) == text
