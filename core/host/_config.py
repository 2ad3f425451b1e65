"""Read ``corrald.conf``: libvirt's "virConf" syntax, checked against the known keys.

The syntax is libvirtd.conf's, not INI::

    # a comment, anywhere after a value too
    plugins = ["audit", "policy"]     # a list may span lines; a trailing comma is fine
    audit_log_file = "/var/log/corral/audit.log"
    max_clients = 5000                # integers; booleans are 0 or 1

Parsing is kept apart from checking: :func:`parse_config` turns text into raw values with
their line numbers, :func:`check_value` gives each value its key's type. Every problem is a
:class:`~corral.core.ConfigError` naming ``file:line`` and the key, so an administrator can
go straight to the mistake. What a key is (:class:`~corral.core.ConfigKey`) and the checked
result (:class:`~corral.core.Config`) live outside the host, in ``corral.core``, because
plugins and drivers use them. The keys are not hard-wired here: the host declares
:data:`CORE_CONFIG_KEYS`, each plugin its own ``config_keys``, the daemon its own, and
:func:`load_config` accepts their union.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from corral.core._errors import ConfigError, ErrorCode
from corral.core._settings import Config, ConfigKey, ConfigValue

__all__ = ["CORE_CONFIG_KEYS", "check_config", "load_config", "parse_config"]

# One token per match; whitespace and comments are skipped by the scanner, newlines are
# kept because they end a statement (except inside a list).
_TOKEN = re.compile(
    r"""(?P<newline>\n)|(?P<space>[ \t\r]+)|(?P<comment>\#[^\n]*)
    |(?P<string>"[^"\n]*")|(?P<int>[+-]?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<punct>[=\[\],;])""",
    re.VERBOSE,
)


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int


@dataclasses.dataclass(frozen=True)
class _RawValue:
    """One ``key = value`` as written: the parsed value and where it stood."""

    value: str | int | tuple[str | int, ...]
    line: int


def check_value(key: ConfigKey, raw: _RawValue, file: str) -> ConfigValue:
    """Return ``raw`` as ``key``'s type, or raise ConfigError naming file:line."""
    value = raw.value
    if key.kind == "string" and isinstance(value, str):
        return value
    if key.kind == "int" and isinstance(value, int):
        return value
    if key.kind == "bool" and value in (0, 1) and isinstance(value, int):
        return bool(value)
    if key.kind == "list" and isinstance(value, tuple):
        if all(isinstance(item, str) for item in value):
            return tuple(str(item) for item in value)
    wanted = {"string": "a quoted string", "int": "an integer", "bool": "0 or 1",
              "list": 'a list of quoted strings like ["a", "b"]'}[key.kind]
    raise ConfigError(
        f"{file}:{raw.line}: the value of '{key.name}' must be {wanted}, not {value!r}.",
        code=ErrorCode.CONF_SYNTAX, file=file, line=raw.line, key=key.name,
    )


CORE_CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("plugins", "list", (), "The plugins to enable, by entry-point name."),
)


def _tokens(text: str, file: str) -> Iterator[_Token]:
    line, position = 1, 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ConfigError(
                f"{file}:{line}: unexpected character {text[position]!r} "
                "(strings need double quotes, lists square brackets).",
                file=file, line=line,
            )
        kind = match.lastgroup or ""
        if kind not in ("space", "comment"):
            yield _Token(kind, match.group(), line)
        line += kind == "newline"
        position = match.end()
    yield _Token("end", "", line)


class _Parser:
    """A recursive-descent reader over the token stream (statements, values, lists)."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.tokens = list(_tokens(text, file))
        self.index = 0

    def peek(self, skip_newlines: bool = False) -> _Token:
        while skip_newlines and self.tokens[self.index].kind == "newline":
            self.index += 1
        return self.tokens[self.index]

    def take(self, skip_newlines: bool = False) -> _Token:
        token = self.peek(skip_newlines)
        self.index += token.kind != "end"
        return token

    def fail(self, token: _Token, wanted: str) -> ConfigError:
        found = repr(token.text) if token.kind not in ("end", "newline") else "the end of the line"
        return ConfigError(f"{self.file}:{token.line}: expected {wanted}, found {found}.",
                           file=self.file, line=token.line)

    def statements(self) -> Iterator[tuple[str, _RawValue]]:
        while (token := self.take(skip_newlines=True)).kind != "end":
            if token.kind == "punct" and token.text == ";":
                continue
            if token.kind != "name":
                raise self.fail(token, "a setting name")
            if (equals := self.take()).text != "=":
                raise self.fail(equals, f"'=' after '{token.text}'")
            yield token.text, _RawValue(self.value(), token.line)
            end = self.take()
            if end.kind not in ("newline", "end") and end.text != ";":
                raise self.fail(end, f"the end of the line after the value of '{token.text}'")

    def value(self, in_list: bool = False) -> str | int | tuple[str | int, ...]:
        token = self.take(skip_newlines=in_list)
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "int":
            return int(token.text)
        if token.text == "[" and not in_list:
            return self.items()
        raise self.fail(token, "a quoted string, an integer or a list")

    def items(self) -> tuple[str | int, ...]:
        items: list[str | int] = []
        while self.peek(skip_newlines=True).text != "]":
            item = self.value(in_list=True)
            assert not isinstance(item, tuple)  # nested lists are refused by value()
            items.append(item)
            if self.peek(skip_newlines=True).text != ",":
                break
            self.take(skip_newlines=True)
        if (close := self.take(skip_newlines=True)).text != "]":
            raise self.fail(close, "',' or ']' in the list")
        return tuple(items)


def parse_config(text: str, file: str = "<string>") -> dict[str, _RawValue]:
    """Parse virConf text into raw values by key; a repeated key keeps the last value.

    Raises:
        ConfigError: On a syntax error, naming ``file:line``.
    """
    return dict(_Parser(text, file).statements())


def check_config(raw: Mapping[str, _RawValue], keys: Iterable[ConfigKey], file: str) -> Config:
    """Give each raw value its key's type and fill in the defaults.

    Raises:
        ConfigError: For an unknown key (with close matches) or a value of the wrong type.
    """
    known = {key.name: key for key in keys}
    values: dict[str, ConfigValue] = {name: key.default for name, key in known.items()}
    for name, value in raw.items():
        if name not in known:
            import difflib  # only on this error path: keep `import corral.core` light

            close = difflib.get_close_matches(name, known, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"{file}:{value.line}: unknown setting '{name}'.{hint}",
                file=file, line=value.line, key=name,
            )
        values[name] = check_value(known[name], value, file)
    return Config(values, file)


def load_config(path: str | Path | None, keys: Iterable[ConfigKey]) -> Config:
    """Read and check corrald.conf at ``path``; None gives the defaults.

    Raises:
        ConfigError: If the file cannot be read (code READ_FAILED) or is wrong.
    """
    keys = tuple(keys)
    if path is None:
        return Config.defaults(keys)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the configuration file {path}: {exc}.",
                          code=ErrorCode.READ_FAILED, file=str(path)) from exc
    return check_config(parse_config(text, str(path)), keys, str(path))
