"""The exec limits: :class:`ExecSettings` and the corrald.conf keys that set them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from corral.core._errors import ConfigError, ErrorCode
from corral.core._settings import ConfigKey, ConfigValue

__all__ = ["CONFIG_KEYS", "ExecSettings"]

QGA_MAX_OUTPUT = 16 * 1024 * 1024
"""qemu-ga's capture cap per stream (GUEST_EXEC_MAX_OUTPUT), corral's default too."""

CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("exec_max_records", "int", 1024,
              "How many guest-exec records (running and finished) the daemon keeps; when "
              "full, the oldest finished one is dropped, and a new exec is refused if all "
              "of them still run."),
    ConfigKey("exec_retention_seconds", "int", 600,
              "How long the status of a finished exec stays readable (seconds from its end)."),
    ConfigKey("exec_capture_max_bytes", "int", QGA_MAX_OUTPUT,
              "Bytes of output kept per captured stream of an exec; the rest is read and "
              "dropped and out-truncated/err-truncated say so (qemu-ga's 16 MiB)."),
    ConfigKey("exec_max_running", "int", 256,
              "How many guest-exec children may run at once; more are refused."),
    ConfigKey("exec_max_pipes", "int", 256,
              "How many guest-pipe-open handles may be open at once; more are refused."),
)
"""The exec keys of corrald.conf; the daemon collects them with its own."""


@dataclasses.dataclass(frozen=True)
class ExecSettings:
    """The limits of the guest-exec family.

    Attributes:
        max_records: Records kept, running and finished (``exec_max_records``).
        retention_seconds: How long a finished record stays readable
            (``exec_retention_seconds``).
        capture_max_bytes: Bytes kept per captured stream (``exec_capture_max_bytes``).
        max_running: Children running at once (``exec_max_running``).
        max_pipes: Pipe handles open at once (``exec_max_pipes``).
        terminate_grace: Seconds between SIGTERM and SIGKILL (guest-exec-terminate, a
            timeout, shutdown); the engine's set_timeout grace.
        output_grace: Seconds an exited child's captured pipes may stay open (a
            grandchild holding them) before the record ends without their EOF.
    """

    max_records: int = 1024
    retention_seconds: float = 600
    capture_max_bytes: int = QGA_MAX_OUTPUT
    max_running: int = 256
    max_pipes: int = 256
    terminate_grace: float = 1.0
    output_grace: float = 1.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(
                    f"The exec setting {field.name} must be a positive number, not {value!r}.",
                    code=ErrorCode.CONF_SYNTAX, setting=field.name,
                )

    @classmethod
    def from_config(cls, config: Mapping[str, ConfigValue]) -> ExecSettings:
        """Return the settings corrald.conf gives (keys it lacks keep their defaults).

        Args:
            config: The checked configuration (a :class:`~corral.core.Config`).

        Raises:
            ConfigError: A value that is not a positive number.
        """
        names = {"exec_max_records": "max_records",
                 "exec_retention_seconds": "retention_seconds",
                 "exec_capture_max_bytes": "capture_max_bytes",
                 "exec_max_running": "max_running",
                 "exec_max_pipes": "max_pipes"}
        values: dict[str, int] = {}
        for key, field in names.items():
            value = config.get(key, getattr(cls, field))
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"The setting {key} must be an integer, not {value!r}.",
                                  code=ErrorCode.CONF_SYNTAX, setting=key)
            values[field] = value
        return cls(**values)
