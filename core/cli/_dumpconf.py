"""``corral net-dumpconf FILE``: the files a network definition produces, without a daemon.

The network driver renders them; it is found through the ``corral.dumpconf`` entry
point named ``network`` (as ``validate`` finds loaders through ``corral.definitions``),
so this verb works whenever the driver is installed and says so clearly otherwise. The
entry point is a callable ``render(file) -> str`` returning the whole text: the dnsmasq
conf, then the hosts file and the addn-hosts file after ``# --- hostsfile`` and
``# --- addnhosts`` lines; it is printed as it is (``--json``: as one JSON string).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from corral.core import CorralError, ErrorCode, ErrorDomain, NoSupportError
from corral.core.cli._command import CliCommand, Console

__all__ = ["COMMAND", "GROUP"]

#: The entry-point group of configuration renderers, by definition kind.
GROUP = "corral.dumpconf"
_KIND = "network"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a <network> XML definition")


def renderer() -> Callable[[str], str]:
    """Return the network driver's renderer.

    Raises:
        NoSupportError: When no installed driver provides one.
        CorralError: When the entry point cannot be loaded.
    """
    from importlib.metadata import entry_points

    found = [point for point in entry_points(group=GROUP) if point.name == _KIND]
    if not found:
        raise NoSupportError(
            f"net-dumpconf needs the network driver's configuration renderer (entry point "
            f"'{_KIND}' in group '{GROUP}'), and no installed package provides it.",
            domain=ErrorDomain.CLI, code=ErrorCode.NO_SUPPORT, group=GROUP, name=_KIND,
        )
    try:
        render: Callable[[str], str] = found[0].load()
    except Exception as exc:  # a broken install is one error line, not a traceback
        raise CorralError(f"cannot load the {GROUP} entry point '{_KIND}' "
                          f"({found[0].value}): {type(exc).__name__}: {exc}",
                          domain=ErrorDomain.CLI, code=ErrorCode.INTERNAL_ERROR) from exc
    return render


def _run(args: argparse.Namespace, console: Console) -> int:
    text = renderer()(args.file)
    if console.json:
        console.write(json.dumps(text) + "\n")
    else:
        console.write(text if text.endswith("\n") else text + "\n")
    return 0


COMMAND = CliCommand(
    name="net-dumpconf",
    help="print the dnsmasq configuration and hosts files a network definition produces",
    add_arguments=_add_arguments,
    run=_run,
)
