"""What a plugin class receives when the host creates it (kept outside the host package).

Plugins import this; the host (:mod:`corral.core.host`) builds it. Keeping it here is what
lets a plugin depend on ``corral.core`` alone, never on the host that loads it.
"""

from __future__ import annotations

import dataclasses
import logging

from corral.core._paths import HostPaths
from corral.core._settings import Config

__all__ = ["PluginContext"]


@dataclasses.dataclass(frozen=True)
class PluginContext:
    """What a plugin class receives when corral creates it.

    Attributes:
        name: The plugin's entry-point name (``audit``).
        config: The daemon's checked settings, the plugin's own keys included.
        paths: The host's config, state and runtime directories.
        logger: A logger named ``corral.plugins.<name>``.
    """

    name: str
    config: Config
    paths: HostPaths
    logger: logging.Logger
