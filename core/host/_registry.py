"""Find drivers, plugins and definition kinds through entry points, loudly.

:meth:`Registry.discover` asks stevedore for the ``corral.drivers``, ``corral.plugins``
and ``corral.definitions`` groups once and keeps what it loaded in
the registry object (the daemon owns it; there is no module-level cache here). stevedore
logs and *skips* an entry point that fails to import unless it is given a failure
callback, so corral always passes one that raises: a broken driver or plugin stops the
daemon with a :class:`~corral.core.CorralError` naming the entry point, its distribution
and the cause, instead of silently going missing.

Each entry point's distribution, version and origin come from :mod:`importlib.metadata`
(:meth:`Registry.entries`, the installed entry points by group).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from corral.core._driver import Driver
from corral.core._errors import CorralError, ErrorCode, ErrorDomain, NoSupportError

if TYPE_CHECKING:
    import importlib.metadata

    from corral.core.xml import Definition, DefinitionLoader
    from lxml import etree
    from stevedore import ExtensionManager

__all__ = ["DEFINITION_GROUP", "DRIVER_GROUP", "GROUPS", "PLUGIN_GROUP", "EntryPointInfo",
           "Registry", "wrap_failure"]

DRIVER_GROUP = "corral.drivers"
PLUGIN_GROUP = "corral.plugins"
# Root element name -> the driver's loader (a corral.core.xml.DefinitionLoader).
DEFINITION_GROUP = "corral.definitions"
GROUPS = (DRIVER_GROUP, PLUGIN_GROUP, DEFINITION_GROUP)

_KINDS = {DRIVER_GROUP: "driver", PLUGIN_GROUP: "plugin", DEFINITION_GROUP: "definition kind"}


@dataclasses.dataclass(frozen=True)
class EntryPointInfo:
    """Where one driver, plugin or definition kind came from.

    Attributes:
        group: The entry-point group (``corral.drivers``).
        name: The user-visible name (``network``).
        value: What it points at (``corral.drivers.network:NetworkDriver``).
        distribution: The distribution that declares it, when known.
        version: That distribution's version, when known.
        origin: Where the distribution lives (a ``file://`` URL for a direct or editable
            install, else its site directory), when known.
    """

    group: str
    name: str
    value: str
    distribution: str | None = None
    version: str | None = None
    origin: str | None = None

    def describe(self) -> str:
        """Return ``group entry point 'name' = value (from dist version)`` for messages."""
        source = f" from {self.distribution} {self.version}" if self.distribution else ""
        return f"{self.group} entry point '{self.name}' = {self.value}{source}"


@dataclasses.dataclass(frozen=True)
class _Found:
    target: Any
    info: EntryPointInfo


class Registry:
    """What was found in each entry-point group: loaded targets plus provenance.

    Build it with :meth:`discover` (real entry points) or :meth:`for_test`.

    Args:
        found: For each group, the loaded target and its :class:`EntryPointInfo` by name.
    """

    def __init__(self, found: Mapping[str, Mapping[str, tuple[Any, EntryPointInfo]]],
                 *, provenance_pending: bool = False) -> None:
        self._found = {
            group: {name: _Found(*pair) for name, pair in found.get(group, {}).items()}
            for group in GROUPS
        }
        # Distribution, version and origin cost a metadata scan per group: they are looked
        # up the first time someone asks (a listing, an error message), not at start-up.
        self._provenance_pending = provenance_pending

    @classmethod
    def discover(cls, groups: Iterable[str] = GROUPS) -> Registry:
        """Load every entry point of ``groups`` through stevedore, raising on any failure.

        The scan happens once per process: stevedore caches each group's entry points and
        Python caches the imported modules, so a second ``discover()`` (a daemon reload,
        a test) costs only the building of a new registry. The daemon owns its registry;
        there is no module-level one.

        Raises:
            CorralError: If an entry point fails to import or two share a name (domain
                registry), naming the entry point and the cause.
        """
        # Imported here, not at the top: stevedore and importlib.metadata cost ~40 ms, which
        # every `import corral.core` (each engine user) would pay for nothing.
        from stevedore import ExtensionManager

        found: dict[str, dict[str, tuple[Any, EntryPointInfo]]] = {}
        for group in groups:
            manager: ExtensionManager[Any] = ExtensionManager(
                group, on_load_failure_callback=_raise_load_failure)
            found[group] = {}
            for extension in manager.extensions:
                info = EntryPointInfo(group, extension.name, extension.entry_point_target)
                if extension.name in found[group]:
                    raise _duplicate(found[group][extension.name][1], info)
                found[group][extension.name] = (extension.plugin, info)
        return cls(found, provenance_pending=True)

    @classmethod
    def for_test(
        cls,
        *,
        drivers: Mapping[str, Any] | None = None,
        plugins: Mapping[str, Any] | None = None,
        definitions: Mapping[str, Any] | None = None,
    ) -> Registry:
        """Build a registry from objects given by name, scanning no entry points."""
        given = {DRIVER_GROUP: drivers, PLUGIN_GROUP: plugins, DEFINITION_GROUP: definitions}
        return cls({
            group: {name: (target, _test_info(group, name, target))
                    for name, target in (targets or {}).items()}
            for group, targets in given.items()
        })

    def names(self, group: str) -> list[str]:
        """Return the sorted names found in ``group``."""
        return sorted(self._found.get(group, {}))

    def entries(self, group: str | None = None) -> list[EntryPointInfo]:
        """Return the provenance of everything found, or of one group, sorted by name."""
        self._complete_provenance()
        groups = GROUPS if group is None else (group,)
        return [self._found[g][name].info for g in groups for name in self.names(g)]

    def info(self, group: str, name: str) -> EntryPointInfo:
        """Return where ``name`` in ``group`` came from (see :meth:`load` for errors)."""
        self._complete_provenance()
        return self._lookup(group, name).info

    def load(self, group: str, name: str) -> Any:
        """Return the object the entry point ``name`` of ``group`` points at.

        Raises:
            NoSupportError: If nothing of that name was found, naming the known ones.
        """
        return self._lookup(group, name).target

    def driver_class(self, name: str) -> type[Driver]:
        """Return the driver class registered as ``name``.

        Raises:
            NoSupportError: If no driver has that name.
            CorralError: If the entry point is not a :class:`Driver` subclass.
        """
        target = self.load(DRIVER_GROUP, name)
        if not (isinstance(target, type) and issubclass(target, Driver)):
            raise CorralError(
                f"The {self.info(DRIVER_GROUP, name).describe()} is not a subclass of "
                "corral.core.Driver.",
                domain=ErrorDomain.REGISTRY, code=ErrorCode.INTERNAL_ERROR,
                group=DRIVER_GROUP, name=name,
            )
        return target

    def definition_loader(
        self, root: etree._Element, *, file: str | None = None
    ) -> DefinitionLoader[Definition]:
        """Return the loader of the definition kind whose root element ``root`` is.

        Raises:
            XMLError: No ``corral.definitions`` entry point is named after the element
                (namespaced elements never are), naming the kinds there are.
        """
        # Imported here: the XML toolkit (lxml) is not for every `import corral.core`.
        from corral.core.xml import element_name, line_of, rule_error

        kinds = self.names(DEFINITION_GROUP)
        if root.tag not in kinds:
            rule = f"the root element '{element_name(root)}' is {_none_of(kinds)}"
            raise rule_error(file, line_of(root), rule)
        loader: DefinitionLoader[Definition] = self.load(DEFINITION_GROUP, str(root.tag))
        return loader

    def _complete_provenance(self) -> None:
        if not self._provenance_pending:
            return
        self._provenance_pending = False
        for group, items in self._found.items():
            known = _provenance(group) if items else {}
            for name, item in items.items():
                info = known.get((name, item.info.value), item.info)
                items[name] = _Found(item.target, info)

    def _lookup(self, group: str, name: str) -> _Found:
        found = self._found.get(group, {})
        if name not in found:
            kind = _KINDS.get(group, group)
            known = ", ".join(sorted(found)) or "none"
            raise NoSupportError(
                f"There is no {kind} named '{name}' (entry-point group {group}); "
                f"known: {known}.",
                domain=ErrorDomain.REGISTRY, group=group, name=name, known=sorted(found),
            )
        return found[name]


def _raise_load_failure(
    manager: ExtensionManager[Any], entry_point: importlib.metadata.EntryPoint,
    exc: BaseException,
) -> None:
    # stevedore's default is to log and skip: a missing driver must stop the daemon instead.
    info = _provenance(entry_point.group).get((entry_point.name, entry_point.value)) or \
        EntryPointInfo(entry_point.group, entry_point.name, entry_point.value)
    raise CorralError(
        f"Cannot load the {info.describe()}: {type(exc).__name__}: {exc}",
        domain=ErrorDomain.REGISTRY, code=ErrorCode.INTERNAL_ERROR,
        group=info.group, name=info.name, value=info.value, distribution=info.distribution,
    ) from exc


def wrap_failure(exc: Exception, what: str, domain: str, **detail: Any) -> CorralError:
    """Return an error saying ``what`` failed because of ``exc``; raise it ``from exc``.

    A CorralError keeps its class, domain, code and detail (a ConfigError stays a
    ConfigError, a subclass with a constructor of its own too); anything else becomes a
    CorralError of ``domain``, INTERNAL_ERROR.
    """
    if isinstance(exc, CorralError):
        return exc.with_message(f"{what}: {exc.message}", **detail)
    return CorralError(f"{what}: {type(exc).__name__}: {exc}", domain=domain,
                       code=ErrorCode.INTERNAL_ERROR, **detail)


def _none_of(kinds: list[str]) -> str:
    names = [f"<{kind}>" for kind in kinds]
    if not names:
        return f"no installed definition kind (entry-point group {DEFINITION_GROUP} is empty)"
    if len(names) == 1:
        return f"not {names[0]}"
    if len(names) == 2:
        return f"neither {names[0]} nor {names[1]}"
    return f"none of {', '.join(names[:-1])} and {names[-1]}"


def _duplicate(first: EntryPointInfo, second: EntryPointInfo) -> CorralError:
    known = _provenance(first.group)
    first = known.get((first.name, first.value), first)
    second = known.get((second.name, second.value), second)
    return CorralError(
        f"Two {first.group} entry points are named '{first.name}': {first.describe()} "
        f"and {second.describe()}; uninstall one of them.",
        domain=ErrorDomain.REGISTRY, code=ErrorCode.INTERNAL_ERROR,
        group=first.group, name=first.name,
    )


def _provenance(group: str) -> dict[tuple[str, str], EntryPointInfo]:
    """Map (name, value) to provenance; stevedore's cached entry points lack ``.dist``."""
    import importlib.metadata  # see Registry.discover: kept off the import path

    result: dict[tuple[str, str], EntryPointInfo] = {}
    for entry_point in importlib.metadata.entry_points(group=group):
        dist = entry_point.dist
        result.setdefault((entry_point.name, entry_point.value), EntryPointInfo(
            group, entry_point.name, entry_point.value,
            dist.metadata["Name"] if dist else None,
            dist.version if dist else None,
            _origin(dist) if dist else None,
        ))
    return result


def _origin(dist: importlib.metadata.Distribution) -> str:
    try:
        url = json.loads(dist.read_text("direct_url.json") or "{}").get("url")
    except ValueError:
        url = None
    return str(url) if url else str(dist.locate_file(""))


def _test_info(group: str, name: str, target: Any) -> EntryPointInfo:
    module = getattr(target, "__module__", None) or getattr(target, "__name__", "?")
    qualname = getattr(target, "__qualname__", None)
    value = f"{module}:{qualname}" if qualname and isinstance(target, type) else str(module)
    return EntryPointInfo(group, name, value, origin="test")
