"""Write a file so that readers see the old content or the new one, never half of either.

The recipe is the classic one: write a temporary file in the same directory, ``fsync`` it,
``rename`` it over the target, then ``fsync`` the directory so the rename itself survives
a power cut. Any failure before the rename removes the temporary file and leaves the old
file exactly as it was. A writer killed outright cannot clean up; the next write of the
same target removes what it left (see :mod:`corral.core.state._tempfiles`).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from corral.core._errors import ErrorCode
from corral.core.state import _tempfiles
from corral.core.state._fail import state_error, system_error

__all__ = ["atomic_write"]

# Large strings are encoded piecewise so a multi-megabyte status file never needs a
# second full-size copy in memory.
_CHUNK_CHARS = 1 << 20


def atomic_write(path: str | os.PathLike[str], data: bytes | str, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    A ``str`` is written as UTF-8. The file gets exactly ``mode`` (the umask does not
    apply). A symbolic link at ``path`` is replaced by the new file, not followed.

    Args:
        path: The file to create or replace; its directory must exist.
        data: The new content.
        mode: The permission bits of the new file.

    Raises:
        CorralError: ``SYSTEM_ERROR`` (domain state) when the operating system refuses
            a step, ``INVALID_ARG`` when ``data`` cannot be encoded. Before the rename
            the old file is untouched and no temporary file is left behind.
    """
    target = Path(path)
    _tempfiles.sweep(target)
    fd, temp = _create_temp(target)
    try:
        # The descriptor (and so the temporary file's lock) stays open across the rename:
        # unlocked, a complete temporary file would look abandoned to a sweeper.
        with open(fd, "wb", buffering=0, closefd=True) as stream:
            os.fchmod(stream.fileno(), mode)
            _write_all(stream.fileno(), data, target)
            os.fsync(stream.fileno())
            os.replace(temp, target)
    except OSError as exc:
        _discard(temp)
        raise system_error("write the file", target, exc) from exc
    except BaseException:
        # Also on KeyboardInterrupt: never leave a stray temporary file behind.
        _discard(temp)
        raise
    _sync_directory(target.parent)


def _create_temp(target: Path) -> tuple[int, str]:
    """Create the temporary file next to ``target`` (same filesystem, so rename works)."""
    try:
        return _tempfiles.create(target)
    except OSError as exc:
        raise system_error("create a temporary file for", target, exc) from exc


def _write_all(fd: int, data: bytes | str, target: Path) -> None:
    """Write every byte of ``data``; ``os.write`` may write less than asked."""
    chunks = _encoded_chunks(data, target) if isinstance(data, str) else (data,)
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view) :]


def _encoded_chunks(text: str, target: Path) -> Iterator[bytes]:
    """Encode ``text`` as UTF-8 one bounded chunk at a time."""
    encoder = codecs.getincrementalencoder("utf-8")("strict")
    for start in range(0, len(text), _CHUNK_CHARS):
        end = start + _CHUNK_CHARS
        try:
            yield encoder.encode(text[start:end], final=end >= len(text))
        except UnicodeEncodeError as exc:
            position = start + exc.start
            raise state_error(
                f"Cannot write '{target}': character {position} of the data cannot be "
                f"encoded as UTF-8 ({exc.reason}).",
                ErrorCode.INVALID_ARG,
                path=str(target),
                position=position,
            ) from exc


def _discard(temp: str) -> None:
    """Remove the temporary file; a failure here must not hide the original error."""
    with contextlib.suppress(OSError):
        os.unlink(temp)


def _sync_directory(directory: Path) -> None:
    """Flush the directory entry so the rename is on disk, not only in the page cache."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise system_error("open the directory", directory, exc) from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some filesystems cannot fsync a directory; the rename is still atomic there.
        if exc.errno not in (errno.EINVAL, errno.EROFS):
            raise system_error("flush the directory", directory, exc) from exc
    finally:
        os.close(fd)

