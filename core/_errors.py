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

The model is open to drivers: a subclass may have a constructor of its own (copies, pickles
and the wire form never call it; they restore the attributes), every subclass is known to
:meth:`CorralError.from_dict` by its class name once its module is imported, and a domain
is any short lowercase name -- :class:`ErrorDomain` lists corral's own.
"""

from __future__ import annotations

import enum
import math
import os
import re
from typing import Any, ClassVar, Self, TypeVar

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
    """The subsystem an error comes from (libvirt's ``virErrorDomain``): corral's own.

    The set is not closed: a third-party driver may use a domain of its own, any short
    lowercase name (see :meth:`of`); an error's ``domain`` is then that plain string.
    """

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

    @classmethod
    def of(cls, value: str) -> str:
        """Return ``value`` as a domain: the member when corral knows it, else the string.

        Raises:
            ValueError: If ``value`` is not 1-32 characters of ``a-z``, ``0-9``, ``_`` or
                ``-`` starting with a letter (a domain is a name, not a sentence).
        """
        try:
            return cls(value)
        except ValueError:
            if isinstance(value, str) and _DOMAIN_NAME.fullmatch(value):
                return value
        raise ValueError(f"{value!r} is not an error domain: use a short lowercase name "
                         "like 'leases' (a-z, 0-9, '_' or '-', starting with a letter).")


_DOMAIN_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


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

    A subclass may define a constructor with arguments of its own; it must call
    ``super().__init__(message, ...)`` and should pass its machine-readable fields as
    ``detail`` (attributes set otherwise survive pickling and :meth:`with_message`, but
    not the daemon socket).

    Args:
        message: A complete sentence for a human; ``str(error)`` returns it.
        domain: The subsystem that raised it (defaults to the class's domain): an
            :class:`ErrorDomain` or a driver's own short lowercase name.
        code: What went wrong (defaults to the class's code).
        **detail: Machine-readable context (JSON-serialisable values), kept in
            :attr:`detail` and sent across the daemon socket under ``data``.

    Raises:
        ValueError: If ``domain`` is not a valid domain name (see :meth:`ErrorDomain.of`).
    """

    default_domain: ClassVar[str] = ErrorDomain.NONE
    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        domain: str | None = None,
        code: ErrorCode | None = None,
        **detail: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.domain = ErrorDomain.of(domain) if domain is not None else self.default_domain
        self.code = ErrorCode(code) if code is not None else self.default_code
        self.detail: dict[str, Any] = detail

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every subclass is rebuilt as itself from the wire; corral's own names stay
        # corral's (a third party's "CommandError" must not take over the engine's).
        super().__init_subclass__(**kwargs)
        ErrorDomain.of(cls.default_domain)
        known = _CLASSES.get(cls.__name__)
        if known is None or known.__module__ != __name__:
            _CLASSES[cls.__name__] = cls

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, domain={str(self.domain)!r}, "
            f"code={self.code.name})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Not (class, args): a subclass's constructor may take other arguments than the
        # message. The instance is made blank and its attributes restored instead.
        return (_blank, (type(self), self.message), self.__dict__.copy())

    def with_message(self, message: str, **detail: Any) -> Self:
        """Return a copy saying ``message``, with ``detail`` added; class, domain and code kept.

        The copy is made without calling the constructor, so it works for any subclass.
        """
        copy = _blank(type(self), message)
        copy.__dict__.update(self.__dict__)
        copy.message = message
        copy.detail = {**self.detail, **detail}
        return copy

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form: ``{"class", "desc", "data": {"domain", "code", ...}}``.

        Every value is JSON-able, so the daemon can always send it: a detail value JSON
        cannot hold becomes the nearest thing it can (a path its string, a tuple or set a
        list, bytes their text with undecodable bytes escaped, anything else ``str()``).
        """
        data = {"domain": str(self.domain), "code": int(self.code),
                **{str(key): _jsonable(value) for key, value in self.detail.items()}}
        return {"class": type(self).__name__, "desc": self.message, "data": data}

    @classmethod
    def from_dict(cls, wire: object) -> CorralError:
        """Rebuild the error :meth:`to_dict` produced, as the same class where known.

        A class the receiving side does not know (its module is not imported there)
        becomes a :class:`CorralError` with the same message, domain, code and detail; an
        unreadable domain or code becomes ``none`` / INTERNAL_ERROR.

        Raises:
            ProtocolError: If ``wire`` is not an object, or its ``data`` is neither an
                object nor null (a malformed message, not an error report).
        """
        if not isinstance(wire, dict):
            raise ProtocolError(f"An error on the wire must be an object, not "
                                f"{type(wire).__name__}.")
        raw = wire.get("data")
        if raw is not None and not isinstance(raw, dict):
            raise ProtocolError(f"The 'data' of an error on the wire must be an object, not "
                                f"{type(raw).__name__}.")
        data = dict(raw or {})
        try:
            domain = ErrorDomain.of(data.pop("domain", None))
        except ValueError:
            domain = ErrorDomain.NONE
        try:
            code = ErrorCode(data.pop("code", None))
        except ValueError:
            code = ErrorCode.INTERNAL_ERROR
        desc = wire.get("desc")
        error = _blank(_CLASSES.get(str(wire.get("class")), CorralError),
                       "" if desc is None else str(desc))
        error.domain, error.code, error.detail = domain, code, data
        return error


#: Every CorralError class by name, for :meth:`CorralError.from_dict` (filled by
#: ``__init_subclass__``; the root is added by hand).
_CLASSES: dict[str, type[CorralError]] = {"CorralError": CorralError}

_E = TypeVar("_E", bound=CorralError)


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


def _jsonable(value: Any) -> Any:
    """Return ``value`` as JSON can hold it (see :meth:`CorralError.to_dict`)."""
    if value is None or isinstance(value, str | int):  # bool and IntEnum are ints
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # strict JSON has no NaN
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
        if isinstance(value, str):
            return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return str(value)


def _blank(error_class: type[_E], message: str) -> _E:
    """Return an instance of ``error_class`` whose constructor was not called."""
    error = error_class.__new__(error_class, message)  # BaseException.__new__ sets args
    error.message = message
    return error
