"""Where corral keeps its files: libvirt's configuration, state and runtime directories."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["HostPaths"]


@dataclasses.dataclass(frozen=True)
class HostPaths:
    """Where corral keeps its files: libvirt's three directories.

    Attributes:
        config: Definitions the administrator owns (``networks/NAME.xml``, ``hooks/``).
        state: Files that must survive a reboot (dnsmasq config, leases).
        runtime: Files that must not (sockets, pid files, live status).
    """

    config: Path
    state: Path
    runtime: Path

    @classmethod
    def under_root(cls, root: str | os.PathLike[str] = "/") -> HostPaths:
        """System layout below ``root``: ``etc/corral``, ``var/lib/corral``, ``run/corral``."""
        base = Path(root)
        return cls(base / "etc/corral", base / "var/lib/corral", base / "run/corral")

    @classmethod
    def session(cls, environ: Mapping[str, str] | None = None) -> HostPaths:
        """Per-user layout from the XDG variables (libvirt's session mode).

        Config goes to ``$XDG_CONFIG_HOME/corral``, state to ``$XDG_STATE_HOME/corral`` and
        runtime to ``$XDG_RUNTIME_DIR/corral``; like libvirt, a missing runtime directory
        falls back to the user's cache directory.
        """
        env = os.environ if environ is None else environ
        home = Path(env.get("HOME") or Path.home())

        def xdg(name: str, fallback: Path) -> Path:
            return Path(env.get(name) or fallback) / "corral"

        cache = xdg("XDG_CACHE_HOME", home / ".cache")
        return cls(
            xdg("XDG_CONFIG_HOME", home / ".config"),
            xdg("XDG_STATE_HOME", home / ".local/state"),
            Path(env["XDG_RUNTIME_DIR"]) / "corral" if env.get("XDG_RUNTIME_DIR") else cache,
        )

    @classmethod
    def resolve(
        cls,
        root: str | os.PathLike[str] | None = None,
        *,
        privileged: bool | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> HostPaths:
        """Pick the layout corrald uses: ``--root DIR``, else system for root, else session."""
        if root is not None:
            return cls.under_root(root)
        if privileged is None:
            privileged = os.geteuid() == 0
        return cls.under_root("/") if privileged else cls.session(environ)
