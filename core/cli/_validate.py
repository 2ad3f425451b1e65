"""``corral validate FILE``: check a definition without a daemon, whatever its kind.

The file is read with the hardened reader, its root element names the kind, and the
``corral.definitions`` entry point of that name -- the driver's loader -- runs the rest of
the pipeline (the kind's schema, the rules the schema cannot express), exactly as a
``*-define`` will, so a file that validates here is one the daemon accepts. Kinds come
only through the entry points: a third party's validate the same way as corral's own.
Success prints ``FILE validates``; a failure is ``error: FILE:LINE: rule`` (reported by
``main``). File names are printed with their control characters escaped.
"""

from __future__ import annotations

import argparse

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.cli._command import CliCommand, Console
from corral.core.host import DEFINITION_GROUP, Registry
from corral.core.xml import printable, read_xml

__all__ = ["COMMAND"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an XML definition, of any installed kind")


def _run(args: argparse.Namespace, console: Console) -> int:
    file: str = args.file
    tree = read_xml(file)
    root = tree.getroot()
    loader = Registry.discover((DEFINITION_GROUP,)).definition_loader(root, file=file)
    try:
        definition = loader(tree, file=file)
        name = definition.name  # a third party's definition may lack it, or hold anything
        if not isinstance(name, str):
            raise TypeError(f"the definition's name is {type(name).__name__}, not str")
    except CorralError:
        raise
    except Exception as exc:  # a third party's bug still ends in one error line
        raise CorralError(
            f"The {DEFINITION_GROUP} entry point '{root.tag}' failed on {printable(file)}: "
            f"{type(exc).__name__}: {exc}",
            domain=ErrorDomain.CLI,
            code=ErrorCode.INTERNAL_ERROR,
        ) from exc
    data = {"file": file, "valid": True, "type": root.tag, "name": name}
    console.result(f"{printable(file)} validates", data)
    return 0


COMMAND = CliCommand(
    name="validate",
    help="check an XML definition against the schema and rules of its kind",
    add_arguments=_add_arguments,
    run=_run,
)
