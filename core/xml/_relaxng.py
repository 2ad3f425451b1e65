"""RelaxNG validation with corral's schemas, and an :class:`XMLError` that names the rule.

The root element picks the schema (``<network>`` or ``<pool>``). libxml2 decides validity;
when it says no, :mod:`._explain` names the first broken rule in words -- "attribute 'mode'
of element 'forward' has the invalid value 'bogus'", "element 'foo' is not allowed inside
element 'network'" -- with its line. Should it find nothing, libxml2's own first message
is used.
"""

from __future__ import annotations

from typing import Final, Literal

from corral.core._errors import ErrorCode
from corral.core.xml._explain import Explainer, Finding, display
from corral.core.xml._parse import line_of, rule_error
from corral.core.xml._schema import Schema, load_schema
from lxml import etree

__all__ = ["Kind", "schema_kind", "validate"]

Kind = Literal["network", "pool"]

# The root element of each definition, and the schema file that describes it.
_SCHEMA_FILES: Final[dict[Kind, str]] = {"network": "network", "pool": "storagepool"}


def schema_kind(root: etree._Element, file: str | None) -> Kind:
    """Return which definition the root element starts (``"network"`` or ``"pool"``).

    Raises:
        XMLError: The root is neither ``<network>`` nor ``<pool>`` (namespaced ones included).
    """
    for kind in _SCHEMA_FILES:
        if root.tag == kind:
            return kind
    rule = f"the root element '{display(root)}' is neither <network> nor <pool>"
    raise rule_error(file, line_of(root), rule)


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
    schema = load_schema(_SCHEMA_FILES[kind])
    if schema.relaxng.validate(tree):
        return kind
    finding = Explainer(schema, _suspects(schema, root)).explain(root) or _fallback(schema, root)
    line = line_of(finding.element)
    raise rule_error(file, line, finding.rule, code=ErrorCode.XML_INVALID_SCHEMA, column=None)


def _fallback(schema: Schema, root: etree._Element) -> Finding:
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
            return Finding(element, f"element '{display(element)}' {what} ({words})")
    return Finding(root, f"element '{display(root)}' does not match the schema")


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


def _suspects(schema: Schema, root: etree._Element) -> set[etree._Element]:
    """Return the elements libxml2's error log points at, with all their ancestors."""
    found: set[etree._Element] = set()
    for entry in schema.relaxng.error_log:
        element = _element_at(root, entry.path)
        if element is not None:
            found.update((element, *element.iterancestors()))
    return found
