"""corrald's own corrald.conf settings, and the checked form the daemon runs with.

The keys are libvirtd.conf's where libvirtd has one (``unix_sock_group``,
``unix_sock_rw_perms``, ``max_clients``, ``max_workers``, ``max_client_requests``,
``log_level``, ``log_filters``, ``log_outputs``), with libvirtd's defaults except where
corral is stricter: the read-write socket is ``0600`` (``0660`` once a group is given) and
the read-only socket ``0666`` rather than ``0777``.
"""

from __future__ import annotations

import dataclasses
import grp

from corral.core._errors import ConfigError, ErrorCode
from corral.core._settings import Config, ConfigKey
from corral.core.daemon.exec import CONFIG_KEYS as EXEC_CONFIG_KEYS
from corral.core.daemon.exec import ExecSettings
from corral.core.protocol import DEFAULT_MAX_MESSAGE_BYTES

__all__ = ["ALL_DRIVERS", "DAEMON_CONFIG_KEYS", "DaemonSettings"]

#: The ``drivers`` value meaning every installed ``corral.drivers`` entry point.
ALL_DRIVERS = "*"

DAEMON_CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("drivers", "list", (ALL_DRIVERS,),
              'The drivers to start, by entry-point name; ["*"] starts every installed one.'),
    ConfigKey("unix_sock_group", "string", "",
              "The group owning the sockets (a name or number); empty keeps the daemon's."),
    ConfigKey("unix_sock_rw_perms", "string", "",
              'The read-write socket\'s mode; empty means "0600", or "0660" with a group.'),
    ConfigKey("unix_sock_ro_perms", "string", "0666", "The read-only socket's mode."),
    ConfigKey("unix_sock_admin_perms", "string", "0600", "The admin socket's mode."),
    ConfigKey("max_clients", "int", 5000,
              "Clients connected at once to the read-write and read-only sockets."),
    ConfigKey("admin_max_clients", "int", 5, "Clients connected at once to the admin socket."),
    ConfigKey("max_workers", "int", 20, "Threads running driver operations at once."),
    ConfigKey("max_client_requests", "int", 5, "Requests one client may have in flight."),
    ConfigKey("max_message_bytes", "int", DEFAULT_MAX_MESSAGE_BYTES,
              "The largest message a client may send, in bytes."),
    ConfigKey("log_level", "int", 3,
              "Messages at least this important are logged: 1 debug, 2 info, 3 warning, 4 error."),
    ConfigKey("log_filters", "string", "",
              'Per-logger levels, libvirt\'s syntax: "1:corral.daemon 3:*".'),
    ConfigKey("log_outputs", "string", "",
              'Where messages go, libvirt\'s syntax: "3:stderr 1:file:/var/log/corrald.log"; '
              "empty means stderr at log_level."),
    *EXEC_CONFIG_KEYS,  # the guest-exec family's limits, declared in its package
)


@dataclasses.dataclass(frozen=True)
class DaemonSettings:
    """The daemon's settings, checked.

    Attributes:
        drivers: The drivers to start (``("*",)``: all installed).
        socket_gid: The sockets' group, or -1 to keep the daemon's.
        rw_mode / ro_mode / admin_mode: The sockets' permission bits.
        max_clients / admin_max_clients / max_workers / max_client_requests /
        max_message_bytes: The limits.
        log_level / log_filters / log_outputs: Logging, in libvirt's terms.
        exec: The guest-exec family's limits (its ``exec_*`` keys).
    """

    drivers: tuple[str, ...]
    socket_gid: int
    rw_mode: int
    ro_mode: int
    admin_mode: int
    max_clients: int
    admin_max_clients: int
    max_workers: int
    max_client_requests: int
    max_message_bytes: int
    log_level: int
    log_filters: str
    log_outputs: str
    exec: ExecSettings = dataclasses.field(default_factory=ExecSettings)

    @classmethod
    def from_config(cls, config: Config) -> DaemonSettings:
        """Check the daemon's keys of ``config``.

        Raises:
            ConfigError: For a mode that is not octal, an unknown group, a limit below 1
                or a log level outside 1-4, naming the file and the key; for an exec
                limit that is not a positive number.
        """
        file = config.source or "corrald.conf"
        group = config.string("unix_sock_group")
        gid = _gid(group, file) if group else -1
        rw = config.string("unix_sock_rw_perms") or ("0660" if group else "0600")
        limits = {name: _at_least_one(config, name, file) for name in (
            "max_clients", "admin_max_clients", "max_workers", "max_client_requests",
            "max_message_bytes")}
        level = _integer(config, "log_level")
        if not 1 <= level <= 4:
            raise _bad(file, "log_level", f"must be 1, 2, 3 or 4, not {level}")
        return cls(
            drivers=config.strings("drivers"), socket_gid=gid,
            rw_mode=_mode(rw, "unix_sock_rw_perms", file),
            ro_mode=_mode(config.string("unix_sock_ro_perms"), "unix_sock_ro_perms", file),
            admin_mode=_mode(config.string("unix_sock_admin_perms"), "unix_sock_admin_perms",
                             file),
            log_level=level, log_filters=config.string("log_filters"),
            log_outputs=config.string("log_outputs"), exec=ExecSettings.from_config(config),
            **limits,
        )


def _bad(file: str, key: str, why: str) -> ConfigError:
    return ConfigError(f"{file}: the value of '{key}' {why}.", code=ErrorCode.CONF_SYNTAX,
                       file=file, key=key)


def _mode(text: str, key: str, file: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise _bad(file, key, f'must be an octal mode like "0660", not {text!r}')
    return mode


def _gid(group: str, file: str) -> int:
    if group.isdigit():
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise _bad(file, "unix_sock_group", f"names no group on this host: {group!r}") from None


def _at_least_one(config: Config, key: str, file: str) -> int:
    value = _integer(config, key)
    if value < 1:
        raise _bad(file, key, f"must be at least 1, not {value}")
    return value


def _integer(config: Config, key: str) -> int:
    value = config[key]
    assert isinstance(value, int)  # load_config checked the kind
    return value
