"""From XML text or a file to a checked definition: parse, validate, build, check.

These are the entry points the rest of corral uses. Each runs the whole pipeline -- the
hardened parser, the RelaxNG schema for the root element, the dataclass builder and the
rules the schema cannot express -- so a definition that comes out is one libvirt would
accept, and every way in fails with the same kind of :class:`XMLError`.
"""

from __future__ import annotations

import os
from typing import TypeAlias

from corral.core._errors import CorralError
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
    return _definition(parse_xml(xml, file=file), file, None)


def load_definition(path: str | os.PathLike[str]) -> Definition:
    """Return the network or pool definition in the file ``path``.

    Raises:
        CorralError: The file cannot be read.
        XMLError: As for :func:`parse_definition`.
    """
    return _definition(read_xml(path), os.fspath(path), None)


def parse_network(xml: str | bytes, *, file: str | None = None) -> NetworkDefinition:
    """Return the ``<network>`` definition ``xml`` holds (see :func:`parse_definition`)."""
    return _network(_definition(parse_xml(xml, file=file), file, "network"))


def load_network(path: str | os.PathLike[str]) -> NetworkDefinition:
    """Return the ``<network>`` definition in the file ``path`` (see :func:`load_definition`)."""
    return _network(_definition(read_xml(path), os.fspath(path), "network"))


def parse_pool(xml: str | bytes, *, file: str | None = None) -> PoolDefinition:
    """Return the ``<pool>`` definition ``xml`` holds (see :func:`parse_definition`)."""
    return _pool(_definition(parse_xml(xml, file=file), file, "pool"))


def load_pool(path: str | os.PathLike[str]) -> PoolDefinition:
    """Return the ``<pool>`` definition in the file ``path`` (see :func:`load_definition`)."""
    return _pool(_definition(read_xml(path), os.fspath(path), "pool"))


def _definition(tree: etree._ElementTree, file: str | None, expected: Kind | None) -> Definition:
    root = tree.getroot()
    if expected is not None and schema_kind(root, file) != expected:
        rule = f"the root element is <{root.tag}>, but a <{expected}> definition is expected"
        raise rule_error(file, line_of(root), rule)
    kind = validate(tree, file=file)
    source = Source(file)
    if kind == "pool":
        return build_pool(root, source)
    network = build_network(root)
    check_network(network, root, source)
    return network


def _network(definition: Definition) -> NetworkDefinition:
    if not isinstance(definition, NetworkDefinition):  # _definition checked the root
        raise CorralError("A <network> root produced no network definition.")
    return definition


def _pool(definition: Definition) -> PoolDefinition:
    if not isinstance(definition, PoolDefinition):  # _definition checked the root
        raise CorralError("A <pool> root produced no pool definition.")
    return definition
