"""``corral help [COMMAND]``: the list of commands, or one command's ``--help``."""

from __future__ import annotations

import argparse

from corral.core.cli._command import CliCommand, Console

__all__ = ["COMMAND", "summary"]


def summary() -> str:
    """The command list ``corral --help`` and ``corral help`` end with."""
    from corral.core.cli._commands import COMMANDS

    width = max(len(entry.name) for entry in COMMANDS)
    lines = [f"  {entry.name:<{width}}  {entry.help}" for entry in COMMANDS]
    return "commands (corral help COMMAND for one):\n" + "\n".join(lines) + "\n"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", metavar="COMMAND", nargs="?", help="the command to describe")


def _run(args: argparse.Namespace, console: Console) -> int:
    from corral.core.cli._commands import find, verb_parser
    from corral.core.cli.main import build_parser

    if args.topic is None:
        console.write(build_parser().format_help())
    else:
        console.write(verb_parser(find(args.topic)).format_help())
    return 0


COMMAND = CliCommand(
    name="help",
    help="list the commands, or describe one",
    add_arguments=_add_arguments,
    run=_run,
)
