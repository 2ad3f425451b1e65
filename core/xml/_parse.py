"""The hardened XML parser: bytes or a file in, an lxml tree or an :class:`XMLError` out.

Definitions come from users and from files other programs wrote, so the parser trusts
nothing: no network access, no DTD loading, no entity expansion, no huge-tree mode, a
size cap checked before a single byte reaches libxml2 (10 MiB, virsh's own limit), and any
``<!DOCTYPE`` is refused outright -- a definition never needs one, and a DOCTYPE is the
only way to declare entities (billion laughs, external entities). Every failure becomes an
:class:`XMLError` naming the file, line, column and libxml2's own words. Files are read
by :mod:`._read`.
"""

from __future__ import annotations

import re
from typing import Any, Final

from corral.core._errors import XMLError
from corral.core.xml._report import location, rule_error
from lxml import etree

__all__ = ["MAX_XML_SIZE", "check_file_name", "parse_xml"]

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


def parse_xml(data: str | bytes, *, file: str | None = None) -> etree._ElementTree:
    """Parse ``data`` with the hardened parser.

    Args:
        data: The document. A ``str`` is parsed as UTF-8 whatever its XML declaration
            says (the text is already decoded); ``bytes`` follow their declaration.
        file: The file the data came from, for error messages.

    Returns:
        The parsed document; elements carry ``sourceline`` for later error messages.

    Raises:
        XMLError: The data is too large, has a DOCTYPE or is not well-formed XML, the
            ``str`` is not valid Unicode (a lone surrogate), or ``file`` is not UTF-8.
    """
    if file is not None:
        check_file_name(file)
    raw = _encode(data, file) if isinstance(data, str) else data
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


def check_file_name(name: str) -> None:
    """Refuse a file name that is not UTF-8 (lxml cannot take it, nor JSON carry it).

    Raises:
        XMLError: The name holds a byte that is not UTF-8 (a lone surrogate).
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise rule_error(name, None, "the file name is not valid UTF-8") from exc


def _encode(text: str, file: str | None) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        rule = f"the text is not valid Unicode: a lone surrogate at character {exc.start}"
        raise rule_error(file, None, rule) from exc


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
    message = f"{location(file, line)}{rule} (column {column})."
    return XMLError(message, file=file, line=line, column=column, rule=rule)
