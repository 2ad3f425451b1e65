"""One host's registry, settings, plugins and running drivers: what corrald holds.

:class:`Host` is the glue the daemon (and a test) needs: read corrald.conf with every
known key, build the plugin manager, start drivers by name with libvirt's lifecycle
(rolling back the ones already started if a later one fails), reload them on SIGHUP,
shut them down in reverse order, and install the plugin spawn monitor process-wide
(while a driver runs, and during every host operation) so every command any driver
runs, from any thread, executor or task, passes through the plugins.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pluggy
from corral.core._driver import Driver, DriverContext
from corral.core._errors import CorralError, ErrorCode, ErrorDomain, NoSupportError
from corral.core._paths import HostPaths
from corral.core._settings import Config, ConfigKey
from corral.core.command import monitor_all_spawns
from corral.core.host._config import load_config
from corral.core.host._plugin_events import PluginEvents
from corral.core.host._plugin_monitor import PluginSpawnMonitor, call_hook
from corral.core.host._plugins import (
    config_keys,
    driver_plugin_name,
    has_hookimpls,
    load_plugins,
    register_plugin,
)
from corral.core.host._registry import DRIVER_GROUP, Registry, wrap_failure

__all__ = ["Host"]


class Host:
    """The drivers and plugins of one corral host, built from a :class:`Registry`.

    Args:
        registry: What was discovered (or a test registry).
        config: The checked settings.
        paths: The host's directories.
        plugins: The plugin manager (see :meth:`open` to build it from the settings).
        privileged: True in system mode.
    """

    def __init__(self, registry: Registry, config: Config, paths: HostPaths,
                 plugins: pluggy.PluginManager, privileged: bool = False) -> None:
        self.registry = registry
        self.config = config
        self.paths = paths
        self.plugins = plugins
        self.privileged = privileged
        self.drivers: dict[str, Driver] = {}
        self._monitor = PluginSpawnMonitor(plugins)  # one, so two installs are asked once
        self._running = contextlib.ExitStack()  # holds the monitor while a driver runs

    @classmethod
    def open(cls, registry: Registry, paths: HostPaths, config_file: str | Path | None = None,
             *, privileged: bool | None = None, extra_keys: Iterable[ConfigKey] = ()) -> Host:
        """Read ``config_file`` (None: defaults) and register the plugins it enables.

        The file may hold the core's keys, every found plugin's, and ``extra_keys`` (the
        daemon's own settings: sockets, limits, logging).

        Raises:
            ConfigError: If the file is unreadable, malformed or names an unknown plugin.
            CorralError: If a plugin fails to start or breaks the hookspecs.
        """
        config = load_config(config_file, (*config_keys(registry), *extra_keys))
        plugins = load_plugins(registry, config, paths)
        if privileged is None:
            privileged = os.geteuid() == 0
        return cls(registry, config, paths, plugins, privileged)

    def spawn_monitor(self) -> PluginSpawnMonitor:
        """Return the spawn monitor forwarding to this host's plugins (always the same one)."""
        return self._monitor

    @contextlib.contextmanager
    def monitored(self) -> Iterator[PluginSpawnMonitor]:
        """Route every spawn of this process, from any thread, through the plugins until the end."""
        with monitor_all_spawns(self._monitor):
            yield self._monitor

    def start_driver(self, name: str) -> Driver:
        """Create and initialize the driver ``name``, then announce it to the plugins.

        Raises:
            NoSupportError: If no driver has that name (the message lists the known ones).
            CorralError: If it fails to initialize, naming the entry point and the cause;
                OPERATION_INVALID if it runs already (a second instance would leak the
                first, which would never be shut down).
        """
        if name in self.drivers:
            raise CorralError(f"The driver '{name}' is already running.",
                              domain=ErrorDomain.REGISTRY, code=ErrorCode.OPERATION_INVALID,
                              driver=name)
        driver_class = self.registry.driver_class(name)
        domain = driver_class.domain_for(name)
        context = DriverContext(name, self.paths, PluginEvents(self.plugins),
                                logging.getLogger(f"corral.drivers.{name}"),
                                self.config, self.privileged, domain)
        try:
            driver = driver_class()
            with self.monitored():
                driver.initialize(context)
        except Exception as exc:
            # Driver.claim's rule, from the class: the constructor may be what raised, and
            # initialize() may fail before it keeps the context.
            if isinstance(exc, CorralError) and exc.domain == ErrorDomain.NONE:
                exc.domain = domain
            info = self.registry.info(DRIVER_GROUP, name)
            raise wrap_failure(exc, f"The {info.describe()} failed to initialize",
                               ErrorDomain.REGISTRY, driver=name) from exc
        if has_hookimpls(driver):
            # The hook-script runner is a driver: its hookimpls answer the others' events.
            try:
                register_plugin(self.plugins, driver_plugin_name(name), driver)
            except CorralError:
                with self.monitored():
                    driver.shutdown()
                raise
        if not self.drivers:
            self._running.enter_context(monitor_all_spawns(self._monitor))
        self.drivers[name] = driver
        call_hook(self.plugins, "corral_driver_registered",
                  lambda: self.plugins.hook.corral_driver_registered.call_historic(
                      kwargs={"name": name, "driver": driver}))
        return driver

    def start_drivers(self, names: Iterable[str]) -> None:
        """Start each driver in order; if one fails, shut down the ones this call started."""
        with contextlib.ExitStack() as rollback:
            for name in names:
                driver = self.start_driver(name)
                rollback.callback(self._stop, name, driver)
            rollback.pop_all()

    def call(self, driver: str, operation: str, /, **arguments: Any) -> Any:
        """Run ``operation`` of the running ``driver`` with every spawn seen by the plugins.

        Raises:
            NoSupportError: If no such driver runs or it does not offer ``operation``.
        """
        if driver not in self.drivers:
            running = ", ".join(sorted(self.drivers)) or "none"
            raise NoSupportError(
                f"The driver '{driver}' is not running (running: {running}).",
                domain=ErrorDomain.REGISTRY, driver=driver, operation=operation,
            )
        with self.monitored():
            return self.drivers[driver].call(operation, **arguments)

    def config_keys(self) -> tuple[ConfigKey, ...]:
        """Return the settings corrald.conf may hold for the core, the plugins and drivers.

        These are what :meth:`open` reads, less its ``extra_keys`` (the daemon's own).

        Raises:
            CorralError: If two owners declare the same setting name.
        """
        return config_keys(self.registry)

    def reload(self, config: Config | None = None) -> None:
        """Ask every running driver to re-read its configuration (SIGHUP).

        Args:
            config: The settings read again (None keeps those in force). Each driver's
                context carries them before its ``reload()`` runs, so a changed setting
                (``hook_timeout``) takes effect there.
        """
        if config is not None:
            self.config = config
        with self.monitored():
            for driver in self.drivers.values():
                if config is not None:
                    driver.rebind(dataclasses.replace(driver.context, config=config))
                driver.reload()

    def shutdown(self) -> None:
        """Shut every running driver down, the last started first, even if one fails."""
        with contextlib.ExitStack() as stack:
            for name, driver in list(self.drivers.items()):
                stack.callback(self._stop, name, driver)

    def _stop(self, name: str, driver: Driver) -> None:
        self.drivers.pop(name, None)
        if self.plugins.get_plugin(driver_plugin_name(name)) is driver:
            self.plugins.unregister(driver)
        try:
            with self.monitored():
                driver.shutdown()
        finally:
            if not self.drivers:
                self._running.close()  # the last driver is gone: its threads with it
