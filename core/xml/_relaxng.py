"""RelaxNG validation with corral's schemas, and an :class:`XMLError` that names the rule.

The root element picks the schema (``<network>`` or ``<pool>``). libxml2 decides validity;
when it says no, the explainer walks the document from the root down, checking each
element against the pattern map of :mod:`._schema`, and reports the first broken rule in
words -- "attribute 'mode' of element 'forward' has the invalid value 'bogus'", "element
'foo' is not allowed inside element 'network'" -- with its line. Children are checked by
validating each one alone against its own pattern, so a verdict always comes from libxml2.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Final, Literal

from corral.core._errors import ErrorCode, XMLError
from corral.core.xml._parse import line_of, location
from corral.core.xml._schema import Content, Schema, load_schema
from lxml import etree

__all__ = ["Kind", "schema_kind", "validate"]

Kind = Literal["network", "pool"]

_SCHEMAS: Final[dict[str, tuple[Kind, str]]] = {
    "network": ("network", "network"),
    "pool": ("pool", "storagepool"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Finding:
    element: etree._Element
    rule: str
    on_attribute: bool = False


def schema_kind(root: etree._Element, file: str | None) -> Kind:
    """Return which definition the root element starts (``"network"`` or ``"pool"``).

    Raises:
        XMLError: The root is neither ``<network>`` nor ``<pool>`` (namespaced ones included).
    """
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag not in _SCHEMAS:
        rule = f"the root element '{_display(root)}' is neither <network> nor <pool>"
        line = line_of(root)
        raise XMLError(f"{location(file, line)}{rule}.", file=file, line=line, rule=rule)
    return _SCHEMAS[tag][0]


def validate(tree: etree._ElementTree, *, file: str | None = None) -> Kind:
    """Validate a parsed definition against corral's schema for its root element.

    Args:
        tree: A document from :func:`corral.core.xml._parse.parse_xml`.
        file: The file it came from, for the message.

    Returns:
        ``"network"`` or ``"pool"``.

    Raises:
        XMLError: code XML_INVALID_SCHEMA, with ``line`` and ``rule`` of the first broken
            rule, or code XML_ERROR for a root element corral has no schema for.
    """
    root = tree.getroot()
    kind = schema_kind(root, file)
    schema = load_schema(_SCHEMAS[str(root.tag)][1])
    if schema.relaxng.validate(tree):
        return kind
    finding = _diagnose(schema, root, schema.start_elements()) or _fallback(schema, root)
    line = line_of(finding.element)
    raise XMLError(
        f"{location(file, line)}{finding.rule}.",
        code=ErrorCode.XML_INVALID_SCHEMA,
        file=file,
        line=line,
        column=None,
        rule=finding.rule,
    )


def _diagnose(
    schema: Schema, element: etree._Element, patterns: tuple[etree._Element, ...]
) -> _Finding | None:
    """Return the first rule ``element`` breaks, or None if one of ``patterns`` accepts it."""
    if any(schema.accepts(pattern, element) for pattern in patterns):
        return None
    findings: list[_Finding | None] = []
    for pattern in patterns:
        merged = schema.merged(pattern)
        finding = _check_attribute_values(schema, element, merged)
        if finding is None:
            findings.extend(_check_variant(schema, element, v) for v in schema.variants(pattern))
        else:
            findings.append(finding)
    found = [finding for finding in findings if finding is not None]
    # Prefer the reading that got furthest: a problem found deep inside an element means
    # the levels above matched, so that pattern (or pool-type variant) is the one meant.
    return max(found, key=lambda f: (not f.on_attribute, _depth(f.element)), default=None)


def _check_attribute_values(
    schema: Schema, element: etree._Element, merged: Content
) -> _Finding | None:
    for name, value in _attributes(element):
        attributes = merged.attributes.get(name)
        if not attributes:
            rule = f"element '{_display(element)}' does not allow the attribute '{name}'"
            return _Finding(element, rule, on_attribute=True)
        if not any(schema.accepts_value(attribute, value) for attribute in attributes):
            allowed = schema.enumeration(attributes)
            hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
            rule = (
                f"attribute '{name}' of element '{_display(element)}' "
                f"has the invalid value '{value}'{hint}"
            )
            return _Finding(element, rule, on_attribute=True)
    return None


def _check_variant(schema: Schema, element: etree._Element, content: Content) -> _Finding | None:
    tag = _display(element)
    for name, value in _attributes(element):
        attributes = content.attributes.get(name, ())
        if not any(schema.accepts_value(attribute, value) for attribute in attributes):
            return _Finding(element, f"attribute '{name}' does not fit element '{tag}'", True)
    missing = sorted(content.required_attributes - {name for name, _ in _attributes(element)})
    if missing:
        rule = f"element '{tag}' is missing the required attribute '{missing[0]}'"
        return _Finding(element, rule, on_attribute=True)
    return _check_children(schema, element, content) or _check_text(element, content)


def _check_children(schema: Schema, element: etree._Element, content: Content) -> _Finding | None:
    counts: Counter[str] = Counter()
    for child in _child_elements(element):
        tag = str(child.tag)
        patterns = content.elements.get(tag)
        if not patterns:
            rule = (
                f"element '{_display(child)}' is not allowed inside element '{_display(element)}'"
            )
            return _Finding(child, rule)
        counts[tag] += 1
        if counts[tag] > 1 and tag not in content.repeatable:
            rule = f"element '{_display(element)}' may contain only one element '{_display(child)}'"
            return _Finding(child, rule)
        finding = _diagnose(schema, child, patterns)
        if finding is not None:
            return finding
    missing = sorted(content.required_elements - set(counts))
    if missing:
        rule = f"element '{_display(element)}' is missing the required element '{missing[0]}'"
        return _Finding(element, rule)
    return None


def _check_text(element: etree._Element, content: Content) -> _Finding | None:
    text = "".join(_own_text(element))
    if text.strip() and not content.text:
        return _Finding(element, f"element '{_display(element)}' does not allow text content")
    if content.text and not content.elements:
        return _Finding(element, f"element '{_display(element)}' has the invalid value '{text}'")
    return None


def _fallback(schema: Schema, root: etree._Element) -> _Finding:
    # Reached only if libxml2 rejects what every per-element check accepted (an
    # attribute combination, e.g. a DHCP host with both mac and id): use its own words.
    for entry in schema.relaxng.error_log:
        element = _element_at(root, entry.path)
        if element is not None:
            words = entry.message.rstrip(".")
            if entry.type_name == "RELAXNG_ERR_INVALIDATTR":
                what = "has attributes that the schema does not allow together"
            else:
                what = "does not match the schema"
            return _Finding(element, f"element '{_display(element)}' {what} ({words})")
    return _Finding(root, f"element '{_display(root)}' does not match the schema")


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


def _child_elements(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _own_text(element: etree._Element) -> list[str]:
    return [element.text or "", *(child.tail or "" for child in element)]


def _depth(element: etree._Element) -> int:
    return sum(1 for _ in element.iterancestors())


def _attributes(element: etree._Element) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in element.attrib.items()]


def _display(element: etree._Element) -> str:
    """Return the element's name as written: ``dnsmasq:options``, ``network``."""
    tag: object = element.tag  # a function for comments, whatever lxml-stubs say
    if not isinstance(tag, str):
        return str(tag)
    if element.prefix:
        return f"{element.prefix}:{etree.QName(element).localname}"
    return tag
