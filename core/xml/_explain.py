"""Naming the rule an invalid document breaks, in words, with the element it is at.

libxml2 has already said the document is invalid; for libvirt's ``<interleave>``-heavy
grammars its own messages rarely say why. The explainer walks the document from
the root down, checking each element against the pattern map of :mod:`._schema`:
attributes (unknown, invalid value, missing), child elements (unknown, repeated, missing,
or invalid themselves -- then it descends), text. Whether an element is valid is always
asked of libxml2 (the element validated alone against its own pattern), so the
explanation cannot contradict the verdict. Should it find nothing, libxml2's own first
message is used (:func:`explain` always returns a finding).

Validating every child alone would cost one libxml2 call per element, far too slow for a
network with thousands of DHCP hosts. libxml2's error log names the elements on the path
to the first failure ("suspects"); they are examined first, and the other children only
if the suspects explain nothing. Every step is linear in the size of the document (an
element's attributes are read in one pass: lxml's ``attrib.items()`` is quadratic).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from corral.core.xml._schema import Content, PatternMap
from lxml import etree

__all__ = ["Finding", "element_name", "explain"]


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """A broken rule: the element it is at, and the rule in words (no final stop)."""

    element: etree._Element
    rule: str
    on_attribute: bool = False


def explain(schema: PatternMap, relaxng: etree.RelaxNG, root: etree._Element) -> Finding:
    """Return the first broken rule of a document ``relaxng`` has just rejected.

    Args:
        schema: The pattern map of the grammar ``relaxng`` was compiled from.
        relaxng: The validator, its error log still holding the rejection.
        root: The document's root element.
    """
    suspects = _suspects(relaxng, root)
    return _Explainer(schema, suspects).explain(root) or _fallback(relaxng, root)


class _Explainer:
    """Finds the first broken rule in a document libxml2 rejected.

    Args:
        schema: The pattern map of the grammar the document was validated against.
        suspects: Elements libxml2's error log names (with their ancestors).
    """

    def __init__(self, schema: PatternMap, suspects: Iterable[etree._Element]) -> None:
        self._schema = schema
        self._suspects = set(suspects)

    def explain(self, root: etree._Element) -> Finding | None:
        """Return the first broken rule under (and at) ``root``, or None if none is found."""
        return self._diagnose(root, self._schema.start_elements())

    def _diagnose(
        self, element: etree._Element, patterns: tuple[etree._Element, ...]
    ) -> Finding | None:
        # A suspect with children is known to be where the failure is: validating it
        # alone again (all of its descendants) would only cost time.
        known_bad = element in self._suspects and len(element) > 0
        if not known_bad and any(self._schema.accepts(p, element) for p in patterns):
            return None
        findings: list[Finding | None] = []
        for pattern in patterns:
            finding = self._check_attribute_values(element, self._schema.merged(pattern))
            if finding is not None:
                findings.append(finding)
                continue
            findings.extend(self._check_variant(element, v) for v in self._schema.variants(pattern))
        if None in findings:  # some reading of the schema accepts the element as it is
            return None
        found = [finding for finding in findings if finding is not None]
        # Prefer the reading that got furthest: a problem found deep inside an element means
        # the levels above matched, so that pattern (or pool-type variant) is the one meant.
        return max(found, key=lambda f: (not f.on_attribute, _depth(f.element)), default=None)

    def _check_attribute_values(self, element: etree._Element, merged: Content) -> Finding | None:
        for name, value in _attributes(element):
            attributes = merged.attributes.get(name)
            if not attributes:
                rule = f"element '{element_name(element)}' does not allow the attribute '{name}'"
                return Finding(element, rule, on_attribute=True)
            if not any(self._schema.accepts_value(attribute, value) for attribute in attributes):
                allowed = self._schema.enumeration(attributes)
                hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
                rule = (
                    f"attribute '{name}' of element '{element_name(element)}' "
                    f"has the invalid value '{value}'{hint}"
                )
                return Finding(element, rule, on_attribute=True)
        return None

    def _check_variant(self, element: etree._Element, content: Content) -> Finding | None:
        tag = element_name(element)
        for name, value in _attributes(element):
            attributes = content.attributes.get(name, ())
            if not any(self._schema.accepts_value(attribute, value) for attribute in attributes):
                return Finding(element, f"attribute '{name}' does not fit element '{tag}'", True)
        missing = sorted(content.required_attributes - {name for name, _ in _attributes(element)})
        if missing:
            rule = f"element '{tag}' is missing the required attribute '{missing[0]}'"
            return Finding(element, rule, on_attribute=True)
        return (
            self._check_children(element, content)
            or _check_missing(element, content)
            or _check_text(element, content)
        )

    def _check_children(self, element: etree._Element, content: Content) -> Finding | None:
        children = [child for child in element if isinstance(child.tag, str)]
        # Descend into libxml2's suspects right away, the other children only afterwards
        # (and only if the suspects explained nothing); everything in document order.
        now = not any(child in self._suspects for child in children)
        later: list[etree._Element] = []
        counts: Counter[str] = Counter()
        for child in children:
            finding = _check_placement(element, child, content, counts)
            if finding is None and (now or child in self._suspects):
                finding = self._diagnose(child, content.elements[str(child.tag)])
            elif finding is None:
                later.append(child)
            if finding is not None:
                return finding
        for child in later:
            finding = self._diagnose(child, content.elements[str(child.tag)])
            if finding is not None:
                return finding
        return None


def _check_placement(
    parent: etree._Element, child: etree._Element, content: Content, counts: Counter[str]
) -> Finding | None:
    """Check that ``child`` may appear in ``parent`` (once more); counts what was seen."""
    tag = str(child.tag)
    inner, outer = element_name(child), element_name(parent)
    if tag not in content.elements:
        return Finding(child, f"element '{inner}' is not allowed inside element '{outer}'")
    counts[tag] += 1
    if counts[tag] > 1 and tag not in content.repeatable:
        return Finding(child, f"element '{outer}' may contain only one element '{inner}'")
    return None


def _check_missing(element: etree._Element, content: Content) -> Finding | None:
    present = {str(child.tag) for child in element if isinstance(child.tag, str)}
    missing = sorted(content.required_elements - present)
    if missing:
        rule = f"element '{element_name(element)}' is missing the required element '{missing[0]}'"
        return Finding(element, rule)
    return None


def _check_text(element: etree._Element, content: Content) -> Finding | None:
    text = "".join([element.text or "", *(child.tail or "" for child in element)])
    if text.strip() and not content.text:
        return Finding(element, f"element '{element_name(element)}' does not allow text content")
    if content.text and not content.elements:
        # Only reached when libxml2 rejected this very element: its value is the problem.
        return Finding(element, f"element '{element_name(element)}' has the invalid value '{text}'")
    return None


def _depth(element: etree._Element) -> int:
    return sum(1 for _ in element.iterancestors())


def _attributes(element: etree._Element) -> list[tuple[str, str]]:
    # One XPath pass: lxml's attrib.items() (and values()) look each value up again by
    # name, which made 64k attributes on one element cost 17 s here.
    found = element.xpath("@*")
    assert isinstance(found, list)
    return [(str(getattr(value, "attrname", "")), str(value)) for value in found]


def element_name(element: etree._Element) -> str:
    """Return the element's name as written in the document: ``dnsmasq:options``, ``network``."""
    tag: object = element.tag  # a function for comments, whatever lxml-stubs say
    if not isinstance(tag, str):
        return str(tag)
    if element.prefix:
        return f"{element.prefix}:{etree.QName(element).localname}"
    return tag


def _fallback(relaxng: etree.RelaxNG, root: etree._Element) -> Finding:
    # Reached only if libxml2 rejects what every per-element check accepted (an
    # attribute combination, e.g. a DHCP host with both mac and id): use its own words.
    for entry in relaxng.error_log:
        element = _element_at(root, entry.path)
        if element is not None:
            words = entry.message.rstrip(".")
            if entry.type_name == "RELAXNG_ERR_INVALIDATTR":
                what = "has attributes that the schema does not allow together"
            else:
                what = "does not match the schema"
            return Finding(element, f"element '{element_name(element)}' {what} ({words})")
    return Finding(root, f"element '{element_name(root)}' does not match the schema")


def _element_at(root: etree._Element, path: str | None) -> etree._Element | None:
    if not path:
        return None
    try:
        found = root.getroottree().xpath(path)
    except etree.XPathError:  # a prefixed step libxml2 wrote without its namespace map
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _suspects(relaxng: etree.RelaxNG, root: etree._Element) -> set[etree._Element]:
    """Return the elements libxml2's error log points at, with all their ancestors."""
    found: set[etree._Element] = set()
    for entry in relaxng.error_log:
        element = _element_at(root, entry.path)
        if element is not None:
            found.update((element, *element.iterancestors()))
    return found
