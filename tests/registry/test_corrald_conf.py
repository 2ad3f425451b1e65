"""config/corrald.conf, the shipped commented defaults, agrees with the code."""

from __future__ import annotations

import re
from pathlib import Path

from corral.core import ConfigKey
from corral.core.daemon import DAEMON_CONFIG_KEYS
from corral.core.host import Registry, load_config
from corral.core.host._config import check_value, parse_config
from corral.core.host._plugins import config_keys
from corral.drivers.hooks import HooksDriver
from corral.drivers.node import NodeDriver
from corral.plugins.audit import AuditPlugin
from corral.plugins.policy import PolicyPlugin

CONF = Path(__file__).resolve().parents[2] / "config" / "corrald.conf"
# A commented default is "#key = value" at the start of a line; prose comments have a space.
DEFAULT_LINE = re.compile(r"^#([A-Za-z_]\w*\s*=.*)$")


def shipped_keys() -> dict[str, ConfigKey]:
    registry = Registry.for_test(plugins={"audit": AuditPlugin, "policy": PolicyPlugin},
                                 drivers={"hooks": HooksDriver, "node": NodeDriver})
    return {key.name: key for key in (*config_keys(registry), *DAEMON_CONFIG_KEYS)}


def uncommented() -> str:
    lines = CONF.read_text().splitlines()
    return "\n".join(m.group(1) for line in lines if (m := DEFAULT_LINE.match(line))) + "\n"


def test_the_file_as_shipped_loads_and_sets_nothing(tmp_path: Path) -> None:
    keys = shipped_keys()
    config = load_config(CONF, keys.values())
    assert dict(config) == {name: key.default for name, key in keys.items()}


def test_every_key_is_shown_with_its_default_and_nothing_else() -> None:
    keys = shipped_keys()
    shown = parse_config(uncommented(), str(CONF))
    assert set(shown) == set(keys), "document every key, and no key the code lacks"
    for name, raw in shown.items():
        key = keys[name]
        shown_value = check_value(key, raw, str(CONF))
        assert shown_value == key.default, f"{name}: shown value is not the default"
