"""corrald's logging, configured in libvirt's terms: levels, filters and outputs.

- Levels are libvirt's numbers: 1 debug, 2 info, 3 warning, 4 error.
- ``log_filters = "1:corral.daemon 3:*"``: a space-separated list of ``LEVEL:NAME``. The
  first filter whose NAME matches a logger (the logger itself or a child of it, or a glob
  such as ``corral.drivers.*`` or ``*``) sets the least level logged for it; a logger no
  filter matches uses ``log_level``. (libvirt matches source file names; corral's
  categories are logger names.) A leading ``+`` (libvirt's "with a stack trace") is
  accepted and ignored.
- ``log_outputs = "3:stderr 1:file:/var/log/corrald.log 2:syslog:corrald"``: each output
  takes the messages the filters let through that are at least its own level. Empty
  means ``LOG_LEVEL:stderr``. libvirt's ``journald`` output is refused: under systemd,
  stderr is the journal.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import logging
import logging.handlers
import os
import sys

from corral.core._errors import ConfigError, ErrorCode

__all__ = ["LogSettings", "apply_logging", "parse_filters", "parse_outputs"]

_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_FORMAT = "%(asctime)s: %(process)d: %(levelname)s : %(name)s: %(message)s"


@dataclasses.dataclass(frozen=True)
class LogSettings:
    """What :func:`apply_logging` installs (the admin socket can change it live).

    Attributes:
        level: The default level (1-4).
        filters: ``log_filters`` text.
        outputs: ``log_outputs`` text ("" for stderr at ``level``).
    """

    level: int = 3
    filters: str = ""
    outputs: str = ""


def _fail(key: str, why: str) -> ConfigError:
    return ConfigError(f"The setting '{key}' is wrong: {why}.", code=ErrorCode.CONF_SYNTAX,
                       key=key)


def _level(text: str, key: str, item: str) -> int:
    if text not in ("1", "2", "3", "4"):
        raise _fail(key, f"'{item}' must start with a level 1-4 and a colon")
    return _LEVELS[int(text)]


def parse_filters(text: str) -> tuple[tuple[int, str], ...]:
    """Parse ``log_filters`` into ``(python level, pattern)`` pairs, in order.

    Raises:
        ConfigError: For an item that is not ``LEVEL:NAME``.
    """
    filters = []
    for item in text.split():
        level, _, name = item.lstrip("+").partition(":")
        if not name:
            raise _fail("log_filters", f"'{item}' is not LEVEL:NAME")
        filters.append((_level(level, "log_filters", item), name))
    return tuple(filters)


def parse_outputs(text: str, default_level: int) -> tuple[tuple[int, str, str], ...]:
    """Parse ``log_outputs`` into ``(python level, kind, argument)`` triples.

    Raises:
        ConfigError: For an unknown kind, a file output without a path or a bad level.
    """
    outputs = []
    for item in (text.split() or [f"{default_level}:stderr"]):
        level, _, rest = item.partition(":")
        kind, _, argument = rest.partition(":")
        python_level = _level(level, "log_outputs", item)
        if kind == "journald":
            raise _fail("log_outputs", "journald is not supported; under systemd, use "
                        "stderr (the journal records it)")
        if kind not in ("stderr", "file", "syslog") or (kind == "file" and not argument):
            raise _fail("log_outputs", f"'{item}' is not LEVEL:stderr, LEVEL:file:PATH or "
                        "LEVEL:syslog:NAME")
        outputs.append((python_level, kind, argument))
    return tuple(outputs)


class _Rules(logging.Filter):
    """Let a record through when the filters' level for its logger and the output's allow."""

    def __init__(self, filters: tuple[tuple[int, str], ...], default: int, floor: int) -> None:
        super().__init__()
        self.filters, self.default, self.floor = filters, default, floor

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - one per output, few logger names
    def threshold(self, name: str) -> int:
        for level, pattern in self.filters:
            if name == pattern or name.startswith(pattern + ".") or \
                    fnmatch.fnmatchcase(name, pattern):
                return level
        return self.default

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= max(self.floor, self.threshold(record.name))


class _FileOutput(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that owns its file: closing it closes the file."""

    def close(self) -> None:
        self.acquire()
        try:
            self.stream.close()
        finally:
            self.release()
        super().close()


def _handler(kind: str, argument: str) -> logging.Handler:
    if kind == "stderr":
        return logging.StreamHandler(sys.stderr)
    if kind == "file":
        try:
            # 0600 and appended to, as libvirt's log files are; never through a link.
            fd = os.open(argument, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW |
                         os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise _fail("log_outputs", f"cannot open the log file {argument}: "
                        f"{exc.strerror}") from exc
        return _FileOutput(os.fdopen(fd, "a", encoding="utf-8"))
    handler = logging.handlers.SysLogHandler(address="/dev/log")
    handler.ident = f"{argument or 'corrald'}: "
    return handler


_installed: list[logging.Handler] = []


def apply_logging(settings: LogSettings) -> None:
    """Replace corrald's log handlers with those ``settings`` describe.

    Nothing changes if the settings are wrong.

    Raises:
        ConfigError: As :func:`parse_filters` and :func:`parse_outputs`, or for a log file
            that cannot be opened.
    """
    if settings.level not in _LEVELS:
        raise _fail("log_level", f"must be 1, 2, 3 or 4, not {settings.level}")
    default = _LEVELS[settings.level]
    filters = parse_filters(settings.filters)
    outputs = parse_outputs(settings.outputs, settings.level)
    handlers = []
    try:
        for level, kind, argument in outputs:
            handler = _handler(kind, argument)
            handler.setFormatter(logging.Formatter(_FORMAT))
            handler.addFilter(_Rules(filters, default, level))
            handlers.append(handler)
    except ConfigError:
        for handler in handlers:
            handler.close()
        raise
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed[:] = handlers
    for handler in handlers:
        root.addHandler(handler)
    # Records below every threshold are never built.
    lowest = min([default, *(level for level, _ in filters)])
    root.setLevel(max(lowest, min(level for level, _, _ in outputs)))
