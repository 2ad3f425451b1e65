"""What a document may hold before libxml2 validates it: bounded work for any input.

The 10 MiB cap bounds parsing, but not validation: libxml2's RelaxNG engine grows faster
than the document for long runs of siblings (64k DHCP hosts took 10 s), and any walk that
looks at attributes one by one is at the mercy of an element with 64k of them. These
limits are counted by libxml2's XPath engine in C -- a few milliseconds for the largest
document the cap lets through -- before any validation starts, and are far above what a
real definition holds (libvirt's largest networks have a few thousand DHCP hosts).
"""

from __future__ import annotations

from typing import Final

from corral.core.xml._explain import element_name
from corral.core.xml._report import line_of, rule_error
from lxml import etree

__all__ = ["MAX_ATTRIBUTES", "MAX_ELEMENTS", "check_limits"]

#: The most elements a document validated against a :class:`Schema` may have.
MAX_ELEMENTS: Final = 20_000

#: The most attributes one element of such a document may carry.
MAX_ATTRIBUTES: Final = 256


def check_limits(
    tree: etree._ElementTree,
    *,
    file: str | None,
    max_elements: int = MAX_ELEMENTS,
    max_attributes: int = MAX_ATTRIBUTES,
) -> None:
    """Refuse a document with more elements, or an element with more attributes, than allowed.

    Raises:
        XMLError: code XML_ERROR, naming the file, the first element over the limit (its
            line) and the limit.
    """
    elements = int(_xpath(tree, "count(//*)"))
    if elements > max_elements:
        beyond = _first(tree, f"(//*)[{max_elements + 1}]")
        rule = f"the document has {elements} elements, more than the limit of {max_elements}"
        raise rule_error(file, line_of(beyond), rule)
    crowded = _first(tree, f"//*[count(@*) > {max_attributes}][1]")
    if crowded is not None:
        count = int(_xpath(crowded, "count(@*)"))
        rule = (
            f"element '{element_name(crowded)}' has {count} attributes, "
            f"more than the limit of {max_attributes}"
        )
        raise rule_error(file, line_of(crowded), rule)


def _xpath(node: etree._ElementTree | etree._Element, expression: str) -> float:
    value = node.xpath(expression)
    assert isinstance(value, float)
    return value


def _first(tree: etree._ElementTree, expression: str) -> etree._Element | None:
    found = tree.xpath(expression)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None
