"""Reading typed values off validated elements, and reporting a rule broken at a line.

The schema has already vouched for every value's form (a number is digits, a yes/no is
``yes`` or ``no``), so these readers convert without re-checking; what the schema cannot
say is checked by the ``_*_check`` modules, which report through :class:`Source`.
"""

from __future__ import annotations

import dataclasses
from typing import NoReturn

from corral.core._errors import ErrorCode
from corral.core.xml._parse import line_of, rule_error
from lxml import etree

__all__ = ["Source", "child", "children", "integer", "on_off", "text", "yes_no"]


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """Where a definition came from, to name it in errors.

    Args:
        file: The file, or None for XML given as a string.
    """

    file: str | None

    def fail(
        self,
        element: etree._Element | None,
        rule: str,
        *,
        code: ErrorCode = ErrorCode.XML_ERROR,
    ) -> NoReturn:
        """Raise the :class:`XMLError` for ``rule``, broken at ``element``'s line.

        Args:
            element: The element the rule is about (its line goes in the message).
            rule: The broken rule in words, without a final full stop.
            code: XML_ERROR for a definition that makes no sense, CONFIG_UNSUPPORTED for
                one that is meaningful but that corral (like libvirt) does not support.
        """
        raise rule_error(self.file, line_of(element), rule, code=code, column=None)


def child(element: etree._Element | None, tag: str) -> etree._Element | None:
    """Return the first child element ``tag`` (Clark notation for a namespace), or None."""
    return None if element is None else element.find(tag)


def children(element: etree._Element | None, tag: str) -> list[etree._Element]:
    """Return the child elements ``tag`` of ``element`` in document order ([] for None)."""
    return [] if element is None else element.findall(tag)


def text(element: etree._Element | None) -> str | None:
    """Return the text of ``element`` exactly as written ("" if empty), or None if absent."""
    if element is None:
        return None
    return element.text or ""


def integer(element: etree._Element | None, name: str) -> int | None:
    """Return the integer attribute ``name`` of ``element``, or None if absent."""
    value = None if element is None else element.get(name)
    return int(value) if value is not None else None


def yes_no(element: etree._Element | None, name: str) -> bool | None:
    """Return a ``yes``/``no`` attribute as a bool, or None if absent."""
    return _flag(element, name, "yes")


def on_off(element: etree._Element | None, name: str) -> bool | None:
    """Return an ``on``/``off`` attribute as a bool, or None if absent."""
    return _flag(element, name, "on")


def _flag(element: etree._Element | None, name: str, true: str) -> bool | None:
    value = None if element is None else element.get(name)
    return None if value is None else value == true
