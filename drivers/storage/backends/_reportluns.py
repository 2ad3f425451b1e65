"""``python -m corral.drivers.storage.backends._reportluns``: one target's LUN numbers.

libiscsi's tools have no way to list the LUNs of one target: ``iscsi-ls -s`` logs in to
every target of the portal and exits at the first that refuses (a CHAP target listed
before the pool's own fails a pool that needs no CHAP). libvirt's iscsi-direct backend
sends REPORT LUNS through libiscsi in-process; this is the same call, in a child process
of its own, so it runs through the engine like the tools (the policy and the audit log
see it, ``dry_run`` fakes it, a test's command prefix puts it in a network namespace).

Usage: ``-i INITIATOR iscsi://HOST:PORT/TARGET``; CHAP from ``LIBISCSI_CHAP_USERNAME`` and
``LIBISCSI_CHAP_PASSWORD`` as libiscsi's own tools take them. It prints ``Lun:N`` lines
(the tools' format) and exits 0, or prints libiscsi's error and exits 10 (the tools' status).
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from typing import Final

_SESSION_NORMAL: Final = 2          # enum iscsi_session_type
_HEADER_DIGEST_NONE_CRC32C: Final = 1  # what iscsi-ls asks for
_URL: Final = re.compile(r"iscsi://(\[[^]]+\]|[^/:]+)(?::(\d+))?/([^/]+)")
_FAILED: Final = 10


def _library() -> ctypes.CDLL:
    lib = ctypes.CDLL("libiscsi.so.7")
    lib.iscsi_create_context.restype = ctypes.c_void_p
    lib.iscsi_create_context.argtypes = [ctypes.c_char_p]
    lib.iscsi_get_error.restype = ctypes.c_char_p
    lib.iscsi_get_error.argtypes = [ctypes.c_void_p]
    lib.iscsi_reportluns_sync.restype = ctypes.c_void_p
    lib.iscsi_reportluns_sync.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.scsi_datain_unmarshall.restype = ctypes.c_void_p
    lib.scsi_datain_unmarshall.argtypes = [ctypes.c_void_p]
    for name in ("iscsi_set_targetname", "iscsi_set_initiator_username_pwd",
                 "iscsi_full_connect_sync", "iscsi_set_session_type", "iscsi_set_header_digest",
                 "iscsi_logout_sync", "iscsi_destroy_context", "scsi_free_scsi_task"):
        getattr(lib, name).restype = ctypes.c_int if name != "scsi_free_scsi_task" else None
    lib.iscsi_set_targetname.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.iscsi_set_initiator_username_pwd.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                                     ctypes.c_char_p]
    lib.iscsi_full_connect_sync.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.iscsi_set_session_type.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.iscsi_set_header_digest.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.iscsi_logout_sync.argtypes = [ctypes.c_void_p]
    lib.iscsi_destroy_context.argtypes = [ctypes.c_void_p]
    lib.scsi_free_scsi_task.argtypes = [ctypes.c_void_p]
    return lib


def report_luns(initiator: str, url: str) -> list[int]:
    """Return the LUN numbers REPORT LUNS gives for the target ``url`` names.

    Raises:
        RuntimeError: With libiscsi's message (the login failed, the target is not there).
    """
    match = _URL.fullmatch(url)
    if match is None:
        raise RuntimeError(f"not an iSCSI target URL: {url}")
    host, port, target = match.group(1), match.group(2) or "3260", match.group(3)
    lib = _library()
    context = lib.iscsi_create_context(initiator.encode())
    if not context:
        raise RuntimeError("cannot create an iSCSI context")
    try:
        lib.iscsi_set_targetname(context, target.encode())
        lib.iscsi_set_session_type(context, _SESSION_NORMAL)
        lib.iscsi_set_header_digest(context, _HEADER_DIGEST_NONE_CRC32C)
        user = os.environ.get("LIBISCSI_CHAP_USERNAME")
        if user:
            password = os.environ.get("LIBISCSI_CHAP_PASSWORD", "")
            lib.iscsi_set_initiator_username_pwd(context, user.encode(), password.encode())
        if lib.iscsi_full_connect_sync(context, f"{host}:{port}".encode(), 0) != 0:
            raise RuntimeError(f"Login Failed. {_error(lib, context)}")
        task = lib.iscsi_reportluns_sync(context, 0, 16384)
        try:
            if not task or ctypes.cast(task, ctypes.POINTER(ctypes.c_int))[0] != 0:
                raise RuntimeError(f"REPORT LUNS failed. {_error(lib, context)}")
            listing = lib.scsi_datain_unmarshall(task)
            if not listing:
                raise RuntimeError("REPORT LUNS returned nothing readable")
            count = ctypes.cast(listing, ctypes.POINTER(ctypes.c_uint32))[0]
            luns = ctypes.cast(listing + 4, ctypes.POINTER(ctypes.c_uint16))
            found = sorted(luns[index] for index in range(count))
        finally:
            if task:
                lib.scsi_free_scsi_task(task)
        lib.iscsi_logout_sync(context)
        return found
    finally:
        lib.iscsi_destroy_context(context)


def _error(lib: ctypes.CDLL, context: int) -> str:
    message = lib.iscsi_get_error(context)
    return message.decode(errors="replace") if message else "unknown error"


def main(argv: list[str]) -> int:
    """Print ``Lun:N`` per LUN of the target, as the libiscsi tools print them."""
    if len(argv) != 3 or argv[0] != "-i":
        print("usage: _reportluns -i INITIATOR iscsi://HOST[:PORT]/TARGET", file=sys.stderr)
        return 2
    try:
        luns = report_luns(argv[1], argv[2])
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return _FAILED
    for lun in luns:
        print(f"Lun:{lun}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
