"""The storage driver: libvirt's storage pools and secrets, with pluggable backends.

Operations are the daemon's command table's (``pool-define`` ... ``volume-list``,
``pool-find-sources``, ``secret-*``; ``docs/storage.md`` lists them with their returns);
each pool type's work is its backend's, loaded by the pool's type from the
``corral.storage.backends`` entry points. The order of a start is libvirt's and
corral's (``docs/writing-a-driver.md``): the ``start`` begin (a plugin may refuse),
the backend's start and a first refresh under the target's cross-process lock, the
status file, then ``started``; a refresh that fails after a login logs out again, so a
failed start leaves the pool inactive and nothing logged in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import uuid as uuidlib
from collections.abc import Iterator
from importlib import metadata
from typing import Any

from corral.core import (
    CorralError,
    Driver,
    DriverContext,
    ErrorCode,
    ErrorDomain,
    NoSupportError,
    operation,
)
from corral.core.xml import XMLWriter
from corral.drivers.storage._lock import target_lock, target_lock_path
from corral.drivers.storage._pools import PoolFiles, PoolStatus
from corral.drivers.storage._secrets import SecretStore
from corral.drivers.storage.backends import BACKEND_GROUP, Chap, StorageBackend, Volume
from corral.drivers.storage.backends.iscsi_rules import portal_port
from corral.drivers.storage.conf import PoolDefinition, format_pool, parse_pool

__all__ = ["StorageDriver"]

_POOL = "pool"
_SECRET = "secret"  # noqa: S105 (the object type, not a password)


class StorageDriver(Driver):
    """Storage pools (``iscsi``, ``iscsi-direct``, any installed backend) and secrets."""

    domain = ErrorDomain.STORAGE

    def initialize(self, context: DriverContext) -> None:
        """Read the definitions and secrets, re-attach to active pools, autostart the rest."""
        super().initialize(context)
        self.files = PoolFiles(context.paths)
        self.secrets = SecretStore(context.paths.config / "secrets")
        self._lock = threading.RLock()
        self._pool_locks: dict[str, threading.Lock] = {}
        self._backends: dict[str, StorageBackend] = {}
        self._defined = {pool.name: pool for pool in self.files.definitions()}
        self._active: dict[str, PoolStatus] = {}
        for name, status in self.files.statuses().items():
            self._reattach(name, status)
        for name in sorted(self._defined):
            if name not in self._active and self.files.autostart(name):
                try:
                    self._start(name, detail="autostart")
                except CorralError as error:  # libvirt logs a failed autostart and goes on
                    context.logger.error("Cannot autostart the storage pool '%s': %s", name,
                                         error)

    def make_backend(self, pool_type: str) -> StorageBackend:
        """Return a new backend for ``pool_type`` from its ``corral.storage.backends`` entry point.

        A test overrides this to give a backend options (a sysfs tree, a command prefix).

        Raises:
            NoSupportError: No installed backend serves the type.
            CorralError: The entry point fails to load (INTERNAL_ERROR naming it).
        """
        found = metadata.entry_points(group=BACKEND_GROUP, name=pool_type)
        if not found:
            known = sorted(point.name for point in metadata.entry_points(group=BACKEND_GROUP))
            raise NoSupportError(f"No storage backend serves the pool type '{pool_type}' "
                                 f"(installed: {', '.join(known) or 'none'}).",
                                 domain=self.domain, pool_type=pool_type)
        point = next(iter(found))
        try:
            backend: StorageBackend = point.load()()
        except Exception as exc:
            raise CorralError(f"The storage backend '{pool_type}' ({point.value}) failed to "
                              f"load: {type(exc).__name__}: {exc}", domain=self.domain,
                              code=ErrorCode.INTERNAL_ERROR, pool_type=pool_type) from exc
        return backend

    # --- pools: definitions ------------------------------------------------------------

    @operation
    def pool_define(self, xml: str) -> dict[str, Any]:
        """Define (or redefine) a persistent pool from its XML."""
        definition = parse_pool(xml)
        with self._lock:
            definition = self._check_define(definition)
            self.files.save(definition)
            self._defined[definition.name] = definition
        self.context.emit(_POOL, definition.name, "defined")
        return {}

    @operation
    def pool_undefine(self, name: str) -> dict[str, Any]:
        """Forget an inactive pool's definition."""
        with self._pool(name):
            self._definition(name)
            if name in self._active:
                raise self._invalid(f"The storage pool '{name}' is still active.", name)
            self.files.delete(name)
            del self._defined[name]
        self.context.emit(_POOL, name, "undefined")
        return {}

    @operation
    def pool_set_autostart(self, name: str, autostart: bool) -> dict[str, Any]:
        """Make the pool start (or not) when corrald starts."""
        with self._pool(name):
            self._definition(name)
            self.files.set_autostart(name, autostart)
        return {}

    # --- pools: lifecycle --------------------------------------------------------------

    @operation
    def pool_start(self, name: str) -> dict[str, Any]:
        """Start a pool: log in and list its volumes."""
        self._start(name)
        return {}

    @operation
    def pool_destroy(self, name: str) -> dict[str, Any]:
        """Stop a pool: log out (its definition stays)."""
        with self._pool(name):
            status = self._status(name)
            self._stop_backend(status.definition)
            self._deactivate(name)
        self.context.emit(_POOL, name, "stopped", xml=format_pool(status.definition))
        return {}

    @operation
    def pool_refresh(self, name: str) -> dict[str, Any]:
        """List the pool's volumes again (libvirt: a failed refresh stops the pool)."""
        with self._pool(name):
            definition = self._status(name).definition
            try:
                volumes = self._refresh_backend(definition)
            except CorralError:
                self._stop_quietly(definition)
                self._deactivate(name)
                self.context.emit(_POOL, name, "stopped", detail="refresh failed")
                raise
            self._activate(PoolStatus(definition, tuple(volumes)))
        self.context.emit(_POOL, name, "refreshed")
        return {}

    # --- pools: reading ----------------------------------------------------------------

    @operation(read_only=True)
    def pool_list(self, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002 (QMP name)
        """List the active pools (``all``: every defined pool too)."""
        with self._lock:
            names = sorted(set(self._defined) | set(self._active))
            return [self._summary(name) for name in names if all or name in self._active]

    @operation(read_only=True)
    def pool_info(self, name: str) -> dict[str, Any]:
        """Return the pool's state and sizes (libvirt's virStoragePoolInfo)."""
        with self._lock:
            summary = self._summary(name)
            active = summary.pop("active")
            live = self._live(name)
            return {**summary, "state": "running" if active else "inactive",
                    "capacity": live.capacity, "allocation": live.allocation,
                    "available": live.available}

    @operation(read_only=True)
    def pool_get_xml(self, name: str, inactive: bool = False) -> dict[str, Any]:
        """Return the pool's XML: live (with sizes) while active, else the definition."""
        with self._lock:
            if inactive and name in self._defined:
                return {"xml": format_pool(self._defined[name])}
            return {"xml": format_pool(self._live(name))}

    @operation(read_only=True)
    def volume_list(self, pool: str) -> list[dict[str, Any]]:
        """List the volumes of an active pool, by name."""
        with self._lock:
            return [volume.to_dict() for volume in self._status(pool).volumes]

    @operation(read_only=True)
    def pool_find_sources(self, type: str, host: str, port: int | None = None,  # noqa: A002
                          initiator: str | None = None) -> dict[str, Any]:
        """Ask a portal which pools it could give (libvirt's find-storage-pool-sources)."""
        if port is not None and not 1 <= port <= 65535:  # before any tool is asked
            raise CorralError(f"The port {port} is not a TCP port (1 to 65535).",
                              domain=self.domain, code=ErrorCode.INVALID_ARG,
                              argument="port", port=port)
        found = self._backend(type).find_sources(host, port, initiator)
        out = XMLWriter()
        with out.element("sources"):
            for source in found:
                with out.element("source"):
                    out.empty("host", [("name", source.host), ("port", source.port)])
                    out.empty("device", [("path", source.device)])
        return {"xml": out.result(), "sources": [dataclasses.asdict(s) for s in found]}

    # --- secrets -----------------------------------------------------------------------

    @operation
    def secret_define(self, xml: str) -> dict[str, Any]:
        """Define (or redefine) a secret from its XML; return its UUID."""
        definition = self.secrets.define(xml)
        self.context.emit(_SECRET, str(definition.uuid), "defined")
        return {"uuid": definition.uuid}

    @operation
    def secret_set_value(self, secret: str, value_b64: str) -> dict[str, Any]:
        """Set the value (base64) of the secret with this UUID or usage name."""
        self.secrets.set_value(secret, value_b64)
        self.context.emit(_SECRET, secret, "value-changed")
        return {}

    @operation
    def secret_undefine(self, secret: str) -> dict[str, Any]:
        """Forget the secret with this UUID or usage name, and its value."""
        self.secrets.undefine(secret)
        self.context.emit(_SECRET, secret, "undefined")
        return {}

    @operation(read_only=True)
    def secret_list(self) -> list[dict[str, str]]:
        """List the secrets: UUID and usage, never a value."""
        return self.secrets.listing()

    # --- the pieces ----------------------------------------------------------------------

    def _start(self, name: str, detail: str = "") -> None:
        with self._pool(name):
            definition = self._definition(name)
            if name in self._active:
                raise self._invalid(f"The storage pool '{name}' is already active.", name)
            chap = self._chap(definition)
            backend = self._backend(definition.type)
            xml = format_pool(definition)  # on the hook scripts' stdin, as libvirt gives it
            self.context.begin(_POOL, name, "start", detail, xml=xml)
            with self._target_lock(definition):
                backend.start(definition, chap)
                try:
                    volumes = backend.refresh(definition, chap)
                except CorralError:
                    self._stop_quietly(definition)
                    raise
            self._activate(PoolStatus(definition, tuple(volumes)))
        self.context.emit(_POOL, name, "started", detail, xml=xml)

    def _refresh_backend(self, definition: PoolDefinition) -> list[Volume]:
        with self._target_lock(definition):
            return self._backend(definition.type).refresh(definition, self._chap(definition))

    def _stop_backend(self, definition: PoolDefinition) -> None:
        with self._target_lock(definition):
            self._backend(definition.type).stop(definition)

    def _stop_quietly(self, definition: PoolDefinition) -> None:
        # Called while another error propagates: that one is what the caller must see.
        try:
            self._backend(definition.type).stop(definition)
        except CorralError as error:
            self.context.logger.error("Cannot stop the storage pool '%s' after a failure: %s",
                                      definition.name, error)

    def _reattach(self, name: str, status: PoolStatus) -> None:
        definition = status.definition
        try:
            if self._backend(definition.type).check(definition):
                volumes = self._refresh_backend(definition)
                self._activate(PoolStatus(definition, tuple(volumes)))
                return
        except CorralError as error:
            self.context.logger.error("Cannot re-attach to the storage pool '%s': %s", name,
                                      error)
        self._deactivate(name)

    def _activate(self, status: PoolStatus) -> None:
        self.files.write_status(status)
        with self._lock:
            self._active[status.definition.name] = status

    def _deactivate(self, name: str) -> None:
        self.files.delete_status(name)
        with self._lock:
            self._active.pop(name, None)

    def _backend(self, pool_type: str) -> StorageBackend:
        with self._lock:
            if pool_type not in self._backends:
                self._backends[pool_type] = self.make_backend(pool_type)
            return self._backends[pool_type]

    def _chap(self, definition: PoolDefinition) -> Chap | None:
        auth = definition.source.auth
        if auth is None:
            return None
        value = self.secrets.lookup(uuid=auth.secret_uuid, usage=auth.secret_usage)
        return Chap(auth.username, value)

    @contextlib.contextmanager
    def _target_lock(self, definition: PoolDefinition) -> Iterator[None]:
        host = definition.source.hosts[0]
        path = target_lock_path(self.files.lock_dir, definition.type,
                                f"{host.name}:{portal_port(host)}", definition.source.device)
        with target_lock(path):
            yield

    @contextlib.contextmanager
    def _pool(self, name: str) -> Iterator[None]:
        with self._lock:
            lock = self._pool_locks.setdefault(name, threading.Lock())
        with lock:
            yield

    def _check_define(self, definition: PoolDefinition) -> PoolDefinition:
        # libvirt's virStoragePoolObjIsDuplicate and virStoragePoolSourceFindDuplicate.
        same_name = self._defined.get(definition.name)
        if definition.uuid is None:
            uuid = same_name.uuid if same_name is not None else None
            definition = dataclasses.replace(definition, uuid=uuid or _new_uuid())
        for other in self._defined.values():
            if other.name == definition.name:
                if other.uuid != definition.uuid:
                    raise self._invalid(f"The storage pool '{other.name}' is already defined "
                                        f"with UUID {other.uuid}.", other.name,
                                        code=ErrorCode.OPERATION_FAILED)
            elif other.uuid == definition.uuid:
                raise self._invalid(f"The storage pool '{other.name}' already has the UUID "
                                    f"{other.uuid}.", other.name,
                                    code=ErrorCode.OPERATION_FAILED)
            elif _same_source(other, definition):
                raise self._invalid(f"The storage source conflicts with the pool "
                                    f"'{other.name}' (same portal and target).", other.name,
                                    code=ErrorCode.OPERATION_FAILED)
        return definition

    def _definition(self, name: str) -> PoolDefinition:
        with self._lock:
            if name not in self._defined:
                raise CorralError(f"There is no storage pool named '{name}'.",
                                  domain=self.domain, code=ErrorCode.NO_STORAGE_POOL,
                                  pool=name)
            return self._defined[name]

    def _status(self, name: str) -> PoolStatus:
        with self._lock:
            self._definition(name)
            if name not in self._active:
                raise self._invalid(f"The storage pool '{name}' is not active.", name)
            return self._active[name]

    def _live(self, name: str) -> PoolDefinition:
        status = self._active.get(name)
        if status is None:
            return self._definition(name)
        size = sum(volume.capacity for volume in status.volumes)
        used = sum(volume.allocation for volume in status.volumes)
        return dataclasses.replace(status.definition, capacity=size, allocation=used,
                                   available=size - used)

    def _summary(self, name: str) -> dict[str, Any]:
        definition = self._active[name].definition if name in self._active \
            else self._definition(name)
        return {"name": name, "uuid": definition.uuid, "active": name in self._active,
                "persistent": name in self._defined, "autostart": self.files.autostart(name)}

    def _invalid(self, message: str, name: str,
                 code: ErrorCode = ErrorCode.OPERATION_INVALID) -> CorralError:
        return CorralError(message, domain=self.domain, code=code, pool=name)


def _same_source(one: PoolDefinition, other: PoolDefinition) -> bool:
    if not one.source.hosts or not other.source.hosts:
        return False
    first, second = one.source.hosts[0], other.source.hosts[0]
    return (first.name, portal_port(first), one.source.device) == \
        (second.name, portal_port(second), other.source.device)


def _new_uuid() -> str:
    return str(uuidlib.uuid4())
