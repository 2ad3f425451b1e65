"""Build the pluggy plugin manager from the registry and corrald.conf, validating loudly.

A plugin entry point points at either a *class* or a ready object (usually a module):

- a class is instantiated with a :class:`~corral.core.PluginContext` (its name, the
  checked settings, the host's paths and a logger), so its state lives in the instance,
  never in globals (a class without an ``__init__`` of its own is instantiated with no
  argument);
- anything else is registered as it is.

Either may declare ``config_keys`` (a tuple of :class:`~corral.core.ConfigKey`): the
settings it reads from corrald.conf. Only the plugins named by the ``plugins`` setting are
registered. Each registration is validated at once: a hookimpl whose name is no corral
hookspec, whose arguments the spec does not have, or a ``corral_spawn`` that is not a
wrapper is a :class:`~corral.core.CorralError` naming the plugin and the hook.
"""

from __future__ import annotations

import logging
from typing import Any

import pluggy
from corral.core import hookspecs
from corral.core._errors import ConfigError, CorralError, ErrorCode, ErrorDomain
from corral.core._paths import HostPaths
from corral.core._plugin_context import PluginContext
from corral.core._settings import Config, ConfigKey
from corral.core.host._config import CORE_CONFIG_KEYS
from corral.core.host._registry import DRIVER_GROUP, PLUGIN_GROUP, Registry, wrap_failure

__all__ = ["config_keys", "driver_plugin_name", "has_hookimpls", "load_plugins",
           "new_plugin_manager", "register_plugin"]


def config_keys(registry: Registry) -> tuple[ConfigKey, ...]:
    """Return the core's settings plus those every found plugin and driver declares.

    A plugin or a driver class declares them as ``config_keys`` (the hook-script runner's
    ``hook_timeout``); a driver reads them from its context's ``config``.

    Raises:
        CorralError: If two owners (the core, plugins or drivers) declare the same setting
            name: one would silently take the other's value.
    """
    owners = {key.name: "corral itself" for key in CORE_CONFIG_KEYS}
    keys = {key.name: key for key in CORE_CONFIG_KEYS}
    for group, kind in ((PLUGIN_GROUP, "plugin"), (DRIVER_GROUP, "driver")):
        for name in registry.names(group):
            for key in getattr(registry.load(group, name), "config_keys", ()):
                if keys.get(key.name) is key:
                    continue  # one object offered under two entry-point names
                if key.name in owners:
                    raise CorralError(
                        f"The {kind} '{name}' declares the corrald.conf setting "
                        f"'{key.name}', which {owners[key.name]} already declares; a "
                        f"{kind}'s settings need names of their own (for example "
                        f"'{name}_{key.name}').",
                        domain=ErrorDomain.PLUGIN,
                        code=ErrorCode.CONFIG_UNSUPPORTED,
                        **{kind: name},
                        key=key.name,
                    )
                owners[key.name] = f"the {kind} '{name}'"
                keys[key.name] = key
    return tuple(keys.values())


def new_plugin_manager() -> pluggy.PluginManager:
    """Return an empty plugin manager that knows corral's hookspecs."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def load_plugins(registry: Registry, config: Config, paths: HostPaths) -> pluggy.PluginManager:
    """Return a plugin manager with every plugin ``config["plugins"]`` enables registered.

    Raises:
        ConfigError: If the settings name a plugin no entry point provides.
        CorralError: If a plugin fails to start or breaks the hookspecs (domain plugin).
    """
    manager = new_plugin_manager()
    known = registry.names(PLUGIN_GROUP)
    for name in config.strings("plugins"):
        if name not in known:
            raise ConfigError(
                f"{config.source or 'The configuration'}: the setting 'plugins' names "
                f"'{name}', but no installed distribution provides that plugin "
                f"(known: {', '.join(known) or 'none'}).",
                file=config.source, key="plugins", name=name,
            )
        plugin = _instantiate(registry, name, config, paths)
        register_plugin(manager, name, plugin, registry)
    manager.check_pending()  # belt and braces: register_plugin already refused unknown hooks
    return manager


def register_plugin(
    manager: pluggy.PluginManager, name: str, plugin: object, registry: Registry | None = None
) -> None:
    """Register ``plugin`` under ``name`` and validate its hookimpls against the hookspecs.

    Args:
        manager: The plugin manager (see :func:`new_plugin_manager`).
        name: The plugin's name.
        plugin: The object holding the hookimpls.
        registry: Where ``name`` was found, so that an error names its entry point.

    Raises:
        CorralError: Naming the plugin and the offending hook (domain plugin).
    """
    try:
        manager.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise _invalid(registry, name, str(exc).replace("\n", "; ")) from exc
    for caller in manager.get_hookcallers(plugin) or ():
        if not caller.has_spec():
            manager.unregister(plugin)
            raise _invalid(registry, name, f"it implements '{caller.name}', which is not a "
                           "corral hookspec (see corral.core.hookspecs)", hook=caller.name)
    for impl in manager.hook.corral_spawn.get_hookimpls():
        if impl.plugin is plugin and not impl.wrapper:
            manager.unregister(plugin)
            raise _invalid(registry, name, "its corral_spawn hookimpl must be declared "
                           "@hookimpl(wrapper=True) and yield once", hook="corral_spawn")


def has_hookimpls(target: object) -> bool:
    """Return True when ``target``'s class (or ``target``) defines a corral hookimpl."""
    marker = f"{hookspecs.PROJECT}_impl"
    owner = target if isinstance(target, type) else type(target)
    return any(hasattr(value, marker) for klass in owner.__mro__ for value in vars(klass).values())


def driver_plugin_name(driver: str) -> str:
    """Return the plugin name a driver holding hookimpls is registered under."""
    return f"driver:{driver}"


def _instantiate(registry: Registry, name: str, config: Config, paths: HostPaths) -> object:
    target = registry.load(PLUGIN_GROUP, name)
    if not isinstance(target, type):
        return target
    context = PluginContext(name, config, paths, logging.getLogger(f"corral.plugins.{name}"))
    try:
        # A class that defines no __init__ needs no context (and object() would refuse one).
        return target() if "__init__" not in _own_attributes(target) else target(context)
    except Exception as exc:
        raise wrap_failure(exc, f"The {_describe(registry, name)} failed to start",
                           ErrorDomain.PLUGIN, plugin=name) from exc


def _describe(registry: Registry | None, name: str) -> str:
    # Only on an error path: the entry point's distribution costs a metadata scan, which
    # the registry defers until someone asks (see Registry.info).
    if registry is None:
        return f"plugin '{name}'"
    return registry.info(PLUGIN_GROUP, name).describe()


def _invalid(registry: Registry | None, name: str, why: str, **detail: Any) -> CorralError:
    return CorralError(
        f"The {_describe(registry, name)} breaks corral's plugin contract: {why}.",
        domain=ErrorDomain.PLUGIN, code=ErrorCode.INTERNAL_ERROR, plugin=name, **detail,
    )


def _own_attributes(target: type) -> set[str]:
    """Names defined by ``target`` or a base class other than ``object``."""
    return {name for klass in target.__mro__ if klass is not object for name in vars(klass)}
