"""Reading a definition file: only a regular file, only a UTF-8 name, only up to the cap.

A path comes from a user (``corral validate FILE``) or from a directory others can write
to, so it is opened without blocking and looked at before a byte is read: a FIFO would
wait for a writer forever and a device such as ``/dev/zero`` never ends, so anything but a
regular file is refused. A name that is not UTF-8 is refused too: libxml2 cannot take it,
and it could not cross the daemon's JSON socket in an error.
"""

from __future__ import annotations

import os
import stat
from typing import Final

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from corral.core.xml._parse import MAX_XML_SIZE, check_file_name, parse_xml
from corral.core.xml._report import printable
from lxml import etree

__all__ = ["read_xml"]

_NOT_REGULAR: Final = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_xml(path: str | os.PathLike[str]) -> etree._ElementTree:
    """Read and parse the XML file ``path`` with the hardened parser.

    Args:
        path: The file to read: a regular file (or a symbolic link to one) whose name is
            valid UTF-8. Reading stops after :data:`MAX_XML_SIZE` + 1 bytes, so a file
            that grows while it is read cannot exhaust memory.

    Returns:
        The parsed document.

    Raises:
        CorralError: The file cannot be opened or is not a regular file (code
            OPEN_FAILED), or cannot be read (READ_FAILED).
        XMLError: The name is not UTF-8, or the file is too large, has a DOCTYPE, or is
            not well-formed XML.
    """
    name = os.fsdecode(path)
    check_file_name(name)
    try:
        # O_NONBLOCK: a FIFO is opened at once (and refused below) instead of waiting.
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _file_error(name, "open", ErrorCode.OPEN_FAILED, _reason(exc)) from exc
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        what = _NOT_REGULAR.get(kind, "a special file")
        raise _file_error(name, "open", ErrorCode.OPEN_FAILED, f"it is {what}, not a regular file")
    with open(fd, "rb") as stream:
        try:
            data = stream.read(MAX_XML_SIZE + 1)
        except OSError as exc:
            raise _file_error(name, "read", ErrorCode.READ_FAILED, _reason(exc)) from exc
    return parse_xml(data, file=name)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _file_error(name: str, verb: str, code: ErrorCode, reason: str) -> CorralError:
    return CorralError(
        f"{printable(name)}: cannot {verb} the file: {reason}.",
        domain=ErrorDomain.XML,
        code=code,
        file=name,
    )
