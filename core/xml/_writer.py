"""Writing XML the way libvirt does: two-space indent, single quotes, empty elements closed.

libvirt formats definitions with a text buffer, not a DOM serialiser, and its output is
what users know from ``virsh net-dumpxml``: ``<bridge name='virbr0' stp='on'/>``. This
writer reproduces that style (and libvirt's escaping of ``<>&'"``), so that a pool written
by corral is byte-identical to libvirt's ``storagepoolxml2xmlout`` expectations. Boolean
attributes are written with :meth:`corral.core.xml.Flag.word`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Final

__all__ = ["Attributes", "XMLWriter"]

Attributes = Iterable[tuple[str, str | int | None]]

_TEXT_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;"}
# In attribute values, literal line breaks and tabs would be normalised to spaces by the
# next parser; character references keep them, so a value survives a round trip.
_ATTRIBUTE_ESCAPES: Final = {**_TEXT_ESCAPES, "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


class XMLWriter:
    """Collects lines of indented XML; attributes whose value is None are left out."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._depth = 0

    def empty(self, tag: str, attributes: Attributes = ()) -> None:
        """Write ``<tag a='v'/>``."""
        self._line(f"<{tag}{_attributes(attributes)}/>")

    def text(self, tag: str, value: str | int, attributes: Attributes = ()) -> None:
        """Write ``<tag a='v'>value</tag>`` on one line."""
        self._line(f"<{tag}{_attributes(attributes)}>{_escape(str(value), _TEXT_ESCAPES)}</{tag}>")

    @contextlib.contextmanager
    def element(self, tag: str, attributes: Attributes = ()) -> Iterator[None]:
        """Write ``<tag>``, what the body writes one level deeper, then ``</tag>``.

        An element whose body wrote nothing comes out as ``<tag/>``.
        """
        opening = f"<{tag}{_attributes(attributes)}"
        self._line(f"{opening}>")
        start = len(self._lines)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if len(self._lines) == start:
            self._lines[-1] = f"{'  ' * self._depth}{opening}/>"
        else:
            self._line(f"</{tag}>")

    def result(self) -> str:
        """Return the document, one line per element, ending in a newline."""
        return "".join(f"{line}\n" for line in self._lines)

    def _line(self, content: str) -> None:
        self._lines.append(f"{'  ' * self._depth}{content}")


def _attributes(attributes: Attributes) -> str:
    return "".join(
        f" {name}='{_escape(str(value), _ATTRIBUTE_ESCAPES)}'"
        for name, value in attributes
        if value is not None
    )


def _escape(value: str, table: dict[str, str]) -> str:
    return "".join(table.get(char, char) for char in value)
