"""The driver contract: paths, lifecycle through Host, named operations, events."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from corral.core import (
    Command,
    ConfigError,
    ConfigKey,
    CorralError,
    Driver,
    DriverContext,
    ErrorCode,
    ErrorDomain,
    HostPaths,
    NoSupportError,
    SpawnRecord,
    operation,
)
from corral.core.hookspecs import LifecycleEvent, hookimpl
from corral.core.host import Host, Registry, load_config


class Counter(Driver):
    """A driver with two operations and a log of its lifecycle."""

    domain = ErrorDomain.NODE
    log: list[str]

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.log = [f"initialize {context.name}"]
        context.emit("counter", "c1", "started", "boot")

    @operation
    def counter_add(self, a: int, b: int) -> int:
        return a + b

    @operation
    def counter_list(self) -> list[str]:
        return ["c1"]

    def helper_not_an_operation(self) -> None:
        raise AssertionError("never dispatched")

    def reload(self) -> None:
        self.log.append("reload")

    def shutdown(self) -> None:
        self.log.append("shutdown")
        SHUTDOWNS.append(self.context.name)


SHUTDOWNS: list[str] = []


class Failing(Driver):
    def initialize(self, context: DriverContext) -> None:
        raise OSError(19, "No such device", "/dev/corral")


class Misconfigured(Driver):
    def initialize(self, context: DriverContext) -> None:
        raise ConfigError("networks/x.xml:3: bad.", file="networks/x.xml", line=3)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[object] = []

    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        self.seen.append(event)

    @hookimpl
    def corral_driver_registered(self, name: str, driver: object) -> None:
        self.seen.append((name, type(driver).__name__))


def make_host(tmp_path: Path, **drivers: type[Driver]) -> Host:
    registry = Registry.for_test(drivers=drivers)
    return Host.open(registry, HostPaths.under_root(tmp_path), privileged=False)


def test_system_layout_under_a_root(tmp_path: Path) -> None:
    paths = HostPaths.resolve(tmp_path)
    assert paths == HostPaths(tmp_path / "etc/corral", tmp_path / "var/lib/corral",
                              tmp_path / "run/corral")
    assert HostPaths.resolve(privileged=True) == HostPaths(
        Path("/etc/corral"), Path("/var/lib/corral"), Path("/run/corral"))


def test_session_layout_follows_xdg() -> None:
    env = {"HOME": "/home/u", "XDG_CONFIG_HOME": "/c", "XDG_RUNTIME_DIR": "/run/user/7"}
    assert HostPaths.resolve(privileged=False, environ=env) == HostPaths(
        Path("/c/corral"), Path("/home/u/.local/state/corral"), Path("/run/user/7/corral"))
    # Like libvirt, no runtime directory falls back to the cache directory.
    assert HostPaths.session({"HOME": "/home/u"}).runtime == Path("/home/u/.cache/corral")


def test_operations_are_the_marked_methods_with_dashes() -> None:
    assert Counter.operations() == {"counter-add", "counter-list"}
    assert Driver.operations() == frozenset()


def test_call_dispatches_and_refuses_what_the_driver_lacks(tmp_path: Path) -> None:
    host = make_host(tmp_path, counter=Counter)
    driver = host.start_driver("counter")
    assert driver.call("counter-add", a=2, b=3) == 5
    with pytest.raises(NoSupportError) as caught:
        driver.call("helper-not-an-operation")
    assert str(caught.value) == ("The driver 'counter' does not support the operation "
                                 "'helper-not-an-operation' (it offers: counter-add, "
                                 "counter-list).")
    assert caught.value.code == ErrorCode.NO_SUPPORT and caught.value.domain == ErrorDomain.NODE


def test_a_driver_used_before_initialize_says_so() -> None:
    with pytest.raises(CorralError, match="used before initialize"):
        _ = Counter().context


def test_the_context_carries_paths_events_logger_and_settings(tmp_path: Path) -> None:
    host = make_host(tmp_path, counter=Counter)
    context = host.start_driver("counter").context
    assert context.paths.state == tmp_path / "var/lib/corral"
    assert context.config is host.config
    # A driver gets an event sink, never the plugin manager itself.
    assert not hasattr(context, "plugins") and callable(context.events.emit)
    assert context.logger is logging.getLogger("corral.drivers.counter")
    assert context.privileged is False


def test_lifecycle_reload_and_reverse_shutdown(tmp_path: Path) -> None:
    host = make_host(tmp_path, first=Counter, second=Counter)
    SHUTDOWNS.clear()
    host.start_drivers(["first", "second"])
    host.reload()
    host.shutdown()
    assert SHUTDOWNS == ["second", "first"] and host.drivers == {}


class Rereader(Driver):
    """Re-reads its configuration on reload by running a command (as dnsmasq's SIGHUP)."""

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1
        Command("true", "reload", self.context.name).run()


class SpawnLog:
    def __init__(self) -> None:
        self.argv: list[tuple[str, ...]] = []

    @hookimpl
    def corral_spawn_check(self, spawn: SpawnRecord) -> None:
        self.argv.append(spawn.argv)


def test_reload_asks_every_running_driver_once_with_the_plugins_watching(
    tmp_path: Path,
) -> None:
    host = make_host(tmp_path, first=Rereader, second=Rereader, idle=Rereader)
    spawns = SpawnLog()
    host.plugins.register(spawns)
    host.start_drivers(["first", "second"])
    host.reload()
    assert {name: driver.reloads for name, driver in host.drivers.items()} == {
        "first": 1, "second": 1}
    # Its commands pass through the plugins like an operation's (the spawn monitor is on).
    assert spawns.argv == [("true", "reload", "first"), ("true", "reload", "second")]
    host.reload()
    assert [driver.reloads for driver in host.drivers.values()] == [2, 2]


def test_events_and_registrations_reach_plugins_even_late_ones(tmp_path: Path) -> None:
    host = make_host(tmp_path, counter=Counter)
    early = Recorder()
    host.plugins.register(early)
    host.start_driver("counter")
    late = Recorder()
    host.plugins.register(late)  # corral_driver_registered is historic: replayed
    assert early.seen == [LifecycleEvent("counter", "c1", "started", "boot", driver="counter"),
                          ("counter", "Counter")]
    assert late.seen == [("counter", "Counter")]


def test_an_unknown_driver_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoSupportError, match="There is no driver named 'netwrk'.*known: counter"):
        make_host(tmp_path, counter=Counter).start_driver("netwrk")


def test_a_failing_initialize_names_the_entry_point_and_the_cause(tmp_path: Path) -> None:
    with pytest.raises(CorralError) as caught:
        make_host(tmp_path, broken=Failing).start_driver("broken")
    assert str(caught.value).startswith("The corral.drivers entry point 'broken' = ")
    assert "Failing failed to initialize: OSError: [Errno 19] No such device" in str(caught.value)
    assert caught.value.domain == ErrorDomain.REGISTRY
    assert isinstance(caught.value.__cause__, OSError)


def test_a_corral_error_from_initialize_keeps_its_class(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="failed to initialize: networks/x.xml:3: bad.") as c:
        make_host(tmp_path, odd=Misconfigured).start_driver("odd")
    assert c.value.detail["line"] == 3 and c.value.detail["driver"] == "odd"


def test_start_drivers_rolls_back_when_one_fails(tmp_path: Path) -> None:
    host = make_host(tmp_path, good=Counter, broken=Failing)
    SHUTDOWNS.clear()
    with pytest.raises(CorralError, match="'broken'"):
        host.start_drivers(["good", "broken"])
    assert SHUTDOWNS == ["good"] and host.drivers == {}


def test_host_call_runs_an_operation_of_a_running_driver(tmp_path: Path) -> None:
    host = make_host(tmp_path, counter=Counter)
    with pytest.raises(NoSupportError, match="The driver 'counter' is not running "
                                             r"\(running: none\)"):
        host.call("counter", "counter-list")
    host.start_driver("counter")
    assert host.call("counter", "counter-add", a=1, b=41) == 42


def test_starting_a_running_driver_again_is_refused(tmp_path: Path) -> None:
    host = make_host(tmp_path, counter=Counter)
    first = host.start_driver("counter")
    with pytest.raises(CorralError, match="The driver 'counter' is already running.") as caught:
        host.start_driver("counter")
    assert caught.value.code == ErrorCode.OPERATION_INVALID
    assert host.drivers == {"counter": first}  # the first one is still the one shut down


class BrokenObserver:
    @hookimpl
    def corral_lifecycle_event(self, event: LifecycleEvent) -> None:
        raise ValueError(f"cannot log {event.name}")


class BrokenRegistrar:
    @hookimpl
    def corral_driver_registered(self, name: str, driver: object) -> None:
        raise KeyError(name)


def test_a_plugin_failing_on_an_event_or_a_registration_is_named(tmp_path: Path) -> None:
    host = make_host(tmp_path, counter=Counter)
    host.plugins.register(BrokenObserver(), name="observer")
    with pytest.raises(CorralError) as caught:
        host.start_driver("counter")  # initialize() emits "started"
    assert str(caught.value).endswith(
        "failed to initialize: The corral_lifecycle_event hookimpl of the plugin 'observer' "
        "failed with ValueError: cannot log c1")
    assert caught.value.domain == ErrorDomain.PLUGIN
    host.plugins.unregister(name="observer")
    host.plugins.register(BrokenRegistrar(), name="registrar")
    with pytest.raises(CorralError, match="corral_driver_registered hookimpl of the plugin "
                                          "'registrar' failed with KeyError: 'counter'"):
        host.start_driver("counter")


class Limited(Driver):
    """Reads a setting of its own in reload(), as the hooks driver reads hook_timeout."""

    config_keys = (ConfigKey("limited_max", "int", 8, "A test limit."),)

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.seen = [context.config.get("limited_max")]

    def reload(self) -> None:
        self.seen.append(self.context.config.get("limited_max"))


def test_reload_hands_the_settings_read_again_to_every_driver(tmp_path: Path) -> None:
    host = make_host(tmp_path, limited=Limited)
    driver = host.start_driver("limited")
    assert isinstance(driver, Limited)
    conf = tmp_path / "corrald.conf"
    conf.write_text("limited_max = 3\n")
    new = load_config(conf, host.config_keys())
    host.reload(new)
    assert driver.seen == [8, 3] and host.config is new
    assert driver.context.name == "limited"  # the rest of the context is kept
    host.reload()  # no settings given: those in force
    assert driver.seen == [8, 3, 3]
    assert [key.name for key in host.config_keys()][-1] == "limited_max"
