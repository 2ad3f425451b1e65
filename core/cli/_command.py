"""What a CLI command is, and the console every command writes through.

A command is a :class:`CliCommand`: its name, a one-line help, a function that adds its
arguments to an argparse sub-parser, and a function that runs it. ``main`` knows the
commands only through that shape, so a new command is one new module plus one line in
:data:`corral.core.cli.main.COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, NamedTuple, TextIO

__all__ = ["CliCommand", "Console"]


class Console(NamedTuple):
    """Where output goes, honouring the global ``-q`` and ``--json`` options.

    Args:
        out: Standard output.
        err: Standard error.
        quiet: ``-q``: say nothing on success.
        json: ``--json``: results as one JSON object per line instead of text.
    """

    out: TextIO
    err: TextIO
    quiet: bool = False
    json: bool = False

    # NamedTuples, not dataclasses: dataclasses imports inspect, a tenth of a start.

    def result(self, text: str, data: dict[str, Any]) -> None:
        """Report a success: ``text`` for people, ``data`` for ``--json`` (``-q``: nothing)."""
        if self.quiet:
            return
        line = json.dumps(data, sort_keys=True) if self.json else text
        print(line, file=self.out)

    def write(self, text: str) -> None:
        """Write ``text`` as it is to standard output (tables, XML, ``--json`` values)."""
        self.out.write(text)

    def say(self, text: str) -> None:
        """Write one line that only confirms a success (``-q`` drops it, as virsh's)."""
        if not self.quiet:
            print(text, file=self.out)

    def error(self, message: str) -> None:
        """Report a failure as virsh does: ``error: message`` on standard error."""
        print(f"error: {message}", file=self.err)


class CliCommand(NamedTuple):
    """One ``corral`` command.

    Attributes:
        name: The verb on the command line (``validate``, ``net-list``...).
        help: One line for ``corral --help``.
        add_arguments: Adds the command's own arguments to its sub-parser.
        run: Runs the command with the parsed arguments; returns the exit status. It
            raises :class:`~corral.core.CorralError` on failure (``main`` reports it).
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Console], int]
