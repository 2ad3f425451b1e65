"""The shipped definition kinds: libvirt's own files validate, every broken file is named.

Files are loaded the way ``corral validate`` loads them: the hardened reader, then the
``corral.definitions`` entry point named after the root element. Each file in
``tests/data/xml/invalid/`` says on its first line what must happen:
``<!-- expect: LINE CODE | rule -->``. The test checks the error's line, its code, that
the rule contains the expected words, and that the message is ``FILE:LINE: rule.``.
"""

from __future__ import annotations

import concurrent.futures
import re
from pathlib import Path

import pytest
from corral.core import ErrorCode, XMLError
from corral.core.host import DEFINITION_GROUP, Registry
from corral.core.xml import SCHEMA_DIR, Definition, parse_xml, read_xml
from corral.drivers.network import conf as network_conf
from corral.drivers.network.conf import NETWORK, NetworkDefinition, parse_network
from corral.drivers.storage import conf as storage_conf
from corral.drivers.storage.conf import POOL, PoolDefinition, parse_pool

DATA = Path(__file__).resolve().parents[1] / "data" / "xml"
NETWORKS = sorted((DATA / "conformance" / "network").glob("*.xml"))
POOLS = sorted((DATA / "conformance" / "pool").glob("*/*.xml"))
INVALID = sorted((DATA / "invalid").glob("*.xml"))
EXPECT = re.compile(r"<!-- expect: (\d+) (\w+) \| (.*?) -->")
KINDS = Registry.discover((DEFINITION_GROUP,))


def load_definition(path: Path) -> Definition:
    """What ``corral validate`` does with a file."""
    tree = read_xml(path)
    return KINDS.definition_loader(tree.getroot(), file=str(path))(tree, file=str(path))


def parse_definition(xml: str) -> Definition:
    tree = parse_xml(xml)
    return KINDS.definition_loader(tree.getroot())(tree)


def test_the_shipped_kinds_are_entry_points() -> None:
    assert KINDS.names(DEFINITION_GROUP) == ["network", "pool", "secret"]
    assert KINDS.load(DEFINITION_GROUP, "network") is NETWORK
    assert KINDS.load(DEFINITION_GROUP, "pool") is POOL
    assert KINDS.load(DEFINITION_GROUP, "secret") is storage_conf.SECRET


def test_all_of_libvirts_definitions_are_here() -> None:
    # libvirt's networkxml2confdata has 26 inputs; storagepoolxml2xml 6 iSCSI in + out.
    assert (len(NETWORKS), len(POOLS), len(INVALID) >= 40) == (26, 12, True)


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_every_libvirt_network_validates(path: Path) -> None:
    assert isinstance(load_definition(path), NetworkDefinition)


@pytest.mark.parametrize("path", POOLS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_every_libvirt_pool_validates(path: Path) -> None:
    assert isinstance(load_definition(path), PoolDefinition)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_every_invalid_file_is_refused_naming_line_and_rule(path: Path) -> None:
    found = EXPECT.match(path.read_text())
    assert found, f"{path.name} lacks its '<!-- expect: LINE CODE | rule -->' first line"
    line, code, words = int(found[1]), ErrorCode[found[2]], found[3]
    with pytest.raises(XMLError) as caught:
        load_definition(path)
    error = caught.value
    assert (error.line, error.code, error.file) == (line, code, str(path))
    assert error.rule is not None and words in error.rule
    assert str(error).startswith(f"{path}:{line}: {error.rule}")


def test_schemas_name_their_libvirt_origin_and_licence() -> None:
    folders = (SCHEMA_DIR, network_conf.SCHEMA_DIR, storage_conf.SCHEMA_DIR)
    schemas = [path for folder in folders for path in sorted(folder.glob("*.rng"))]
    assert [p.name for p in schemas] == [
        "basictypes.rng",
        "network.rng",
        "networkcommon.rng",
        "secret.rng",
        "storagecommon.rng",
        "storagepool.rng",
    ]
    for schema in schemas:
        head = schema.read_text()[:1200]
        assert "libvirt" in head and "LGPL-2.1-or-later" in head, schema.name


def test_a_second_error_is_not_reported_before_the_first() -> None:
    # Both the mode and the unknown element are wrong; the earlier line wins.
    xml = "<network>\n<name>n</name>\n<forward mode='x'/>\n<bogus/>\n</network>"
    with pytest.raises(XMLError) as caught:
        parse_definition(xml)
    assert caught.value.line == 3


def test_a_wrong_root_is_refused_by_the_typed_loaders() -> None:
    pool = (DATA / "conformance" / "pool" / "in" / "pool-iscsi.xml").read_text()
    with pytest.raises(XMLError, match=r"the root element is <pool>, but a <network>"):
        parse_network(pool)
    network = (DATA / "conformance" / "network" / "nat-network.xml").read_text()
    with pytest.raises(XMLError, match=r"the root element is <network>, but a <pool>"):
        parse_pool(network, file="n.xml")


def test_validation_in_threads_keeps_each_threads_errors_apart() -> None:
    # The daemon validates in worker threads; each thread gets its own compiled schema.
    cases = [(path, EXPECT.match(path.read_text())) for path in INVALID[:12]]

    def check(item: tuple[Path, re.Match[str] | None]) -> tuple[int | None, int]:
        path, found = item
        assert found is not None
        try:
            load_definition(path)
        except XMLError as error:
            return error.line, int(found[1])
        return None, int(found[1])

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, cases * 4))
    assert all(got == want for got, want in results), results
