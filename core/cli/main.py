"""The ``corral`` entry point: global options, one sub-command, virsh's exit statuses.

``corral [-c URI] [--root DIR] [-r] [-q] [--json] COMMAND ARGS``. The global options are
those of every command (the daemon-backed ones arrive with the daemon); ``validate`` needs
no daemon and uses only ``-q`` and ``--json``. Any :class:`~corral.core.CorralError`, and
any usage mistake, ends as ``error: <message>`` on standard error with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import NoReturn

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.cli import _validate
from corral.core.cli._command import CliCommand, Console

__all__ = ["COMMANDS", "build_parser", "main"]

#: Every command, in ``corral --help`` order. A new command is a module and a line here.
COMMANDS: tuple[CliCommand, ...] = (_validate.COMMAND,)

_URI_ENV = "CORRAL_DEFAULT_URI"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a CorralError (exit 1) rather than exit 2."""

    def error(self, message: str) -> NoReturn:
        raise CorralError(
            f"{message} (see '{self.prog} --help').",
            domain=ErrorDomain.CLI,
            code=ErrorCode.INVALID_ARG,
        )


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for the whole command line, with one sub-parser per command."""
    parser = _Parser(prog="corral", description="Manage a host the way libvirt does.")
    parser.add_argument("--version", action="version", version=f"corral {_version()}")
    parser.add_argument(
        "-c",
        "--connect",
        metavar="URI",
        default=os.environ.get(_URI_ENV),
        help=f"the daemon socket or URI to talk to (default: ${_URI_ENV})",
    )
    parser.add_argument("--root", metavar="DIR", help="keep all state under DIR")
    parser.add_argument("-r", "--readonly", action="store_true", help="connect read-only")
    parser.add_argument("-q", "--quiet", action="store_true", help="say nothing on success")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(handler=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``corral`` command line and return its exit status.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on failure (after ``error: ...`` on standard error).
    """
    console = Console(out=sys.stdout, err=sys.stderr)
    try:
        args = build_parser().parse_args(argv)
        console = Console(sys.stdout, sys.stderr, quiet=args.quiet, json=args.json)
        command: CliCommand = args.handler
        return command.run(args, console)
    except CorralError as exc:
        console.error(str(exc))
        return 1
    except SystemExit as exc:  # --help and --version end argparse this way
        return exc.code if isinstance(exc.code, int) else 0


def _version() -> str:
    try:
        return metadata.version("corral")
    except metadata.PackageNotFoundError:  # running from a tree nobody installed
        return "unknown"
