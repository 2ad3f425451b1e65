"""The unified error layer: one exception root with a domain and a code, like virError.

Every error corral raises is a :class:`CorralError`. It carries the subsystem it came
from (:class:`ErrorDomain`, libvirt's ``VIR_FROM_*``) and what went wrong
(:class:`ErrorCode`, libvirt's ``virErrorNumber`` -- the numbers are libvirt's own, so a
libvirt user reads them the same way; they are ABI: append, never renumber).
Subclasses exist only where a caller would catch them::

    CorralError                     domain + code + detail, to_dict()/from_dict()
    ├── CommandError                argv, status, signal, stderr tail   (domain command)
    ├── XMLError                    file, line, column, rule            (domain xml)
    ├── ConfigError                 file, line, key                     (domain config)
    ├── NoSupportError              the operation a driver does not offer (NO_SUPPORT)
    ├── HookScriptError             a failed administrator hook script  (HOOK_SCRIPT_FAILED)
    └── ProtocolError               a malformed or refused daemon message (RPC)

Foreign exceptions (``OSError``, lxml's) are translated where they enter corral, always
with ``raise CorralError(...) from exc``. Errors cross the daemon socket as
``{"class": ..., "desc": ..., "data": {"domain": ..., "code": ..., ...}}`` and
:meth:`CorralError.from_dict` rebuilds the same class on the client side.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

__all__ = [
    "CommandError",
    "ConfigError",
    "CorralError",
    "ErrorCode",
    "ErrorDomain",
    "HookScriptError",
    "NoSupportError",
    "ProtocolError",
    "XMLError",
]


class ErrorDomain(enum.StrEnum):
    """The subsystem an error comes from (libvirt's ``virErrorDomain``)."""

    NONE = "none"
    COMMAND = "command"
    XML = "xml"
    CONFIG = "config"
    STATE = "state"
    REGISTRY = "registry"
    PLUGIN = "plugin"
    NETWORK = "network"
    STORAGE = "storage"
    NODE = "node"
    HOOKS = "hooks"
    DAEMON = "daemon"
    RPC = "rpc"
    CLI = "cli"


class ErrorCode(enum.IntEnum):
    """What went wrong, numbered exactly as libvirt's ``virErrorNumber``."""

    OK = 0
    INTERNAL_ERROR = 1
    NO_MEMORY = 2
    NO_SUPPORT = 3
    NO_CONNECT = 5
    INVALID_ARG = 8
    OPERATION_FAILED = 9
    XML_ERROR = 27
    OPERATION_DENIED = 29
    OPEN_FAILED = 30
    READ_FAILED = 31
    PARSE_FAILED = 32
    CONF_SYNTAX = 33
    WRITE_FAILED = 34
    XML_DETAIL = 35
    INVALID_NETWORK = 36
    NETWORK_EXIST = 37
    SYSTEM_ERROR = 38
    RPC = 39
    NO_NETWORK = 43
    INVALID_MAC = 44
    AUTH_FAILED = 45
    INVALID_STORAGE_POOL = 46
    NO_STORAGE_POOL = 49
    NO_STORAGE_VOL = 50
    OPERATION_INVALID = 55
    CONFIG_UNSUPPORTED = 67
    OPERATION_TIMEOUT = 68
    HOOK_SCRIPT_FAILED = 70
    ARGUMENT_UNSUPPORTED = 74
    OPERATION_ABORTED = 78
    OPERATION_UNSUPPORTED = 84
    RESOURCE_BUSY = 87
    ACCESS_DENIED = 88
    XML_INVALID_SCHEMA = 92


class CorralError(Exception):
    """The root of every corral error.

    Args:
        message: A complete sentence for a human; ``str(error)`` returns it.
        domain: The subsystem that raised it (defaults to the class's domain).
        code: What went wrong (defaults to the class's code).
        **detail: Machine-readable context (JSON-serialisable values), kept in
            :attr:`detail` and sent across the daemon socket under ``data``.
    """

    default_domain: ClassVar[ErrorDomain] = ErrorDomain.NONE
    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        domain: ErrorDomain | None = None,
        code: ErrorCode | None = None,
        **detail: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.domain = ErrorDomain(domain) if domain is not None else self.default_domain
        self.code = ErrorCode(code) if code is not None else self.default_code
        self.detail: dict[str, Any] = detail

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, domain={self.domain.value!r}, "
            f"code={self.code.name})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.domain, self.code, self.detail))

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form: ``{"class", "desc", "data": {"domain", "code", ...}}``."""
        data = {"domain": self.domain.value, "code": int(self.code), **self.detail}
        return {"class": type(self).__name__, "desc": self.message, "data": data}

    @classmethod
    def from_dict(cls, wire: dict[str, Any]) -> CorralError:
        """Rebuild the error :meth:`to_dict` produced, as the same class where known."""
        data = dict(wire.get("data") or {})
        domain = _enum_or(ErrorDomain, data.pop("domain", None), ErrorDomain.NONE)
        code = _enum_or(ErrorCode, data.pop("code", None), ErrorCode.INTERNAL_ERROR)
        error_class = _CLASSES.get(str(wire.get("class")), CorralError)
        return _rebuild(error_class, str(wire.get("desc", "")), domain, code, data)


class CommandError(CorralError):
    """A command could not be built, started, or ended badly.

    ``detail`` carries ``argv`` (list of str), ``status`` (exit code or None),
    ``signal`` (or None) and ``stderr`` (the tail of captured stderr) when known.
    """

    default_domain = ErrorDomain.COMMAND
    default_code = ErrorCode.INTERNAL_ERROR

    @property
    def argv(self) -> list[str] | None:
        """The command line that failed, when it got that far."""
        value = self.detail.get("argv")
        return list(value) if value is not None else None

    @property
    def status(self) -> int | None:
        """The exit status, when the child exited."""
        value = self.detail.get("status")
        return int(value) if value is not None else None

    @property
    def signal(self) -> int | None:
        """The signal that killed the child, when one did."""
        value = self.detail.get("signal")
        return int(value) if value is not None else None

    @property
    def stderr(self) -> str | None:
        """The tail of the child's captured standard error, when captured."""
        value = self.detail.get("stderr")
        return str(value) if value is not None else None


class XMLError(CorralError):
    """Malformed XML, or XML that breaks a schema rule.

    ``detail`` carries ``file`` (path or None), ``line``, ``column`` and ``rule``
    (the schema rule or parser check broken).
    """

    default_domain = ErrorDomain.XML
    default_code = ErrorCode.XML_ERROR

    @property
    def file(self) -> str | None:
        """The file the XML came from, when it came from one."""
        value = self.detail.get("file")
        return str(value) if value is not None else None

    @property
    def line(self) -> int | None:
        """The line of the first problem (1-based), when known."""
        value = self.detail.get("line")
        return int(value) if value is not None else None

    @property
    def column(self) -> int | None:
        """The column of the first problem, when known."""
        value = self.detail.get("column")
        return int(value) if value is not None else None

    @property
    def rule(self) -> str | None:
        """The rule that was broken, in words."""
        value = self.detail.get("rule")
        return str(value) if value is not None else None


class ConfigError(CorralError):
    """A configuration file (corrald.conf, a plugin's rules) is wrong."""

    default_domain = ErrorDomain.CONFIG
    default_code = ErrorCode.CONF_SYNTAX


class NoSupportError(CorralError):
    """The driver, backend or platform does not offer this operation."""

    default_code = ErrorCode.NO_SUPPORT


class HookScriptError(CorralError):
    """An administrator's hook script failed."""

    default_domain = ErrorDomain.HOOKS
    default_code = ErrorCode.HOOK_SCRIPT_FAILED


class ProtocolError(CorralError):
    """A daemon protocol message was malformed, too large or refused."""

    default_domain = ErrorDomain.RPC
    default_code = ErrorCode.RPC


_CLASSES: dict[str, type[CorralError]] = {
    klass.__name__: klass
    for klass in (
        CorralError,
        CommandError,
        XMLError,
        ConfigError,
        NoSupportError,
        HookScriptError,
        ProtocolError,
    )
}


def _enum_or(kind: type[enum.Enum], value: Any, fallback: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return fallback


def _rebuild(
    error_class: type[CorralError],
    message: str,
    domain: ErrorDomain,
    code: ErrorCode,
    detail: dict[str, Any],
) -> CorralError:
    return error_class(message, domain=domain, code=code, **detail)
