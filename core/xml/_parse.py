"""The hardened XML parser: bytes or a file in, an lxml tree or an :class:`XMLError` out.

Definitions come from users and from files other programs wrote, so the parser trusts
nothing: no network access, no DTD loading, no entity expansion, no huge-tree mode, a
size cap checked before a single byte reaches libxml2 (10 MiB, virsh's own limit), and any
``<!DOCTYPE`` is refused outright -- a definition never needs one, and a DOCTYPE is the
only way to declare entities (billion laughs, external entities). Every failure becomes an
:class:`XMLError` naming the file, line, column and libxml2's own words.
"""

from __future__ import annotations

import os
import re
from typing import Any, Final

from corral.core._errors import CorralError, ErrorCode, ErrorDomain, XMLError
from lxml import etree

__all__ = ["MAX_XML_SIZE", "line_of", "parse_xml", "read_xml", "rule_error"]

#: The largest definition accepted, in bytes (virsh's VSH_MAX_XML_FILE is 10 MiB too).
MAX_XML_SIZE: Final = 10 * 1024 * 1024

# A DOCTYPE in any encoding libxml2 detects on its own (UTF-8 and its ASCII subset, or
# UTF-16 with or without BOM); checked on the raw bytes so libxml2 never parses one. The
# scan also refuses the text "<!DOCTYPE" inside a comment: harmless, and simpler to trust.
_DOCTYPE_MARKS: Final = tuple(
    ("<!DOCTYPE".encode(codec), "\n".encode(codec)) for codec in ("ascii", "utf-16-le", "utf-16-be")
)


# lxml appends ", line N, column M" to libxml2's words; corral reports those separately.
_POSITION_SUFFIX: Final = re.compile(r", line \d+, column \d+$")


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
        The error, its message ``FILE:LINE: rule.``.
    """
    message = f"{_location(file, line)}{rule}."
    return XMLError(message, code=code, file=file, line=line, rule=rule, **detail)


def _location(file: str | None, line: int | None) -> str:
    """Return the ``FILE:LINE: `` prefix of a message (parts that are unknown are left out)."""
    where = file if file is not None else "<string>"
    return f"{where}:{line}: " if line else f"{where}: "


def line_of(element: etree._Element | None) -> int | None:
    """Return the line ``element`` starts on, or None if unknown."""
    line = element.sourceline if element is not None else None
    return line if isinstance(line, int) else None


def read_xml(path: str | os.PathLike[str]) -> etree._ElementTree:
    """Read and parse the XML file ``path`` with the hardened parser.

    Args:
        path: The file to read. Reading stops after :data:`MAX_XML_SIZE` + 1 bytes, so
            ``/dev/zero`` or a growing file cannot exhaust memory.

    Returns:
        The parsed document.

    Raises:
        CorralError: The file cannot be opened or read (code OPEN_FAILED / READ_FAILED).
        XMLError: The file is too large, has a DOCTYPE, or is not well-formed XML.
    """
    name = os.fspath(path)
    try:
        stream = open(name, "rb")  # closed by the with below; read errors are told apart
    except OSError as exc:
        raise _file_error(name, "open", ErrorCode.OPEN_FAILED, exc) from exc
    with stream:
        try:
            data = stream.read(MAX_XML_SIZE + 1)
        except OSError as exc:
            raise _file_error(name, "read", ErrorCode.READ_FAILED, exc) from exc
    return parse_xml(data, file=name)


def _file_error(name: str, verb: str, code: ErrorCode, exc: OSError) -> CorralError:
    reason = exc.strerror or str(exc)
    return CorralError(
        f"{name}: cannot {verb} the file: {reason}.", domain=ErrorDomain.XML, code=code, file=name
    )


def parse_xml(data: str | bytes, *, file: str | None = None) -> etree._ElementTree:
    """Parse ``data`` with the hardened parser.

    Args:
        data: The document. A ``str`` is parsed as UTF-8 whatever its XML declaration
            says (the text is already decoded); ``bytes`` follow their declaration.
        file: The file the data came from, for error messages.

    Returns:
        The parsed document; elements carry ``sourceline`` for later error messages.

    Raises:
        XMLError: The data is too large, has a DOCTYPE, or is not well-formed XML.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    _check_size(raw, file)
    _refuse_doctype(raw, file)
    parser = _new_parser(encoding="utf-8" if isinstance(data, str) else None)
    try:
        if file is None:
            root = etree.fromstring(raw, parser)
        else:
            root = etree.fromstring(raw, parser, base_url=file)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, file) from exc
    tree = root.getroottree()
    docinfo: Any = tree.docinfo  # lxml-stubs lacks DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None:
        # Only reachable for encodings the byte scan does not know (UTF-32, EBCDIC...).
        raise _doctype_error(file, 1)
    return tree


def _new_parser(encoding: str | None) -> etree.XMLParser:
    # A fresh parser per document: lxml parsers are not thread-safe and keep an error
    # log that would otherwise mix one document's errors into the next one's.
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def _check_size(raw: bytes, file: str | None) -> None:
    if len(raw) > MAX_XML_SIZE:
        rule = f"the document is larger than the limit of {MAX_XML_SIZE} bytes"
        raise rule_error(file, None, rule)


def _refuse_doctype(raw: bytes, file: str | None) -> None:
    for mark, newline in _DOCTYPE_MARKS:
        offset = raw.find(mark)
        if offset >= 0:
            raise _doctype_error(file, raw.count(newline, 0, offset) + 1)


def _doctype_error(file: str | None, line: int) -> XMLError:
    rule = "DOCTYPE declarations are not allowed (they can declare entities)"
    return rule_error(file, line, rule, column=None)


def _syntax_error(exc: etree.XMLSyntaxError, file: str | None) -> XMLError:
    # The exception's own message and position, not exc.error_log: lxml shares that log
    # between parsers of a thread, so it also holds earlier documents' errors.
    line, column = exc.position
    words = _POSITION_SUFFIX.sub("", exc.msg or "").strip().rstrip(".")
    # libxml2's own limits (node sizes, nesting depth) are not syntax errors; say so.
    problem = "is not well-formed XML"
    if words.startswith("Resource limit"):
        problem = "exceeds a parser limit"
    rule = f"the document {problem}: {words}"
    message = f"{_location(file, line)}{rule} (column {column})."
    return XMLError(message, file=file, line=line, column=column, rule=rule)
