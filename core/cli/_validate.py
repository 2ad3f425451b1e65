"""``corral validate FILE``: check a network or pool definition without a daemon.

The whole definition pipeline runs (hardened parser, the schema the root element picks,
the rules the schema cannot express), exactly as ``net-define`` / ``pool-define`` will, so
a file that validates here is one the daemon accepts. Success prints ``FILE validates``;
a failure is ``error: FILE:LINE: rule`` (reported by ``main``).
"""

from __future__ import annotations

import argparse

from corral.core.cli._command import CliCommand, Console
from corral.core.xml import NetworkDefinition, load_definition

__all__ = ["COMMAND"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a <network> or <pool> XML definition")


def _run(args: argparse.Namespace, console: Console) -> int:
    file: str = args.file
    definition = load_definition(file)
    kind = "network" if isinstance(definition, NetworkDefinition) else "pool"
    data = {"file": file, "valid": True, "type": kind, "name": definition.name}
    console.result(f"{file} validates", data)
    return 0


COMMAND = CliCommand(
    name="validate",
    help="check a <network> or <pool> definition against corral's schemas",
    add_arguments=_add_arguments,
    run=_run,
)
