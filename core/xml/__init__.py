"""corral.core.xml: the generic XML toolkit every definition kind is built with.

The pipeline a definition goes through is: the hardened parser (:func:`parse_xml`,
:func:`read_xml`: no network, no DTD, no entities, a 10 MiB cap, regular files only), the
kind's RelaxNG :class:`Schema` (element and attribute counts bounded first, then libxml2's
verdict, and the explainer naming the first broken rule in words), then the kind's
builder, which reads values with :func:`child`, :func:`text`, :func:`integer`,
:data:`YES_NO`... and checks, as it builds, the rules the schema cannot express
(:meth:`Source.fail`). Every failure is an :class:`~corral.core.XMLError` with ``file``,
``line`` and ``rule``. :class:`XMLWriter` writes libvirt-style XML back.

Core names no definition kind: a driver declares a :class:`DefinitionKind` per root
element it owns and registers it in the ``corral.definitions`` entry-point group. Its
schema can ``<include href="basictypes.rng"/>``: includes are looked for next to the
including file, then along :data:`SEARCH_PATH` (core's :data:`SCHEMA_DIR`). See
``docs/xml.md``.
"""

from corral.core.xml._definition import Definition, DefinitionKind, DefinitionLoader, expect_root
from corral.core.xml._explain import element_name
from corral.core.xml._limits import MAX_ATTRIBUTES, MAX_ELEMENTS
from corral.core.xml._parse import MAX_XML_SIZE, parse_xml
from corral.core.xml._read import read_xml
from corral.core.xml._report import line_of, printable, rule_error
from corral.core.xml._validate import SCHEMA_DIR, SEARCH_PATH, Schema, load_schema
from corral.core.xml._values import (
    ON_OFF,
    YES_NO,
    Flag,
    Source,
    child,
    children,
    integer,
    text,
)
from corral.core.xml._writer import Attributes, XMLWriter

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_ELEMENTS",
    "MAX_XML_SIZE",
    "ON_OFF",
    "SCHEMA_DIR",
    "SEARCH_PATH",
    "YES_NO",
    "Attributes",
    "Definition",
    "DefinitionKind",
    "DefinitionLoader",
    "Flag",
    "Schema",
    "Source",
    "XMLWriter",
    "child",
    "children",
    "element_name",
    "expect_root",
    "integer",
    "line_of",
    "load_schema",
    "parse_xml",
    "printable",
    "read_xml",
    "rule_error",
    "text",
]
