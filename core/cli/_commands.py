"""Every ``corral`` command, and the parsers that read their command lines.

:data:`COMMANDS` is the one list: ``--help``, ``corral help``, the bash completion and
the dispatcher all read it. A command's parser is built only when it runs (or when help
or completion asks), and a command's heavy imports (``validate``'s lxml) happen only in
its own ``run``: a ``corral`` start pays for the one verb it runs.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.cli import _completion, _dumpconf, _exec, _help, _tunnel
from corral.core.cli._command import CliCommand
from corral.core.cli._table import command
from corral.core.cli._verbs import VERBS

__all__ = ["COMMANDS", "Parser", "find", "verb_parser"]


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a CorralError (exit 1) rather than exit 2."""

    def error(self, message: str) -> NoReturn:
        raise CorralError(
            f"{message} (see '{self.prog} --help').",
            domain=ErrorDomain.CLI,
            code=ErrorCode.INVALID_ARG,
        )


def _validate() -> CliCommand:
    def load() -> CliCommand:
        from corral.core.cli import _validate as module  # lxml: only for this verb

        return module.COMMAND

    return CliCommand(
        name="validate",
        help="check an XML definition against the schema and rules of its kind",
        add_arguments=lambda parser: load().add_arguments(parser),
        run=lambda args, console: load().run(args, console),
    )


#: Every command, in ``corral --help`` order.
COMMANDS: tuple[CliCommand, ...] = (
    _help.COMMAND,
    _completion.COMMAND,
    *(command(verb) for verb in VERBS[:1]),  # version
    _exec.EXEC,
    _exec.EXEC_STATUS,
    *(command(verb) for verb in VERBS[1:]),
    _validate(),
    _dumpconf.COMMAND,
    _tunnel.COMMAND,
)

_BY_NAME = {entry.name: entry for entry in COMMANDS}


def find(name: str) -> CliCommand:
    """Return the command called ``name``.

    Raises:
        CorralError: INVALID_ARG, virsh's ``unknown command: 'NAME'``.
    """
    found = _BY_NAME.get(name)
    if found is None:
        raise CorralError(f"unknown command: '{name}' (see 'corral help').",
                          domain=ErrorDomain.CLI, code=ErrorCode.INVALID_ARG)
    return found


def verb_parser(entry: CliCommand) -> argparse.ArgumentParser:
    """Return the parser of one command's own arguments."""
    parser = Parser(prog=f"corral {entry.name}", description=entry.help)
    entry.add_arguments(parser)
    return parser
