"""Reading typed values off validated elements, and reporting a rule broken at a line.

The schema has already vouched for every value's form (a number is digits, a yes/no is
``yes`` or ``no``), so these readers convert without re-checking. What the schema cannot
say, a definition's builder checks as it builds, reporting through :class:`Source`. The
two-word flags (:data:`YES_NO`, :data:`ON_OFF`) are read *and* written here, so the
words a builder reads are the words a formatter writes.
"""

from __future__ import annotations

import dataclasses
from typing import Final, NoReturn

from corral.core._errors import ErrorCode
from corral.core.xml._report import line_of, rule_error
from lxml import etree

__all__ = ["ON_OFF", "YES_NO", "Flag", "Source", "child", "children", "integer", "text"]


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


@dataclasses.dataclass(frozen=True, slots=True)
class Flag:
    """A boolean attribute and the two words libvirt writes it with.

    Args:
        true: The word for True (``yes``, ``on``).
        false: The word for False (``no``, ``off``).
    """

    true: str
    false: str

    def read(self, element: etree._Element | None, name: str) -> bool | None:
        """Return the attribute ``name`` of ``element`` as a bool, or None if absent."""
        value = None if element is None else element.get(name)
        return None if value is None else value == self.true

    def word(self, value: bool | None) -> str | None:
        """Return the word for ``value``, or None for None (the attribute is left out)."""
        return None if value is None else (self.true if value else self.false)


#: ``yes``/``no`` attributes (libvirt's virTristateBool).
YES_NO: Final = Flag("yes", "no")

#: ``on``/``off`` attributes (libvirt's virTristateSwitch).
ON_OFF: Final = Flag("on", "off")
