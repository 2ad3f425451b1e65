"""``corral --hosts FILE VERB ...``: one verb on every host of a file, one answer.

The file holds one URI per line (``#`` starts a comment line). Every host is connected and
asked at once (:func:`corral.core.client.connect_many`), so the whole takes as long as
the slowest host. The hosts' tables become one table with a leading ``Host`` column, a
``Key: value`` block one row per host, and any other output one ``Host``/``Output`` row
per line; ``--json`` prints one object keyed by URI, each value the host's ``return`` or
``{"error": {...}}``. Every failed host is an ``error: URI: ...`` line on standard error,
and the exit status is 1 if any host failed.
"""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.cli._command import Console, Rows
from corral.core.cli._table import Verb, read_file

__all__ = ["hosts", "run"]


def hosts(path: str) -> list[str]:
    """The URIs of a hosts file (blank lines and ``#`` comment lines skipped).

    Raises:
        CorralError: INVALID_ARG when the file cannot be read or names no host.
    """
    lines = (line.strip() for line in str(read_file(path)).splitlines())
    uris = [line for line in lines if line and not line.startswith("#")]
    if not uris:
        raise CorralError(f"{path}: the hosts file names no host.", domain=ErrorDomain.CLI,
                          code=ErrorCode.INVALID_ARG, file=path)
    return uris


def run(verb: Verb, args: argparse.Namespace, console: Console) -> int:
    """Run ``verb`` on every host of ``args.hosts``; print one answer; 1 if any failed."""
    from corral.core.client import connect_many

    arguments = verb.arguments(args)  # a bad file fails before any connection
    with connect_many(hosts(args.hosts), readonly=args.readonly) as fleet:
        results = fleet.execute(verb.command, arguments)
    failed = {uri: value for uri, value in results.items() if isinstance(value, CorralError)}
    if console.json:
        console.write(json.dumps({uri: {"error": value.to_dict()} if uri in failed else value
                                  for uri, value in results.items()}) + "\n")
    else:
        _print(verb, args, console, {u: v for u, v in results.items() if u not in failed})
    for uri, error in failed.items():
        console.error(f"{uri}: {error}")
    return 1 if failed else 0


def _print(verb: Verb, args: argparse.Namespace, console: Console,
           answers: dict[str, Any]) -> None:
    header: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = []
    lines: list[tuple[str, str]] = []
    for uri, value in answers.items():
        tables: list[Rows] = []
        out = io.StringIO()
        verb.show(value, args, Console(out, console.err, quiet=console.quiet, tables=tables))
        for columns, items in tables:
            header = header or columns
            rows += [(uri, *item) for item in items]
        lines += [(uri, line) for line in out.getvalue().splitlines() if line.strip()]
    if header is not None:
        console.table(("Host", *header), rows)
    if lines:
        console.table(("Host", "Output"), lines)
