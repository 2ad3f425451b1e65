"""Reading a RelaxNG grammar whole: its ``<include>``s found along a schema search path.

A driver's schema includes core's ``basictypes.rng`` by its bare name
(``<include href="basictypes.rng"/>``) although the two files live in different packages.
libxml2 would look for it next to the including file only, so corral resolves includes
itself, the way RelaxNG's own simplification does (section 4.7 of the specification):
each ``<include>`` becomes a ``<div>`` holding the included grammar's content, minus the
``<start>`` and the ``<define>``s the include overrides, plus the overrides. The result is
one self-contained grammar that libxml2 compiles without touching the disk again.

An ``href`` is looked for next to the file that includes it, then in each directory of
the search path in order: a driver's own files win over core's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from lxml import etree

__all__ = ["RNG", "XSD", "kind_of", "patterns", "read_grammar"]

RNG: Final = "http://relaxng.org/ns/structure/1.0"
XSD: Final = "http://www.w3.org/2001/XMLSchema-datatypes"

# Schemas are package data, but parsed as carefully as anything else.
_PARSER: Final = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def read_grammar(path: Path, search_path: Sequence[Path]) -> etree._ElementTree:
    """Return the grammar in ``path`` with every include resolved and inlined.

    Raises:
        CorralError: An included file is found nowhere, a file includes itself (through
            others), or a file is not a RelaxNG ``<grammar>`` (domain xml, INTERNAL_ERROR:
            the schema is broken, not the document).
    """
    return _read(path.resolve(), tuple(search_path), ()).getroottree()


def _read(path: Path, search_path: tuple[Path, ...], stack: tuple[Path, ...]) -> etree._Element:
    if path in stack:
        chain = " -> ".join(str(p) for p in (*stack, path))
        raise _schema_error(f"The schema {path} includes itself: {chain}.")
    try:
        root = etree.parse(str(path), _PARSER).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise _schema_error(f"Cannot read the schema {path}: {exc}.") from exc
    if kind_of(root) != "grammar":
        raise _schema_error(f"The schema {path} is not a RelaxNG <grammar>.")
    for include in [node for node in root.iter(f"{{{RNG}}}include")]:
        found = _find(str(include.get("href")), path, search_path)
        _inline(include, _read(found, search_path, (*stack, path)))
    return root


def _find(href: str, including: Path, search_path: tuple[Path, ...]) -> Path:
    for directory in (including.parent, *search_path):
        candidate = directory / href
        if candidate.is_file():
            return candidate.resolve()
    places = ", ".join(str(directory) for directory in (including.parent, *search_path))
    raise _schema_error(f"The schema {including} includes '{href}', found in none of: {places}.")


def _inline(include: etree._Element, grammar: etree._Element) -> None:
    overrides = patterns(include)
    overridden = {str(node.get("name")) for node in overrides if kind_of(node) == "define"}
    replaces_start = any(kind_of(node) == "start" for node in overrides)
    for node in list(grammar.iter(f"{{{RNG}}}start", f"{{{RNG}}}define")):
        if (kind_of(node) == "start" and replaces_start) or node.get("name") in overridden:
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    # What the included grammar's patterns inherit from its root stays theirs. It goes on
    # each of them, not on the <div>: libxml2 dissolves a <div> before it looks at what
    # a <data> or an <element> inherits.
    for attribute in ("ns", "datatypeLibrary"):
        value = grammar.get(attribute) or include.get(attribute)
        if value is None:
            continue
        for node in patterns(grammar):
            if node.get(attribute) is None:
                node.set(attribute, value)
    div = etree.Element(f"{{{RNG}}}div")
    div.extend([*grammar, *overrides])
    parent = include.getparent()
    assert parent is not None  # an <include> is never a document's root
    parent.replace(include, div)


def patterns(node: etree._Element) -> list[etree._Element]:
    """Return the RNG children of ``node`` (comments and foreign elements left out)."""
    return [child for child in node if kind_of(child)]


def kind_of(node: etree._Element) -> str:
    """Return the RNG element's local name (``define``, ``ref``...), or "" for anything else."""
    tag = node.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{RNG}}}"):
        return ""
    return tag[len(RNG) + 2 :]


def _schema_error(message: str) -> CorralError:
    return CorralError(message, domain=ErrorDomain.XML, code=ErrorCode.INTERNAL_ERROR)
