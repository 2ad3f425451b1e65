"""How an XML problem is reported: ``FILE:LINE: rule.``, with the file name made safe.

Every error of the toolkit and of the definition loaders built on it comes from
:func:`rule_error`, so every message has the same shape and the same ``file``, ``line`` and
``rule`` detail. File names come from users: :func:`printable` escapes what could break the
message's single line (a newline would let a name forge a second ``error:`` line).
"""

from __future__ import annotations

from typing import Any

from corral.core._errors import ErrorCode, XMLError
from lxml import etree

__all__ = ["line_of", "location", "printable", "rule_error"]


def rule_error(
    file: str | None,
    line: int | None,
    rule: str,
    *,
    code: ErrorCode = ErrorCode.XML_ERROR,
    **detail: Any,
) -> XMLError:
    """Return the :class:`XMLError` for ``rule`` broken at ``line`` of ``file``.

    Args:
        file: The file, or None for XML given as a string.
        line: The line, or None if unknown.
        rule: The broken rule in words, without a final full stop.
        code: The error code (XML_ERROR unless the caller knows better).
        **detail: Further detail for the error (``column``).

    Returns:
        The error, its message ``FILE:LINE: rule.`` (the file name through :func:`printable`).
    """
    message = f"{location(file, line)}{rule}."
    return XMLError(message, code=code, file=file, line=line, rule=rule, **detail)


def location(file: str | None, line: int | None) -> str:
    """Return the ``FILE:LINE: `` prefix of a message (parts that are unknown are left out)."""
    where = printable(file) if file is not None else "<string>"
    return f"{where}:{line}: " if line else f"{where}: "


def line_of(element: etree._Element | None) -> int | None:
    """Return the line ``element`` starts on, or None if unknown."""
    line = element.sourceline if element is not None else None
    return line if isinstance(line, int) else None


def printable(name: str) -> str:
    r"""Return a file name fit for one line of output: unprintable characters escaped.

    A newline, a tab, an escape character or any other unprintable one is written as a
    Python escape (``\n``, ``\t``, ``\x1b``), and a byte that was not UTF-8 (which Python
    keeps as a lone surrogate, see :func:`os.fsdecode`) as ``\xNN``, so a name can neither
    break a line of output nor hide what it is. A printable name is returned unchanged.
    """
    if name.isprintable():
        return name
    return "".join(_printable_char(char) for char in name)


def _printable_char(char: str) -> str:
    if char.isprintable():
        return char
    if 0xDC80 <= ord(char) <= 0xDCFF:  # surrogateescape's stand-in for a raw byte
        return f"\\x{ord(char) - 0xDC00:02x}"
    return char.encode("unicode_escape").decode("ascii")
