"""Table-driven verbs: a verb is its QMP command, its arguments and how to show the result.

A :class:`Verb` says which command-line arguments become which QMP arguments
(:class:`Param`), and :func:`command` turns it into a :class:`CliCommand` that connects,
runs the command and prints the ``return`` value -- exactly, with ``--json``, else
through the verb's ``show``. A daemon without the command (its driver is not installed)
answers with a NO_SUPPORT error naming it.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from corral.core import CorralError, ErrorCode, ErrorDomain, XMLError
from corral.core.cli._command import CliCommand, Console

__all__ = ["MAX_FILE", "Param", "Show", "Verb", "command", "connect", "read_file", "values"]

#: The largest definition file read (virsh's VSH_MAX_XML_FILE, 10 MiB).
MAX_FILE = 10 * 1024 * 1024

Kind = Literal["str", "int", "file", "xml", "flag", "unflag", "show"]
Show = Callable[[Any, argparse.Namespace, Console], None]


class Param(NamedTuple):
    """One command-line argument of a verb.

    Attributes:
        flag: ``NAME`` (a positional, upper case) or ``--option``.
        wire: The QMP argument it fills.
        help: One line for ``--help``.
        kind: ``str`` / ``int`` (the value), ``file`` (the file's text), ``xml`` (the
            file's text when the value names an existing file, else the value itself:
            virsh's rule for ``net-update``'s XML), ``flag`` (true
            when given, absent otherwise), ``unflag`` (false when given, true otherwise:
            ``--disable``) or ``show`` (changes only how the result is printed).
        optional: A positional that may be left out (absent from the QMP arguments).
    """

    flag: str
    wire: str
    help: str
    kind: Kind = "str"
    optional: bool = False

    @property
    def dest(self) -> str:
        """The argparse destination: a positional's wire name, an option's own name."""
        name = self.flag if self.flag.startswith("-") else self.wire
        return name.lstrip("-").replace("-", "_")


class Verb(NamedTuple):
    """A verb that runs one QMP command.

    Attributes:
        name: The verb (``net-list``).
        command: The QMP command (``network-list``).
        help: One line for ``corral --help``.
        show: Prints the ``return`` value for people (``--json`` prints it as is).
        params: Its arguments, in command-line order.
        build: Adds QMP arguments computed from several parameters (``secret-set-value``).
        options: Adds the command-line arguments ``build`` reads.
    """

    name: str
    command: str
    help: str
    show: Show
    params: tuple[Param, ...] = ()
    build: Callable[[argparse.Namespace], dict[str, Any]] | None = None
    options: Callable[[argparse.ArgumentParser], None] | None = None

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the verb's arguments to its parser."""
        for param in self.params:
            if param.flag.startswith("-"):
                if param.kind in ("flag", "unflag", "show"):
                    parser.add_argument(param.flag, dest=param.dest, action="store_true",
                                        help=param.help)
                else:
                    parser.add_argument(param.flag, dest=param.dest, help=param.help,
                                        type=int if param.kind == "int" else str,
                                        metavar=param.dest.upper())
            else:
                parser.add_argument(param.dest, metavar=param.flag, help=param.help,
                                    nargs="?" if param.optional else None,
                                    type=int if param.kind == "int" else str)
        if self.options is not None:
            self.options(parser)

    def arguments(self, args: argparse.Namespace) -> dict[str, Any]:
        """Return the QMP arguments the parsed command line stands for."""
        found: dict[str, Any] = {}
        for param in self.params:
            value = getattr(args, param.dest)
            if param.kind == "show" or value is None or (param.kind == "flag" and not value):
                continue
            if param.kind == "file" or (param.kind == "xml" and os.path.isfile(value)):
                value = read_file(value)
            elif param.kind == "unflag":
                value = not value
            found[param.wire] = value
        if self.build is not None:
            found.update(self.build(args))
        return found

    def run(self, args: argparse.Namespace, console: Console) -> int:
        """Connect, run the command and print its result."""
        arguments = self.arguments(args)  # a bad file fails before any connection
        with connect(args) as client:
            try:
                value = client.execute(self.command, arguments)
            except XMLError as exc:
                raise self._named(exc, args) from None
        if console.json:
            console.write(json.dumps(value) + "\n")
        else:
            self.show(value, args, console)
        return 0


    def _named(self, error: XMLError, args: argparse.Namespace) -> XMLError:
        """The daemon's error about the file's text, naming the file as ``corral validate``.

        The daemon parsed the text it was sent, so its message says ``<string>:6: ...``;
        the user gave a path and is told ``bad.xml:6: ...``.
        """
        files = [getattr(args, param.dest) for param in self.params if param.kind == "file"]
        unnamed = "<string>:"
        if len(files) != 1 or error.detail.get("file") not in (None, "<string>") \
                or not error.message.startswith(unnamed):
            return error
        from corral.core.xml import printable

        return error.with_message(printable(files[0]) + error.message[len(unnamed) - 1:],
                                  file=files[0])


def command(verb: Verb) -> CliCommand:
    """The :class:`CliCommand` running ``verb``."""
    return CliCommand(verb.name, verb.help, verb.add_arguments, verb.run)


def connect(args: argparse.Namespace) -> Any:
    """Connect as the global options say (``-c``, ``--root``, ``-r``)."""
    from corral.core.client import connect as connect_to

    return connect_to(args.connect, root=args.root, readonly=args.readonly)


def read_file(path: str, *, binary: bool = False) -> Any:
    """Return a file's text (bytes with ``binary``); ``-`` is standard input.

    Raises:
        CorralError: INVALID_ARG naming the file when it cannot be read or is too large.
    """
    import sys

    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_FILE + 1)
        else:
            with open(path, "rb") as stream:
                data = stream.read(MAX_FILE + 1)
    except OSError as exc:
        raise _file_error(f"{path}: cannot open the file: {exc.strerror}.", path) from None
    if len(data) > MAX_FILE:
        raise _file_error(f"{path}: the file is larger than the limit of {MAX_FILE} bytes.",
                          path)
    if binary:
        return data
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise _file_error(f"{path}: the file is not UTF-8 text.", path) from None


def _file_error(message: str, path: str) -> CorralError:
    return CorralError(message, domain=ErrorDomain.CLI, code=ErrorCode.INVALID_ARG, file=path)


def values(value: Any) -> dict[str, Any]:
    """A ``return`` value that must be an object (an empty one when it is not)."""
    return value if isinstance(value, dict) else {}
