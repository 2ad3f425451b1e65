"""docs/daemon-protocol.md lists every command of every shipped driver, read-only as it is."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "daemon-protocol.md"
ROW = re.compile(r"^\| (\w+) \| `([a-z-]+)` \| (yes|no) \|", re.MULTILINE)
SHIPPED = ("hooks", "network", "node", "storage")


def documented() -> dict[str, tuple[str, bool]]:
    return {command: (driver, ro == "yes") for driver, command, ro in ROW.findall(DOC.read_text())}


@pytest.mark.parametrize("driver", SHIPPED)
def test_every_operation_of_a_shipped_driver_is_documented(driver: str) -> None:
    (point,) = [p for p in entry_points(group="corral.drivers") if p.name == driver]
    operations = point.load().describe_operations()
    table = documented()
    for name, operation in operations.items():
        assert table.get(name) == (driver, operation.read_only), name
    assert {c for c, (d, _) in table.items() if d == driver} == set(operations)
