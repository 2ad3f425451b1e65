"""corrald's life: pid file, host and drivers, sockets, READY, signals, and a clean end.

Start-up runs in an order that never leaves a half-started daemon::

    pid file   runtime/corrald.pid, held locked (a second daemon of this root is refused,
               naming the first's pid)
    settings   corrald.conf: the core's, the plugins' and the daemon's keys
    drivers    every one started, or none (Host.start_drivers rolls back): a driver that
               fails stops corrald with an error naming it, before any socket exists;
               ``hooks`` (the hook-script runner) first, so the others' autostarts meet
               the administrator's scripts
    sockets    bound (or taken from systemd), then READY=1

SIGHUP reloads corrald.conf (logging, limits, socket modes) and every driver (each sees the
new settings in its context's ``config``); SIGTERM and
SIGINT stop accepting, wait a little for running requests, shut the drivers down (what
they run, networks and pools, keeps running) and remove the sockets and the pid file.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import time
from collections.abc import Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from corral.core._errors import CorralError, ErrorCode, ErrorDomain
from corral.core._paths import HostPaths
from corral.core._settings import Config
from corral.core.daemon._commands import AdminCommands, QmpCommands, corral_version
from corral.core.daemon._config import ALL_DRIVERS, DAEMON_CONFIG_KEYS, DaemonSettings
from corral.core.daemon._dispatch import CommandTable, Dispatcher
from corral.core.daemon._events import LifecycleEvents
from corral.core.daemon._logging import LogSettings, apply_logging
from corral.core.daemon._server import Server
from corral.core.daemon._sockets import Listener, SocketKind, bind_unix
from corral.core.daemon._systemd import Notifier, activated_sockets
from corral.core.daemon.exec import ExecService
from corral.core.host import DRIVER_GROUP, Host, Registry, load_config
from corral.core.state import acquire_pidfile, release_pidfile

__all__ = ["Daemon", "Options"]

_log = logging.getLogger("corral.daemon")

#: How long a stopping daemon waits for requests still running.
SHUTDOWN_GRACE = 10.0
#: The hook-script runner's entry-point name: started before every other driver.
HOOKS_DRIVER = "hooks"


@dataclasses.dataclass(frozen=True)
class Options:
    """What the command line says.

    Attributes:
        root: ``--root DIR``, or None for system / session paths.
        config_file: ``-f FILE``, or None for ``<config dir>/corrald.conf`` if it exists.
        timeout: ``--timeout SECONDS``: exit after that long idle; None never.
        verbose: ``-v``: log at info level at least.
    """

    root: Path | None = None
    config_file: Path | None = None
    timeout: float | None = None
    verbose: bool = False


class Daemon:
    """One run of corrald.

    Args:
        options: The command line.
        registry: The drivers and plugins (default: the installed entry points).
        environ: The environment (systemd's variables are read from it and removed).
    """

    def __init__(self, options: Options, registry: Registry | None = None,
                 environ: MutableMapping[str, str] | None = None) -> None:
        self.options = options
        self.environ = os.environ if environ is None else environ
        self.privileged = os.geteuid() == 0
        self.paths = HostPaths.resolve(options.root, privileged=self.privileged,
                                       environ=self.environ)
        self.pidfile = self.paths.runtime / "corrald.pid"
        self._registry = registry
        self._config_file = options.config_file
        self._log_settings = LogSettings(2 if options.verbose else 3)
        self._stop: asyncio.Event | None = None
        self._notifier = Notifier({})
        self._stragglers = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.listeners: list[Listener] = []

    # --- the whole run ------------------------------------------------------------------------

    def run(self) -> int:
        """Run until told to stop; return the exit status (0 clean, 1 failed to start)."""
        apply_logging(self._log_settings)
        try:
            self._make_directories()
            lock = acquire_pidfile(self.pidfile)
        except CorralError as exc:
            _log.error("cannot start: %s", exc)
            return 1
        try:
            return asyncio.run(self._main())
        finally:
            release_pidfile(self.pidfile, lock)
            if self._stragglers:
                # Worker threads stuck in an operation would hold the interpreter's exit.
                logging.shutdown()
                os._exit(0)

    def _make_directories(self) -> None:
        """Create the runtime, config and state directories.

        Raises:
            CorralError: OPERATION_FAILED naming the directory and the reason (a root
                that is a file, or that cannot be created).
        """
        mode = 0o755 if self.privileged else 0o700
        for directory, directory_mode in ((self.paths.runtime, mode),
                                          (self.paths.config, 0o777),
                                          (self.paths.state, 0o777)):
            try:
                directory.mkdir(mode=directory_mode, parents=True, exist_ok=True)
            except OSError as exc:
                raise CorralError(f"cannot create the directory '{directory}': "
                                  f"{exc.strerror or exc}.", domain=ErrorDomain.DAEMON,
                                  code=ErrorCode.OPERATION_FAILED,
                                  path=str(directory)) from None

    async def _main(self) -> int:
        try:
            host = self._open_host()
            settings = self._settings(host.config)
        except CorralError as exc:
            _log.error("cannot start: %s", exc)
            return 1
        self._stop = asyncio.Event()
        self._notifier = notifier = Notifier(self.environ)
        pool = ThreadPoolExecutor(settings.max_workers, thread_name_prefix="corrald-worker")
        tables = {SocketKind.READ_WRITE: CommandTable(), SocketKind.ADMIN: CommandTable()}
        server = Server(settings, Dispatcher(pool), tables, corral_version())
        host.plugins.register(LifecycleEvents(server.emit), name="corrald:events")
        self.exec = ExecService(settings.exec, server.emit)
        await self.exec.start()
        try:
            if not await self._start(host, server, pool):
                return 1
            return await self._serve(host, server, notifier)
        finally:
            await self.exec.close()  # its children are the daemon's: none outlives it
            notifier.close()
            pool.shutdown(wait=False, cancel_futures=True)

    def _open_host(self) -> Host:
        registry = self._registry or Registry.discover()
        if self._config_file is None:
            default = self.paths.config / "corrald.conf"
            self._config_file = default if default.exists() else None
        return Host.open(registry, self.paths, self._config_file, privileged=self.privileged,
                         extra_keys=DAEMON_CONFIG_KEYS)

    def _settings(self, config: Config) -> DaemonSettings:
        settings = DaemonSettings.from_config(config)
        level = min(settings.log_level, 2) if self.options.verbose else settings.log_level
        self._set_logging(LogSettings(level, settings.log_filters, settings.log_outputs))
        return settings

    def _set_logging(self, settings: LogSettings) -> None:
        apply_logging(settings)
        self._log_settings = settings

    async def _start(self, host: Host, server: Server, pool: ThreadPoolExecutor) -> bool:
        names = list(server.settings.drivers)
        if names == [ALL_DRIVERS]:
            names = host.registry.names(DRIVER_GROUP)
        names = start_order(names)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(pool, host.start_drivers, names)
        except CorralError as exc:
            _log.error("cannot start: %s", exc)
            return False
        try:
            self._fill_tables(host, server)
            self.listeners = self._listeners(server.settings)
        except CorralError as exc:
            _log.error("cannot start: %s", exc)
            await asyncio.to_thread(host.shutdown)
            return False
        await server.start(self.listeners)
        return True

    def _fill_tables(self, host: Host, server: Server) -> None:
        commands = server.tables[SocketKind.READ_WRITE]
        commands.add_drivers(host)
        commands.add_provider("daemon", QmpCommands(commands))
        commands.add_provider("exec", self.exec)
        admin = server.tables[SocketKind.ADMIN]
        admin.add_provider("daemon", QmpCommands(admin))
        admin.add_provider("admin", AdminCommands(
            server, lambda: self._log_settings, self._set_logging,
            lambda: self._reload(host, server), lambda: list(host.drivers)))

    def _listeners(self, settings: DaemonSettings) -> list[Listener]:
        activated = activated_sockets(self.environ)
        listeners: list[Listener] = []
        with contextlib.ExitStack() as undo:
            for kind in SocketKind:
                path = self.paths.runtime / str(kind)
                sock = activated.pop(str(kind), None)
                if sock is None:
                    listener = Listener(kind, path, bind_unix(path, self._mode(kind, settings),
                                                              settings.socket_gid))
                else:
                    listener = Listener(kind, _bound_path(sock), sock, activated=True)
                undo.callback(listener.close)
                listeners.append(listener)
            undo.pop_all()
        for name, sock in activated.items():
            _log.warning("systemd passed a socket named %r, which corrald does not use", name)
            sock.close()
        return listeners

    @staticmethod
    def _mode(kind: SocketKind, settings: DaemonSettings) -> int:
        return {SocketKind.READ_WRITE: settings.rw_mode, SocketKind.READ_ONLY: settings.ro_mode,
                SocketKind.ADMIN: settings.admin_mode}[kind]

    # --- serving --------------------------------------------------------------------------------

    async def _serve(self, host: Host, server: Server, notifier: Notifier) -> int:
        loop = asyncio.get_running_loop()
        assert self._stop is not None
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self._reload(host, server)))
        timers = [self._spawn(self._watchdog(notifier))] if notifier.watchdog_interval else []
        if self.options.timeout is not None:
            timers.append(self._spawn(self._idle_exit(server, self.options.timeout)))
        _log.info("corrald %s serving %s on %s", ".".join(map(str, corral_version())),
                  ", ".join(host.drivers) or "no drivers", self.paths.runtime)
        notifier.notify("READY=1", f"MAINPID={os.getpid()}",
                        f"STATUS=serving {len(host.drivers)} drivers")
        try:
            await self._stop.wait()
        finally:
            notifier.notify("STOPPING=1")
            _log.info("corrald stopping")
            for timer in timers:
                timer.cancel()
            await server.close(SHUTDOWN_GRACE)
            for listener in self.listeners:
                listener.close()
            self._stragglers = server.busy > 0
            await asyncio.to_thread(host.shutdown)
        return 0

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _watchdog(self, notifier: Notifier) -> None:
        # Sent from the event loop itself, so a wedged loop really is noticed.
        assert notifier.watchdog_interval is not None
        while True:
            notifier.notify("WATCHDOG=1")
            await asyncio.sleep(notifier.watchdog_interval)

    async def _idle_exit(self, server: Server, timeout: float) -> None:
        assert self._stop is not None
        quiet_since = time.monotonic()  # when the exec service was last seen busy
        while True:
            if self.exec.busy:  # a running child or an open pipe, even with no client
                quiet_since = time.monotonic()
                await asyncio.sleep(min(timeout, 1.0))
                continue
            idle = min(server.idle_for(), time.monotonic() - quiet_since)
            if idle >= timeout:
                _log.info("idle for %.0f s with nothing running: exiting", idle)
                self._stop.set()
                return
            await asyncio.sleep(max(timeout - idle, 0.05))

    async def _reload(self, host: Host, server: Server) -> None:
        self._notifier.notify("RELOADING=1")
        _log.info("reloading")
        try:
            config = load_config(self._config_file, (*host.config_keys(),
                                                     *DAEMON_CONFIG_KEYS))
            settings = self._settings(config)
        except CorralError as exc:
            _log.error("reload failed, the settings in force are kept: %s", exc)
            config = host.config
        else:
            self._apply(server, settings)
        try:
            await asyncio.to_thread(host.reload, config)
        except CorralError as exc:
            _log.error("a driver failed to reload: %s", exc)
        self._notifier.notify("READY=1")

    def _apply(self, server: Server, settings: DaemonSettings) -> None:
        old = server.settings
        for key in ("max_workers", "drivers", "exec"):
            if getattr(old, key) != getattr(settings, key):
                _log.warning("the new value of %s takes effect when corrald restarts", key)
        server.settings = dataclasses.replace(settings, max_workers=old.max_workers,
                                              drivers=old.drivers, exec=old.exec)
        for listener in self.listeners:
            if not listener.activated and listener.path is not None:
                with contextlib.suppress(OSError):
                    os.chmod(listener.path, self._mode(listener.kind, settings))
                    if settings.socket_gid != -1:
                        os.chown(listener.path, -1, settings.socket_gid)


def start_order(names: list[str]) -> list[str]:
    """Return ``names`` with the hook-script runner first, the others in their order.

    Drivers re-attach and autostart in ``initialize``; the runner must already be a plugin
    then, or those steps would run no ``begin`` script (libvirt runs its hooks from the
    first autostart on).
    """
    return sorted(names, key=lambda name: name != HOOKS_DRIVER)


def _bound_path(sock: socket.socket) -> Path | None:
    with contextlib.suppress(OSError):
        address = sock.getsockname()
        if isinstance(address, str) and address:
            return Path(address)
    return None
