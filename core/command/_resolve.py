"""Finding the program to execute, once per start, so the path judged is the path run.

A bare name is looked up on the *parent's* PATH (libvirt's rule, never a PATH given with
``add_env_*``), a name with a slash is made absolute against the parent's working
directory, and either is then canonicalised (every symlink resolved). That canonical path
goes into the :class:`~corral.core.SpawnRecord` a policy judges *and* is what the child
executes (through any exec wrapper or helper), so a symlink flipped after the check
changes nothing and a child's ``chdir`` cannot change which file runs.

Relative PATH entries (``.``, ``bin``, and the empty entry, which execvp reads as the
working directory) are ignored: which file they name depends on the working directory,
a daemon's is not a directory anyone vouches for, and the child's differs from the
parent's. libvirt instead makes such a hit absolute against the parent's directory
(``g_find_program_in_path``); skipping them is the safer reading of the same rule.
"""

from __future__ import annotations

import dataclasses
import os

__all__ = ["Resolution", "resolve"]


@dataclasses.dataclass(frozen=True, slots=True)
class Resolution:
    """Where the program of one start was found.

    Attributes:
        found: The absolute, normalised path found (symlinks kept), or None.
        real: ``found`` with every symlink resolved: what is executed, or None.
        missing: Why nothing was found (the spawn then fails with status 127), or None.
    """

    found: str | bytes | None
    real: str | bytes | None
    missing: str | None = None


def _search(binary: str | bytes) -> str | bytes | None:
    for directory in os.get_exec_path():
        if not directory.startswith("/"):
            continue  # relative: see the module's docstring
        if isinstance(binary, bytes):
            path: str | bytes = os.path.join(os.fsencode(directory), binary)
        else:
            path = os.path.join(directory, binary)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None


def _canonical(path: str | bytes) -> str | bytes:
    """Return ``path`` with every symlink resolved, as the kernel itself resolves it.

    An ``O_PATH`` descriptor names the file the kernel found and ``/proc/self/fd`` spells
    its path: a third of ``os.path.realpath``'s cost, on every spawn. A path that cannot
    be opened (missing: the exec then fails with 127) or a missing /proc falls back.
    """
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return os.path.realpath(path)
    try:
        link = f"/proc/self/fd/{fd}"
        if isinstance(path, bytes):
            return os.readlink(os.fsencode(link))
        return os.readlink(link)
    except OSError:
        return os.path.realpath(path)
    finally:
        os.close(fd)


def resolve(binary: str | bytes) -> Resolution:
    """Find ``binary`` as described in the module's docstring."""
    slash = "/" if isinstance(binary, str) else b"/"
    if slash in binary:  # type: ignore[operator]
        found: str | bytes | None = os.path.abspath(binary)
    else:
        found = _search(binary) if binary else None
    if found is None:
        shown = binary if isinstance(binary, str) else os.fsdecode(binary)
        return Resolution(None, None, f"Cannot find '{shown}' in path")
    return Resolution(os.path.normpath(found), _canonical(found))
