"""corral.core.state: state files that survive crashes and daemons that cannot collide.

- :func:`atomic_write` replaces a file so readers never see half of it;
- the pid-file functions (libvirt's ``virPidFile*``) keep a pid file locked for the life
  of its process, and read one back only if that process is still alive and still runs
  the expected binary (the guard against pid reuse);
- :class:`DriverLock` makes sure only one daemon manages a root.

Every failure is a :class:`~corral.core.CorralError` in the ``state`` domain.
"""

from corral.core.state._atomic import atomic_write
from corral.core.state._driverlock import DRIVER_LOCK_PATH, DriverLock
from corral.core.state._liveness import read_pidfile_if_alive
from corral.core.state._pidfile import (
    acquire_pidfile,
    delete_pidfile,
    pidfile_is_locked,
    pidfile_path,
    read_pidfile,
    release_pidfile,
)

__all__ = [
    "DRIVER_LOCK_PATH",
    "DriverLock",
    "acquire_pidfile",
    "atomic_write",
    "delete_pidfile",
    "pidfile_is_locked",
    "pidfile_path",
    "read_pidfile",
    "read_pidfile_if_alive",
    "release_pidfile",
]
