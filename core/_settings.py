"""What a corrald.conf setting is, and the checked settings a driver or plugin reads.

Drivers and plugins declare their settings as :class:`ConfigKey` objects and read them
from :class:`Config`; neither needs the file format. Reading and checking the file is the
host's job (:func:`corral.core.host.load_config`), kept apart so that nothing a plugin
imports pulls in the host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

__all__ = ["Config", "ConfigKey", "ConfigKind", "ConfigValue"]

ConfigValue = str | int | bool | tuple[str, ...]
ConfigKind = Literal["string", "int", "bool", "list"]


@dataclasses.dataclass(frozen=True)
class ConfigKey:
    """A setting corrald.conf may contain.

    Attributes:
        name: The key as written in the file.
        kind: ``"string"``, ``"int"``, ``"bool"`` (written 0 or 1) or ``"list"`` (of strings).
        default: The value when the file does not set it.
        doc: One sentence for the administrator (shown in the shipped corrald.conf).
    """

    name: str
    kind: ConfigKind
    default: ConfigValue
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Config(Mapping[str, ConfigValue]):
    """The checked settings: every known key, with its default where the file is silent.

    Attributes:
        source: The file read, or None for pure defaults.
    """

    data: Mapping[str, ConfigValue]
    source: str | None = None

    @classmethod
    def defaults(cls, keys: Iterable[ConfigKey]) -> Config:
        """Return a Config holding every key's default, as if the file were empty."""
        return cls({key.name: key.default for key in keys})

    def __getitem__(self, name: str) -> ConfigValue:
        return self.data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def string(self, name: str) -> str:
        """Return the string setting ``name``."""
        return str(self.data[name])

    def strings(self, name: str) -> tuple[str, ...]:
        """Return the list setting ``name``."""
        value = self.data[name]
        return value if isinstance(value, tuple) else (str(value),)
