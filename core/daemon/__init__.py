"""corral.core.daemon: corrald, the management daemon.

corrald holds a :class:`~corral.core.host.Host`, starts its drivers and serves their
operations, with commands of its own, over QMP on three UNIX sockets in the runtime
directory (``corrald-sock``, ``corrald-sock-ro``, ``corrald-admin-sock``). The protocol,
every command of the daemon's own, the limits and the read-only rule are in
``docs/daemon-protocol.md``; the modules behind this namespace are::

    _main        the corrald command line           _daemon    start-up, signals, shutdown
    _config      corrald.conf keys, DaemonSettings  _logging   log_filters / log_outputs
    _sockets     binding with modes, Listener       _systemd   sd_notify, socket activation
    _server      clients, limits, event broadcast   _connection  one client's QMP session
    _dispatch    command table, checks, worker pool _commands  the daemon's own commands
    _events      lifecycle events as QMP events     _peer      SO_PEERCRED identity
"""

from corral.core.daemon._config import DAEMON_CONFIG_KEYS, DaemonSettings
from corral.core.daemon._daemon import Daemon, Options
from corral.core.daemon._dispatch import CommandTable, Dispatcher, Entry
from corral.core.daemon._main import main

__all__ = [
    "DAEMON_CONFIG_KEYS",
    "CommandTable",
    "Daemon",
    "DaemonSettings",
    "Dispatcher",
    "Entry",
    "Options",
    "main",
]
