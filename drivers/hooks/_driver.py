"""The hook-script runner: a driver whose hookimpls answer the other drivers' lifecycle.

It offers one read-only operation (``hook-list``: the scripts found) and does its work in
two hookimpls, which the host registers because a started driver with hookimpls becomes
the plugin ``driver:hooks``:

- ``corral_lifecycle_begin`` runs the ``<op> begin`` scripts before another driver acts;
  any failure raises :class:`~corral.core.HookScriptError` (HOOK_SCRIPT_FAILED), which
  the driver's ``context.begin`` passes to its caller: nothing was done, nothing to undo.
- ``corral_lifecycle_event`` runs the scripts of announced steps (``started``,
  ``stopped``, ...); a failure is logged and announced as the event
  ``hook <script> failed`` (the daemon's HOOK_SCRIPT_FAILED), and changes nothing.

Its own lifecycle runs the ``daemon`` scripts: ``- start - start`` once the scripts are
found, ``- reload begin SIGHUP`` on reload (after the re-scan, so a script installed since
runs), ``- shutdown - shutdown`` on shutdown; like libvirt's, they never stop corral.
Start this driver before the others, so that their autostarts meet the scripts.
"""

from __future__ import annotations

from pathlib import Path

from corral.core import ConfigError, ConfigKey, Driver, DriverContext, ErrorDomain, operation
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.drivers.hooks._calls import HookCall, daemon_call, hook_call
from corral.drivers.hooks._layout import HookScripts, find_scripts
from corral.drivers.hooks._runner import HookFailure, run_hook

__all__ = ["FAILED_EVENT", "HOOK_OBJECT_TYPE", "HOOK_TIMEOUT", "HooksDriver"]

HOOK_TIMEOUT = ConfigKey(
    "hook_timeout", "int", 30,
    "Seconds a hook script may run before it and its children are killed (a failure).")

#: The event announcing a hook failure that aborted nothing: ``hook <script> failed``.
HOOK_OBJECT_TYPE = "hook"
FAILED_EVENT = "failed"


class HooksDriver(Driver):
    """Run the administrator's hook scripts at every driver's lifecycle steps."""

    domain = ErrorDomain.HOOKS
    config_keys = (HOOK_TIMEOUT,)

    def initialize(self, context: DriverContext) -> None:
        """Read the timeout, find the scripts, run the daemon's ``start`` scripts.

        Raises:
            ConfigError: If ``hook_timeout`` is not a positive number of seconds.
        """
        super().initialize(context)
        self._scan()
        self._run(daemon_call("start"))

    def reload(self) -> None:
        """Find the scripts again (SIGHUP), then run the daemon's ``reload`` scripts."""
        self._scan()
        self._run(daemon_call("reload"))

    def shutdown(self) -> None:
        """Run the daemon's ``shutdown`` scripts."""
        self._run(daemon_call("shutdown"))

    @operation(read_only=True)
    def hook_list(self) -> dict[str, list[str]]:
        """The hook scripts found at the last start or reload, by driver, in running order."""
        return {driver: [str(path) for path in paths]
                for driver, paths in sorted(self._scripts.by_driver.items())}

    @property
    def directory(self) -> Path:
        """The directory holding the scripts: ``<config root>/hooks``."""
        return Path(self.context.paths.config, "hooks")

    @hookimpl
    def corral_lifecycle_begin(self, event: LifecycleEvent) -> str | None:
        """Run the ``begin`` scripts of a step about to happen; a failure refuses it.

        Raises:
            HookScriptError: Naming the first failing script, its exit status and the
                tail of its stderr (every failure is in ``detail["failures"]``).
        """
        call = hook_call(event, "begin")
        failures = self._run(call) if call is not None else []
        if failures:
            error = failures[0].error()
            error.detail["failures"] = [failure.message for failure in failures]
            raise error
        return None

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        """Run the scripts of a step that happened; failures are reported, never raised."""
        if event.driver == self.context.name:
            return  # our own "hook ... failed" announcements run no script
        call = hook_call(event, "event")
        if call is not None:
            self._run(call)

    def _scan(self) -> None:
        timeout = self.context.config.get(HOOK_TIMEOUT.name, HOOK_TIMEOUT.default)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigError(
                f"The setting '{HOOK_TIMEOUT.name}' must be a positive number of seconds, "
                f"not {timeout!r}.", file=self.context.config.source, key=HOOK_TIMEOUT.name)
        self._timeout = timeout
        self._scripts: HookScripts = find_scripts(self.directory)
        for driver, paths in sorted(self._scripts.by_driver.items()):
            self.context.logger.info("Hook scripts for %s: %s", driver,
                                     ", ".join(str(path) for path in paths))

    def _run(self, call: HookCall) -> list[HookFailure]:
        """Run every script of ``call.driver``, all of them even after a failure (libvirt)."""
        failures = []
        for script in self._scripts.scripts(call.driver):
            failure = run_hook(script, call, self._timeout)
            if failure is None:
                continue
            failures.append(failure)
            self.context.logger.error("%s", failure.message)
            if not call.aborts:
                self.context.emit(HOOK_OBJECT_TYPE, str(script), FAILED_EVENT,
                                  failure.message)
        return failures
