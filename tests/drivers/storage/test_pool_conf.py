"""<pool> definitions: values, libvirt's exact output, and the round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from corral.core import XMLError
from corral.drivers.storage.backends.iscsi_rules import DEFAULT_ISCSI_PORT, portal_port
from corral.drivers.storage.conf import (
    Permissions,
    PoolAuth,
    PoolDefinition,
    PoolHost,
    PoolSource,
    PoolTarget,
    format_pool,
    load_pool,
    parse_pool,
)

CONFORMANCE = Path(__file__).resolve().parents[2] / "data" / "xml" / "conformance" / "pool"
INPUTS = sorted((CONFORMANCE / "in").glob("*.xml"))

POOL = """<pool type='iscsi'>
  <name>p</name>
  {sizes}
  <source><host name='portal' {port}/><device path='iqn.2004-06.example:t'/></source>
  <target><path>/dev/disk/by-path</path>{permissions}</target>
</pool>"""


def pool(sizes: str = "", port: str = "", permissions: str = "") -> PoolDefinition:
    return parse_pool(POOL.format(sizes=sizes, port=port, permissions=permissions))


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_format_matches_libvirts_expected_output_byte_for_byte(path: Path) -> None:
    expected = (CONFORMANCE / "out" / path.name).read_text()
    assert format_pool(load_pool(path)) == expected


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_parse_format_parse_gives_the_same_definition(path: Path) -> None:
    definition = load_pool(path)
    assert parse_pool(format_pool(definition)) == definition
    # libvirt's normalised output describes the same pool as its input.
    assert load_pool(CONFORMANCE / "out" / path.name) == definition


def test_iscsi_auth_pool_in_full() -> None:
    assert load_pool(CONFORMANCE / "in" / "pool-iscsi-auth.xml") == PoolDefinition(
        type="iscsi",
        name="virtimages",
        uuid="e9392370-2917-565e-692b-d057f46512d6",
        source=PoolSource(
            hosts=(PoolHost("iscsi.example.com"),),
            device="demo-target",
            auth=PoolAuth(username="admin", secret_uuid="2ec115d7-3a88-3ceb-bc12-0ac909a6fd87"),
        ),
        target=PoolTarget("/dev/disk/by-path", Permissions(mode=0o700, owner=0, group=0)),
    )


def test_iscsi_direct_pool_has_initiator_and_no_target() -> None:
    definition = load_pool(CONFORMANCE / "in" / "pool-iscsi-direct-auth.xml")
    assert definition.type == "iscsi-direct" and definition.target is None
    assert definition.source.initiator_iqn == "iqn.2013-06.com.example:iscsi-initiator"
    assert definition.source.device == "iqn.2013-06.com.example:iscsi-pool"


def test_vendor_and_product() -> None:
    source = load_pool(CONFORMANCE / "in" / "pool-iscsi-vendor-product.xml").source
    assert (source.vendor, source.product) == ("test-vendor", "test-product")


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        (None, 5, 5),
        ("bytes", 5, 5),
        ("b", 5, 5),
        ("KiB", 1, 1024),
        ("k", 2, 2048),
        ("KB", 1, 1000),
        ("M", 1, 2**20),
        ("GB", 3, 3 * 10**9),
        ("TiB", 1, 2**40),
        ("EiB", 15, 15 * 2**60),
    ],
)
def test_sizes_become_bytes(unit: str | None, value: int, expected: int) -> None:
    attribute = f" unit='{unit}'" if unit else ""
    definition = pool(sizes=f"<capacity{attribute}>{value}</capacity>")
    assert (definition.capacity, definition.allocation, definition.available) == (expected, 0, 0)
    assert f"<capacity unit='bytes'>{expected}</capacity>" in format_pool(definition)


def test_the_largest_size_fits_and_one_more_does_not() -> None:
    assert pool(sizes=f"<available>{2**64 - 1}</available>").available == 2**64 - 1
    with pytest.raises(XMLError, match="exceeds 64 bits"):
        pool(sizes="<available unit='KiB'>18014398509481984</available>")


def test_ports() -> None:
    assert portal_port(pool().source.hosts[0]) == DEFAULT_ISCSI_PORT == 3260
    assert portal_port(PoolHost("portal", 0)) == DEFAULT_ISCSI_PORT
    explicit = pool(port="port='3261'")
    assert explicit.source.hosts[0] == PoolHost("portal", 3261)
    assert portal_port(explicit.source.hosts[0]) == 3261
    assert "<host name='portal' port='3261'/>" in format_pool(explicit)


def test_permissions_follow_libvirt() -> None:
    unset = "<permissions><owner>-1</owner><group>-1</group></permissions>"
    assert pool(permissions=unset).target == PoolTarget("/dev/disk/by-path")
    labelled = pool(permissions="<permissions><mode>755</mode><label>x_t</label></permissions>")
    assert labelled.target is not None
    assert labelled.target.permissions == Permissions(mode=0o755, label="x_t")
    text = format_pool(labelled)
    assert "<mode>0755</mode>" in text and "<label>x_t</label>" in text


def test_secret_by_usage_round_trips() -> None:
    xml = POOL.format(sizes="", port="", permissions="").replace(
        "</source>", "<auth type='chap' username='u'><secret usage='iscsi-secret'/></auth></source>"
    )
    definition = parse_pool(xml)
    assert definition.source.auth == PoolAuth(username="u", secret_usage="iscsi-secret")
    assert parse_pool(format_pool(definition)) == definition
