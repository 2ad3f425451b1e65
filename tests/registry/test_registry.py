"""Discovery through real entry points: provenance, loud failures, clear lookups."""

from __future__ import annotations

import importlib.metadata
import json
import tomllib
from pathlib import Path

import pytest
from corral.core import CorralError, Driver, ErrorCode, ErrorDomain, NoSupportError
from corral.core.host import DRIVER_GROUP, PLUGIN_GROUP, Registry

ROOT = Path(__file__).resolve().parents[2]
GOOD_DRIVER = "from corral.core import Driver\nclass Good(Driver):\n    pass\n"


def test_discover_loads_entry_points_with_their_provenance(make_distribution) -> None:
    site = make_distribution(
        "acme-corral", {DRIVER_GROUP: {"acme": "acme_mod:Good"},
                        PLUGIN_GROUP: {"acmeplug": "acme_mod"}},
        {"acme_mod": GOOD_DRIVER}, version="2.5",
    )
    registry = Registry.discover()
    driver = registry.driver_class("acme")
    assert issubclass(driver, Driver) and driver.__name__ == "Good"
    assert registry.load(PLUGIN_GROUP, "acmeplug").__name__ == "acme_mod"
    info = registry.info(DRIVER_GROUP, "acme")
    assert (info.distribution, info.version, info.value) == ("acme-corral", "2.5", "acme_mod:Good")
    assert info.origin == str(site)
    assert info in registry.entries() and info in registry.entries(DRIVER_GROUP)
    assert "acme" in registry.names(DRIVER_GROUP)


def test_a_module_that_fails_to_import_stops_discovery(make_distribution) -> None:
    make_distribution("broken-corral", {DRIVER_GROUP: {"broken": "broken_mod:Driver"}},
                      {"broken_mod": "raise RuntimeError('no such device')\n"})
    with pytest.raises(CorralError) as caught:
        Registry.discover()
    message = str(caught.value)
    assert ("corral.drivers entry point 'broken' = broken_mod:Driver from broken-corral 1.0"
            in message)
    assert "RuntimeError: no such device" in message
    assert caught.value.domain == ErrorDomain.REGISTRY
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_missing_attribute_stops_discovery(make_distribution) -> None:
    make_distribution("typo-corral", {PLUGIN_GROUP: {"typo": "typo_mod:Plugn"}},
                      {"typo_mod": "class Plugin: pass\n"})
    with pytest.raises(CorralError, match=r"Cannot load the corral.plugins entry point 'typo' = "
                                          r"typo_mod:Plugn from typo-corral 1.0: AttributeError"):
        Registry.discover()


def test_a_missing_module_stops_discovery(make_distribution) -> None:
    make_distribution("ghost-corral", {DRIVER_GROUP: {"ghost": "no_such_module_anywhere:X"}})
    with pytest.raises(CorralError, match="ModuleNotFoundError: No module named "
                                          "'no_such_module_anywhere'"):
        Registry.discover()


def test_two_distributions_with_one_name_are_refused(make_distribution) -> None:
    for dist, module in (("one-corral", "twin_a"), ("two-corral", "twin_b")):
        make_distribution(dist, {DRIVER_GROUP: {"twin": f"{module}:Good"}}, {module: GOOD_DRIVER})
    with pytest.raises(CorralError, match="Two corral.drivers entry points are named 'twin'") as c:
        Registry.discover()
    assert "from one-corral 1.0" in str(c.value) and "from two-corral 1.0" in str(c.value)


def test_an_unknown_driver_name_lists_the_known_ones() -> None:
    class Alpha(Driver):
        pass

    registry = Registry.for_test(drivers={"alpha": Alpha, "beta": Alpha})
    with pytest.raises(NoSupportError, match=r"There is no driver named 'gamma' "
                                             r"\(entry-point group corral.drivers\); "
                                             r"known: alpha, beta\.") as caught:
        registry.driver_class("gamma")
    assert caught.value.code == ErrorCode.NO_SUPPORT
    assert caught.value.detail["known"] == ["alpha", "beta"]


def test_a_driver_entry_point_must_be_a_driver_class() -> None:
    registry = Registry.for_test(drivers={"odd": object})
    with pytest.raises(CorralError, match="'odd' = builtins:object is not a subclass of "
                                          "corral.core.Driver"):
        registry.driver_class("odd")


def test_a_test_registry_describes_its_objects() -> None:
    class Alpha(Driver):
        pass

    registry = Registry.for_test(drivers={"alpha": Alpha})
    [info] = registry.entries()
    assert info.group == DRIVER_GROUP and info.origin == "test"
    assert info.value.endswith(":test_a_test_registry_describes_its_objects.<locals>.Alpha")
    assert registry.names(PLUGIN_GROUP) == []


def shipped_plugins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(project["entry-points"][PLUGIN_GROUP])


def test_the_shipped_plugins_are_declared_and_load() -> None:
    registry = Registry.for_test()
    assert set(shipped_plugins()) == {"audit", "policy"}
    for name, value in shipped_plugins().items():
        target = importlib.metadata.EntryPoint(name, value, PLUGIN_GROUP).load()
        assert getattr(target, "config_keys", None), f"{name} declares no settings"
    assert registry.names(PLUGIN_GROUP) == []


def test_discover_finds_the_shipped_plugins_in_the_installed_corral(fresh_entry_points) -> None:
    dist = importlib.metadata.distribution("corral")
    installed = {ep.name: ep.value for ep in dist.entry_points if ep.group == PLUGIN_GROUP}
    if installed != shipped_plugins():
        # Only development metadata may lag behind pyproject.toml: an editable install's, or
        # the in-tree corral.egg-info (PKG-INFO) a build left behind. A wheel's must not.
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
        if direct.get("dir_info", {}).get("editable") or dist.read_text("PKG-INFO"):
            pytest.skip("the development metadata of corral predates pyproject's entry points; "
                        "reinstall corral (make dev) to refresh it")
    registry = Registry.discover()
    for name, value in shipped_plugins().items():
        info = registry.info(PLUGIN_GROUP, name)
        assert (info.value, info.distribution) == (value, "corral")
        assert info.version == importlib.metadata.version("corral")
