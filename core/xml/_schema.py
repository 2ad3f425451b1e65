"""A map of what each element pattern of a RelaxNG grammar allows, for the explainer.

libxml2 decides whether a document is valid; it is the authority. But its messages for
the ``<interleave>`` patterns libvirt's grammars are built from say little more than
"Element network failed to validate content". To name the rule a document broke, the
explainer needs to know, per element pattern, which attributes and child elements it
allows, which are required and which may repeat, and it needs to validate one element or
one attribute value in isolation. This module provides exactly that, read from the
grammar itself so the explanation can never disagree with the schema. It is built only
when a document has failed (see :class:`corral.core.xml.Schema`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Iterator
from typing import Final

from corral.core.xml._grammar import RNG, XSD, kind_of, patterns
from lxml import etree

__all__ = ["Content", "PatternMap"]

_TEXTUAL: Final = frozenset({"text", "data", "value", "list"})
_OPTIONAL: Final = frozenset({"optional", "zeroOrMore"})
_REPEATING: Final = frozenset({"zeroOrMore", "oneOrMore"})
_NAME_CLASSES: Final = frozenset({"name", "anyName", "nsName"})


@dataclasses.dataclass(frozen=True, slots=True)
class Content:
    """What one element pattern (or one variant of it) allows directly inside the element.

    Attributes:
        attributes: Attribute name -> the RNG ``<attribute>`` patterns that can match it.
        elements: Child element name (Clark notation) -> the RNG ``<element>`` patterns.
        required_attributes: Attributes every instance must have.
        required_elements: Child elements every instance must have.
        repeatable: Child elements that may occur more than once.
        text: Whether text (or a datatype value) is allowed.
    """

    attributes: dict[str, tuple[etree._Element, ...]]
    elements: dict[str, tuple[etree._Element, ...]]
    required_attributes: frozenset[str] = frozenset()
    required_elements: frozenset[str] = frozenset()
    repeatable: frozenset[str] = frozenset()
    text: bool = False


_EMPTY = Content({}, {})


class PatternMap:
    """The element patterns of one grammar, and validators for one pattern at a time.

    Args:
        grammar: The grammar with its includes inlined (:func:`._grammar.read_grammar`).
    """

    def __init__(self, grammar: etree._ElementTree) -> None:
        self._grammar = grammar
        self._defines: dict[str, list[etree._Element]] = {}
        self._start: list[etree._Element] = []
        self._load(grammar.getroot())
        self._validators: dict[tuple[str, ...], etree.RelaxNG] = {}

    def start_elements(self) -> tuple[etree._Element, ...]:
        """Return the element patterns a document's root may match."""
        return tuple(self._element_patterns(self._start))

    def variants(self, pattern: etree._Element) -> tuple[Content, ...]:
        """Return the content of an element pattern, one :class:`Content` per top choice.

        An element whose whole content is one ``<choice>`` (``<pool>``: one branch per
        pool type) gets one variant per branch, so "required" means required in that
        branch rather than in all of them.
        """
        body = self._content_nodes(pattern)
        if len(body) == 1 and kind_of(body[0]) == "choice":
            return tuple(self._summarise([branch]) for branch in patterns(body[0]))
        return (self._summarise(body),)

    def merged(self, pattern: etree._Element) -> Content:
        """Return the content of an element pattern with all its variants merged."""
        return _merge_all(self.variants(pattern), choice=True)

    def accepts(self, pattern: etree._Element, element: etree._Element) -> bool:
        """Return whether ``element`` (and everything inside it) matches ``pattern``."""
        key = _key(pattern)
        if key not in self._validators:
            self._validators[key] = self._compile(pattern, _ns_of(pattern))
        return bool(self._validators[key].validate(element))

    def accepts_value(self, attribute: etree._Element, value: str) -> bool:
        """Return whether the attribute pattern ``attribute`` accepts ``value``."""
        key = (*_key(attribute), "value")
        if key not in self._validators:
            # An element of its own with just this attribute: validating it checks the value.
            probe = etree.Element(f"{{{RNG}}}element", name="probe")
            probe.append(copy.deepcopy(attribute))
            self._validators[key] = self._compile(probe, "")
        name = str(attribute.get("name"))
        return bool(self._validators[key].validate(etree.Element("probe", {name: value})))

    def enumeration(self, attributes: Iterable[etree._Element]) -> tuple[str, ...] | None:
        """Return the values the attribute patterns enumerate, or None if any is free-form."""
        values: list[str] = []
        for attribute in attributes:
            found = self._values(list(patterns(attribute)), set())
            if found is None:
                return None
            values.extend(value for value in found if value not in values)
        return tuple(values)

    # -- loading ------------------------------------------------------------------------

    def _load(self, grammar: etree._Element) -> None:
        for node in patterns(grammar):
            kind = kind_of(node)
            if kind == "div":  # an include, inlined
                self._load(node)
            elif kind == "define":
                self._defines.setdefault(str(node.get("name")), []).append(node)
            elif kind == "start":
                self._start.extend(patterns(node))

    def _compile(self, pattern: etree._Element, ns: str) -> etree.RelaxNG:
        # The whole grammar (for its defines) with its start replaced by a copy of the one
        # pattern: what an <include> overriding <start> would do, without a file.
        grammar = copy.deepcopy(self._grammar.getroot())
        for old in list(grammar.iter(f"{{{RNG}}}start")):
            parent = old.getparent()
            if parent is not None:
                parent.remove(old)
        start = etree.SubElement(grammar, f"{{{RNG}}}start")
        body = copy.deepcopy(pattern)
        body.set("ns", ns)  # what the pattern inherited where it stood
        body.set("datatypeLibrary", _inherited(pattern, "datatypeLibrary") or XSD)
        start.append(body)
        return etree.RelaxNG(grammar)

    # -- walking ------------------------------------------------------------------------

    def _element_patterns(self, nodes: Iterable[etree._Element]) -> Iterator[etree._Element]:
        for node in nodes:
            kind = kind_of(node)
            if kind == "element":
                yield node
            elif kind == "ref":
                yield from self._element_patterns(self._referenced(node))
            elif kind in {"choice", "group"}:
                yield from self._element_patterns(patterns(node))

    def _content_nodes(self, pattern: etree._Element) -> list[etree._Element]:
        nodes = [node for node in patterns(pattern) if kind_of(node) not in _NAME_CLASSES]
        while len(nodes) == 1 and kind_of(nodes[0]) == "ref":
            nodes = self._referenced(nodes[0])
        return nodes

    def _referenced(self, ref: etree._Element) -> list[etree._Element]:
        defines = self._defines.get(str(ref.get("name")), [])
        return [node for define in defines for node in patterns(define)]

    def _summarise(
        self, nodes: Iterable[etree._Element], seen: frozenset[str] = frozenset()
    ) -> Content:
        return _merge_all([self._summary(node, seen) for node in nodes], choice=False)

    def _summary(self, node: etree._Element, seen: frozenset[str]) -> Content:
        kind = kind_of(node)
        if kind == "element":
            name = _clark(str(node.get("name")), _ns_of(node))
            return Content({}, {name: (node,)}, required_elements=frozenset({name}))
        if kind == "attribute":
            name = str(node.get("name"))
            return Content({name: (node,)}, {}, required_attributes=frozenset({name}))
        if kind in _TEXTUAL:
            return dataclasses.replace(_EMPTY, text=True)
        if kind == "ref":
            name = str(node.get("name"))
            if name in seen:  # a recursive grammar: its first round says it all
                return _EMPTY
            return self._summarise(self._referenced(node), seen | {name})
        inner = [self._summary(child, seen) for child in patterns(node)]
        merged = _merge_all(inner, choice=kind == "choice")
        if kind in _REPEATING:
            merged = dataclasses.replace(merged, repeatable=frozenset(merged.elements))
        if kind == "mixed":
            merged = dataclasses.replace(merged, text=True)
        if kind in _OPTIONAL:
            merged = dataclasses.replace(
                merged, required_attributes=frozenset(), required_elements=frozenset()
            )
        return merged

    def _values(self, nodes: list[etree._Element], seen: set[str]) -> list[str] | None:
        values: list[str] = []
        for node in nodes:
            kind = kind_of(node)
            if kind == "value":
                values.append(node.text or "")
            elif kind == "ref" and node.get("name") not in seen:
                seen.add(str(node.get("name")))
                found = self._values(self._referenced(node), seen)
                if found is None:
                    return None
                values.extend(found)
            elif kind == "choice":
                found = self._values(list(patterns(node)), seen)
                if found is None:
                    return None
                values.extend(found)
            else:
                return None
        return values or None


def _merge_all(parts: Iterable[Content], *, choice: bool) -> Content:
    parts = list(parts)
    if not parts:
        return _EMPTY
    attributes: dict[str, tuple[etree._Element, ...]] = {}
    elements: dict[str, tuple[etree._Element, ...]] = {}
    for part in parts:
        for name, found in part.attributes.items():
            attributes[name] = attributes.get(name, ()) + found
        for name, found in part.elements.items():
            elements[name] = elements.get(name, ()) + found
    required = [(p.required_attributes, p.required_elements) for p in parts]
    # In a choice, a name is required only if every branch requires it.
    pick = frozenset.intersection if choice else frozenset.union
    return Content(
        attributes,
        elements,
        required_attributes=pick(*(attrs for attrs, _ in required)),
        required_elements=pick(*(elems for _, elems in required)),
        repeatable=frozenset().union(*(p.repeatable for p in parts)),
        text=any(p.text for p in parts),
    )


def _key(node: etree._Element) -> tuple[str, str]:
    # Where the pattern sits in the grammar: stable, unlike id() of an lxml proxy object.
    return (str(node.base), node.getroottree().getpath(node))


def _inherited(node: etree._Element, attribute: str) -> str | None:
    for ancestor in (node, *node.iterancestors()):
        value = ancestor.get(attribute)
        if value is not None:
            return value
    return None


def _ns_of(node: etree._Element) -> str:
    return _inherited(node, "ns") or ""


def _clark(name: str, ns: str) -> str:
    return f"{{{ns}}}{name}" if ns else name
