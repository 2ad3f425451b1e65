"""From XML text or a file to a checked definition: parse, validate, build, check.

These are the entry points the rest of corral uses. Each runs the whole pipeline -- the
hardened parser, the RelaxNG schema for the root element, the dataclass builder and the
rules the schema cannot express -- so a definition that comes out is one libvirt would
accept, and every way in fails with the same kind of :class:`XMLError`.
"""

from __future__ import annotations

import os
from typing import TypeAlias

from corral.core.xml._network import NetworkDefinition
from corral.core.xml._network_check import check_network
from corral.core.xml._network_parse import build_network
from corral.core.xml._parse import line_of, parse_xml, read_xml, rule_error
from corral.core.xml._pool import PoolDefinition
from corral.core.xml._pool_parse import build_pool
from corral.core.xml._relaxng import Kind, schema_kind, validate
from corral.core.xml._values import Source
from lxml import etree

__all__ = [
    "Definition",
    "load_definition",
    "load_network",
    "load_pool",
    "parse_definition",
    "parse_network",
    "parse_pool",
]

Definition: TypeAlias = NetworkDefinition | PoolDefinition


def parse_definition(xml: str | bytes, *, file: str | None = None) -> Definition:
    """Return the network or pool definition ``xml`` holds, whichever its root says.

    Args:
        xml: The document text.
        file: Where it came from, for error messages.

    Raises:
        XMLError: Malformed, too large, a DOCTYPE, an unknown root, a schema rule or a
            rule the schema cannot express broken; ``line`` and ``rule`` say where and what.
    """
    return _definition(parse_xml(xml, file=file), file)


def load_definition(path: str | os.PathLike[str]) -> Definition:
    """Return the network or pool definition in the file ``path``.

    Raises:
        CorralError: The file cannot be read.
        XMLError: As for :func:`parse_definition`.
    """
    return _definition(read_xml(path), os.fspath(path))


def parse_network(xml: str | bytes, *, file: str | None = None) -> NetworkDefinition:
    """Return the ``<network>`` definition ``xml`` holds (see :func:`parse_definition`)."""
    return _network(parse_xml(xml, file=file), file)


def load_network(path: str | os.PathLike[str]) -> NetworkDefinition:
    """Return the ``<network>`` definition in the file ``path`` (see :func:`load_definition`)."""
    return _network(read_xml(path), os.fspath(path))


def parse_pool(xml: str | bytes, *, file: str | None = None) -> PoolDefinition:
    """Return the ``<pool>`` definition ``xml`` holds (see :func:`parse_definition`)."""
    return _pool(parse_xml(xml, file=file), file)


def load_pool(path: str | os.PathLike[str]) -> PoolDefinition:
    """Return the ``<pool>`` definition in the file ``path`` (see :func:`load_definition`)."""
    return _pool(read_xml(path), os.fspath(path))


def _definition(tree: etree._ElementTree, file: str | None) -> Definition:
    if schema_kind(tree.getroot(), file) == "pool":
        return _pool(tree, file)
    return _network(tree, file)


def _network(tree: etree._ElementTree, file: str | None) -> NetworkDefinition:
    root = _root(tree, file, "network")
    validate(tree, file=file)
    network = build_network(root)
    check_network(network, root, Source(file))
    return network


def _pool(tree: etree._ElementTree, file: str | None) -> PoolDefinition:
    root = _root(tree, file, "pool")
    validate(tree, file=file)
    return build_pool(root, Source(file))


def _root(tree: etree._ElementTree, file: str | None, expected: Kind) -> etree._Element:
    # Checked before the schema: a <pool> given where a network is expected is one
    # mistake, not a list of elements the network schema does not know.
    root = tree.getroot()
    if schema_kind(root, file) != expected:
        rule = f"the root element is <{root.tag}>, but a <{expected}> definition is expected"
        raise rule_error(file, line_of(root), rule)
    return root
