"""Secrets, libvirt's way: definitions and values in 0600 files under the config root.

Like libvirt's secret driver (``/etc/libvirt/secrets/UUID.xml`` and ``UUID.base64``), a
persistent secret is two files in ``<config>/secrets``: its XML and its value in base64,
both mode 0600 and written atomically; an ephemeral one lives in memory only. A value
travels inside :class:`SecretValue`, whose ``repr`` and ``str`` never show it, so a
traceback, a log line or an f-string cannot leak it by accident; only
:meth:`SecretValue.reveal` gives it, to be handed to a tool as a secret argument.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import threading
import uuid as uuidlib
from pathlib import Path
from typing import Final

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.state import atomic_write
from corral.drivers.storage.conf import SecretDefinition, format_secret, parse_secret

__all__ = ["SecretStore", "SecretValue"]

_PRIVATE: Final = 0o600


class SecretValue:
    """A secret's value: shown as ``***`` everywhere, given out only by :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the value as text (a CHAP password), for a tool's secret argument."""
        return self._value.decode("utf-8", errors="surrogateescape")

    def __repr__(self) -> str:
        return "SecretValue('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    __hash__ = None  # type: ignore[assignment]  # a value must not become a dict key


@dataclasses.dataclass
class _Entry:
    definition: SecretDefinition
    value: SecretValue | None = None


class SecretStore:
    """The host's secrets: define, set a value, look up by UUID or usage, undefine.

    Args:
        directory: ``<config>/secrets``; created (0700) when the first secret is saved.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}
        self._load()

    def _load(self) -> None:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.xml")):
            definition = parse_secret(path.read_bytes(), file=str(path))
            value_file = path.with_suffix(".base64")
            value = (SecretValue(base64.b64decode(value_file.read_bytes()))
                     if value_file.exists() else None)
            self._entries[str(definition.uuid)] = _Entry(definition, value)

    def define(self, xml: str) -> SecretDefinition:
        """Define (or redefine, same UUID) the secret ``xml`` describes; return it.

        A secret without a UUID gets one. Redefining keeps the value.

        Raises:
            XMLError: The XML is not a valid ``<secret>``.
            CorralError: OPERATION_INVALID when another secret has the same usage
                (libvirt's "a secret with UUID ... already defined for use with ...").
        """
        definition = parse_secret(xml)
        with self._lock:
            if definition.uuid is None:
                definition = dataclasses.replace(definition, uuid=str(uuidlib.uuid4()))
            key = _canonical(str(definition.uuid))
            definition = dataclasses.replace(definition, uuid=key)
            for other in self._entries.values():
                if other.definition.usage == definition.usage and other.definition.uuid != key:
                    raise _error(
                        f"A secret with UUID {other.definition.uuid} is already defined for "
                        f"use with {definition.usage}.", ErrorCode.OPERATION_INVALID,
                        secret=str(other.definition.uuid))
            entry = self._entries.get(key)
            value = entry.value if entry else None
            if not definition.ephemeral:
                self._save_file(f"{key}.xml", format_secret(definition))
            self._entries[key] = _Entry(definition, value)
            return definition

    def set_value(self, secret: str, value_b64: str) -> None:
        """Give ``secret`` (its UUID or usage name) the value ``value_b64`` encodes.

        Raises:
            CorralError: INVALID_ARG when it is not defined; INVALID_ARG
                when the value is not base64 (never quoting it).
        """
        try:
            raw = base64.b64decode(value_b64, validate=True)
        except (binascii.Error, ValueError):
            # No cause chained: binascii's message may quote part of the value.
            raise _error("The secret value is not valid base64.", ErrorCode.INVALID_ARG,
                         secret=secret) from None
        with self._lock:
            entry = self._find(secret)
            if not entry.definition.ephemeral:
                self._save_file(f"{entry.definition.uuid}.base64",
                                base64.b64encode(raw).decode("ascii"))
            entry.value = SecretValue(raw)

    def undefine(self, secret: str) -> None:
        """Forget ``secret`` and remove its files.

        Raises:
            CorralError: INVALID_ARG when it is not defined.
        """
        with self._lock:
            entry = self._find(secret)
            key = str(entry.definition.uuid)
            for suffix in (".base64", ".xml"):
                (self.directory / f"{key}{suffix}").unlink(missing_ok=True)
            del self._entries[key]

    def listing(self) -> list[dict[str, str]]:
        """Return ``[{uuid, usage}]`` sorted by UUID: never a value."""
        with self._lock:
            return [{"uuid": key, "usage": entry.definition.usage}
                    for key, entry in sorted(self._entries.items())]

    def lookup(self, *, uuid: str | None = None, usage: str | None = None) -> SecretValue:
        """Return the value of the iSCSI secret with this UUID or usage name.

        Raises:
            CorralError: INVALID_ARG when there is no such secret, or it has no value.
        """
        with self._lock:
            entry = self._find(uuid if uuid is not None else str(usage), by_usage=uuid is None)
            if entry.value is None:
                raise _error(f"The secret {entry.definition.uuid} ({entry.definition.usage}) "
                             "has no value.", ErrorCode.INVALID_ARG,
                             secret=str(entry.definition.uuid))
            return entry.value

    def _find(self, secret: str, *, by_usage: bool | None = None) -> _Entry:
        for key, entry in self._entries.items():
            as_uuid = by_usage is not True and _same_uuid(secret, key)
            as_usage = by_usage is not False and entry.definition.usage_id == secret
            if as_uuid or as_usage:
                return entry
        raise _error(f"There is no secret with UUID or usage '{secret}'.",
                     ErrorCode.INVALID_ARG, secret=secret)

    def _save_file(self, name: str, data: str) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(self.directory / name, data, mode=_PRIVATE)


def _canonical(text: str) -> str:
    try:
        return str(uuidlib.UUID(text))
    except ValueError as exc:  # the schema vouches for the form; keep the error ours
        raise _error(f"'{text}' is not a UUID.", ErrorCode.INVALID_ARG) from exc


def _same_uuid(given: str, key: str) -> bool:
    try:
        return str(uuidlib.UUID(given)) == key
    except ValueError:
        return False


def _error(message: str, code: ErrorCode, **detail: object) -> CorralError:
    return CorralError(message, domain=ErrorDomain.STORAGE, code=code, **detail)

