"""Building the plugin manager from corrald.conf: enabling, settings, hookspec checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from corral.core import (
    ConfigError,
    ConfigKey,
    CorralError,
    Driver,
    DriverContext,
    ErrorDomain,
    HostPaths,
)
from corral.core.hookspecs import hookimpl
from corral.core.host import PLUGIN_GROUP, Host, Registry

PATHS = HostPaths.under_root("/nonexistent-root")


class Settled:
    """A class plugin: created with a PluginContext, declares one setting."""

    config_keys = (ConfigKey("settled_word", "string", "hello"),)

    def __init__(self, context) -> None:
        self.context = context

    @hookimpl
    def corral_spawn_check(self, spawn) -> None:
        return None


def open_host(tmp_path: Path, conf: str, **plugins: object) -> Host:
    path = tmp_path / "corrald.conf"
    path.write_text(conf)
    return Host.open(Registry.for_test(plugins=plugins), PATHS, path, privileged=False)


def test_only_enabled_plugins_are_registered_with_their_settings(tmp_path: Path) -> None:
    host = open_host(tmp_path, 'plugins = ["settled"]\nsettled_word = "hi"\n',
                     settled=Settled, idle=Settled)
    plugin = host.plugins.get_plugin("settled")
    assert isinstance(plugin, Settled) and host.plugins.get_plugin("idle") is None
    assert plugin.context.name == "settled" and plugin.context.paths == PATHS
    assert plugin.context.config.string("settled_word") == "hi"
    assert plugin.context.logger.name == "corral.plugins.settled"


def test_a_disabled_plugins_setting_is_still_a_known_key(tmp_path: Path) -> None:
    host = open_host(tmp_path, 'settled_word = "quiet"\n', settled=Settled)
    assert host.plugins.get_plugins() == set()
    assert host.config["settled_word"] == "quiet"


def test_enabling_a_plugin_nobody_provides_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"corrald.conf: the setting 'plugins' names 'audti', "
                                          r"but no installed distribution provides that plugin "
                                          r"\(known: settled\)"):
        open_host(tmp_path, 'plugins = ["audti"]\n', settled=Settled)


class Misspelt:
    @hookimpl
    def corral_spwan_check(self, spawn) -> None:
        return None


class WrongArguments:
    @hookimpl
    def corral_lifecycle_event(self, evnt) -> None:
        return None


class PlainSpawn:
    @hookimpl
    def corral_spawn(self, spawn) -> None:
        return None


class HistoricWrapper:
    @hookimpl(wrapper=True)
    def corral_driver_registered(self, name):
        yield


@pytest.mark.parametrize(
    ("plugin", "hook", "words"),
    [
        (Misspelt, "corral_spwan_check", "which is not a corral hookspec"),
        (WrongArguments, "corral_lifecycle_event", "Argument(s) {'evnt'}"),
        (PlainSpawn, "corral_spawn", "must be declared @hookimpl(wrapper=True)"),
        (HistoricWrapper, "corral_driver_registered", "historic incompatible"),
    ],
)
def test_hookspec_violations_name_the_plugin_and_the_hook(
    tmp_path: Path, plugin: type, hook: str, words: str
) -> None:
    with pytest.raises(CorralError) as caught:
        open_host(tmp_path, 'plugins = ["bad"]\n', bad=plugin)
    message = str(caught.value)
    assert message.startswith("The corral.plugins entry point 'bad' = ")
    assert "breaks corral's plugin contract" in message
    assert hook in message and words in message
    assert caught.value.domain == ErrorDomain.PLUGIN and caught.value.detail["plugin"] == "bad"


def test_a_plugin_whose_constructor_fails_names_the_entry_point(tmp_path: Path) -> None:
    class Grumpy:
        def __init__(self, context) -> None:
            raise ValueError("no mood today")

    with pytest.raises(CorralError, match="'grumpy' = .*Grumpy failed to start: ValueError: "
                                          "no mood today") as caught:
        open_host(tmp_path, 'plugins = ["grumpy"]\n', grumpy=Grumpy)
    assert caught.value.domain == ErrorDomain.PLUGIN


def test_a_broken_plugin_distribution_names_the_cause(tmp_path: Path, make_distribution) -> None:
    make_distribution("spelling-corral", {PLUGIN_GROUP: {"speller": "speller_mod"}},
                      {"speller_mod": "from corral.core.hookspecs import hookimpl\n"
                                      "@hookimpl\ndef corral_spawn_chek(spawn):\n    pass\n"})
    path = tmp_path / "corrald.conf"
    path.write_text('plugins = ["speller"]\n')
    with pytest.raises(CorralError, match=r"The corral.plugins entry point 'speller' = speller_mod "
                                          r"from spelling-corral 1.0 breaks corral's plugin "
                                          r"contract: it implements 'corral_spawn_chek'"):
        Host.open(Registry.discover(), PATHS, path, privileged=False)


def test_the_daemon_adds_its_own_settings(tmp_path: Path) -> None:
    path = tmp_path / "corrald.conf"
    path.write_text("max_clients = 7\n")
    keys = (ConfigKey("max_clients", "int", 5000),)
    host = Host.open(Registry.for_test(), PATHS, path, privileged=False, extra_keys=keys)
    assert host.config["max_clients"] == 7
    with pytest.raises(ConfigError, match="unknown setting 'max_clients'"):
        Host.open(Registry.for_test(), PATHS, path, privileged=False)


class Grabby:
    """Declares a setting named like the core's own plugin list."""

    config_keys = (ConfigKey("plugins", "string", ""),)


def test_two_owners_of_one_setting_is_a_loud_error_naming_both(tmp_path: Path) -> None:
    with pytest.raises(CorralError, match=r"plugin 'grabby' declares the corrald.conf setting "
                                          r"'plugins', which corral itself already declares") as e:
        open_host(tmp_path, "", grabby=Grabby)
    assert e.value.domain == ErrorDomain.PLUGIN


class Copycat:
    """Declares a setting of the same name as Settled's, with a meaning of its own."""

    config_keys = (ConfigKey("settled_word", "int", 0),)


def test_two_plugins_declaring_one_setting_name_both_plugins(tmp_path: Path) -> None:
    with pytest.raises(CorralError, match=r"plugin '(settled|copycat)' declares the corrald.conf "
                                          r"setting 'settled_word', which the plugin "
                                          r"'(settled|copycat)' already declares"):
        open_host(tmp_path, "", settled=Settled, copycat=Copycat)


class Tunable(Driver):
    """A driver declaring a setting of its own, read from its context."""

    config_keys = (ConfigKey("tunable_level", "int", 3),)

    def initialize(self, context: DriverContext) -> None:
        super().initialize(context)
        self.level = context.config["tunable_level"]


def test_a_driver_declares_settings_like_a_plugin(tmp_path: Path) -> None:
    path = tmp_path / "corrald.conf"
    path.write_text("tunable_level = 9\n")
    host = Host.open(Registry.for_test(drivers={"tunable": Tunable}), PATHS, path,
                     privileged=False)
    assert host.start_driver("tunable").level == 9  # type: ignore[attr-defined]
    host.shutdown()
    path.write_text("")
    default = Host.open(Registry.for_test(drivers={"tunable": Tunable}), PATHS, path)
    assert default.config["tunable_level"] == 3


class Rival(Driver):
    config_keys = (ConfigKey("settled_word", "int", 0),)


def test_a_driver_and_a_plugin_declaring_one_setting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrald.conf"
    path.write_text("")
    with pytest.raises(CorralError, match=r"driver 'rival' declares the corrald.conf setting "
                                          r"'settled_word', which the plugin 'settled' "
                                          r"already declares"):
        Host.open(Registry.for_test(drivers={"rival": Rival}, plugins={"settled": Settled}),
                  PATHS, path)
