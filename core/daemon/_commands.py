"""The daemon's own commands: QMP's introspection on every socket, settings on the admin one.

Every socket serves ``qmp_capabilities``, ``query-version`` and ``query-commands``; the
admin socket (libvirt's ``libvirt-admin-sock``, ``virt-admin``'s) adds the commands that
look at and steer the daemon itself. They are ``async def``: they run on the event loop,
never waiting for a worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any

from corral.core._operation import operation
from corral.core.daemon._dispatch import CommandTable
from corral.core.daemon._logging import LogSettings
from corral.core.daemon._sockets import SocketKind

if TYPE_CHECKING:
    from corral.core.daemon._server import Server

__all__ = ["AdminCommands", "QmpCommands", "corral_version"]


def corral_version() -> tuple[int, int, int]:
    """Return the installed corral's version as ``(major, minor, micro)``."""
    try:
        text = metadata.version("corral")
    except metadata.PackageNotFoundError:
        return (0, 0, 0)
    parts = [int(part) if part.isdigit() else 0 for part in text.split(".")[:3]]
    major, minor, micro = (parts + [0, 0, 0])[:3]
    return major, minor, micro


class QmpCommands:
    """``qmp_capabilities``, ``query-version`` and ``query-commands`` for one socket kind.

    Args:
        table: The table of the socket these commands describe.
    """

    def __init__(self, table: CommandTable) -> None:
        self.table = table

    @operation(read_only=True)
    async def qmp_capabilities(self, enable: list[str] | None = None) -> dict[str, Any]:
        """Leave capabilities negotiation and enable the capabilities named (none exist)."""
        return {}  # the connection handles it: negotiation is its state, not the daemon's

    @operation(read_only=True)
    async def query_version(self) -> dict[str, Any]:
        """Return corral's version, as QEMU's query-version shapes it."""
        major, minor, micro = corral_version()
        return {"corral": {"major": major, "minor": minor, "micro": micro}, "package": ""}

    @operation(read_only=True)
    async def query_commands(self) -> list[dict[str, Any]]:
        """Return every command this socket serves: name, read-only, provider, arguments."""
        return [entry.describe() for entry in self.table.entries()]


class AdminCommands:
    """The admin socket's commands: clients, limits, logging, reload.

    Args:
        server: The running server.
        logging_state: Returns the logging settings in force.
        set_logging: Installs new logging settings (raises ConfigError if wrong).
        reload: Does what SIGHUP does.
        drivers: The running drivers' names.
    """

    def __init__(self, server: Server, logging_state: Callable[[], LogSettings],
                 set_logging: Callable[[LogSettings], None],
                 reload: Callable[[], Awaitable[None]], drivers: Callable[[], list[str]]) -> None:
        self.server = server
        self._logging_state = logging_state
        self._set_logging = set_logging
        self._reload = reload
        self._drivers = drivers

    @operation(read_only=True)
    async def query_clients(self) -> list[dict[str, Any]]:
        """Return every connected client: number, socket, identity, requests in flight."""
        return [{"id": c.number, "socket": str(c.kind), "connected": int(c.connected_at),
                 "negotiated": c.negotiated, "in-flight": c.in_flight, **c.peer.to_dict()}
                for c in sorted(self.server.connections, key=lambda c: c.number)]

    @operation(read_only=True)
    async def query_server(self) -> dict[str, Any]:
        """Return the daemon's pid, uptime, drivers, limits and current load."""
        settings = self.server.settings
        admin = sum(c.kind is SocketKind.ADMIN for c in self.server.connections)
        return {
            "pid": os.getpid(), "started": int(self.server.started_at),
            "drivers": self._drivers(), "clients": len(self.server.connections) - admin,
            "admin-clients": admin,
            "requests-running": self.server.busy,
            "max-clients": settings.max_clients,
            "admin-max-clients": settings.admin_max_clients,
            "max-workers": settings.max_workers,
            "max-client-requests": settings.max_client_requests,
            "max-message-bytes": settings.max_message_bytes,
        }

    @operation(read_only=True)
    async def query_logging(self) -> dict[str, Any]:
        """Return the logging settings in force: level, filters, outputs."""
        state = self._logging_state()
        return {"level": state.level, "filters": state.filters, "outputs": state.outputs}

    @operation
    async def set_logging(self, level: int | None = None, filters: str | None = None,
                          outputs: str | None = None) -> dict[str, Any]:
        """Change the logging settings until the next reload (virt-admin daemon-log-*)."""
        state = self._logging_state()
        self._set_logging(LogSettings(
            state.level if level is None else level,
            state.filters if filters is None else filters,
            state.outputs if outputs is None else outputs))
        return {}

    @operation
    async def daemon_reload(self) -> dict[str, Any]:
        """Reload corrald.conf and every driver, as SIGHUP does."""
        await self._reload()
        return {}
