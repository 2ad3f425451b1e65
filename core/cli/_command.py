"""What a CLI command is, and the console every command writes through.

A command is a :class:`CliCommand`: its name, a one-line help, a function that adds its
arguments to an argparse sub-parser, and a function that runs it. ``main`` knows the
commands only through that shape, so a new command is one new module plus one line in
:data:`corral.core.cli.main.COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO

__all__ = ["CliCommand", "Console", "Rows"]

#: A table as a verb hands it over: its header and its rows.
Rows = tuple[tuple[str, ...], list[tuple[str, ...]]]


class Console(NamedTuple):
    """Where output goes, honouring the global ``-q`` and ``--json`` options.

    Args:
        out: Standard output.
        err: Standard error.
        quiet: ``-q``: say nothing on success.
        json: ``--json``: results as one JSON object per line instead of text.
        tables: When a list, :meth:`table` and :meth:`block` append there instead of
            printing (``--hosts`` merges every host's into one table).
    """

    out: TextIO
    err: TextIO
    quiet: bool = False
    json: bool = False
    tables: list[Rows] | None = None

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

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Print a table as virsh does (``-q``: without the header and the rule)."""
        if self.tables is not None:
            self.tables.append((tuple(header), [tuple(map(str, row)) for row in rows]))
            return
        from corral.core.cli._render import table

        self.out.write(table(header, rows, quiet=self.quiet))

    def block(self, pairs: Sequence[tuple[str, object]], *, width: int = 15) -> None:
        """Print ``Key:  value`` lines (net-info); one row of a table when recording."""
        if self.tables is not None:
            self.tables.append((tuple(k for k, _ in pairs), [tuple(str(v) for _, v in pairs)]))
            return
        from corral.core.cli._render import block

        self.out.write(block(pairs, width=width))

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
