"""The ``corrald`` command: ``corrald [--root DIR] [-f CONFIG] [--timeout SECONDS] [-v]``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from corral.core.daemon._commands import corral_version
from corral.core.daemon._daemon import Daemon, Options
from corral.core.host import Registry

__all__ = ["build_parser", "main"]


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0  # refused below, with the same words as a negative number
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return corrald's argument parser."""
    parser = argparse.ArgumentParser(
        prog="corrald", description="The corral management daemon: serves every driver over "
        "QMP on UNIX sockets (see docs/daemon-protocol.md).")
    parser.add_argument("--version", action="version",
                        version="corrald " + ".".join(map(str, corral_version())))
    parser.add_argument("--root", type=Path, metavar="DIR",
                        help="keep configuration, state and sockets under DIR")
    parser.add_argument("-f", "--config", type=Path, metavar="FILE",
                        help="the configuration file (default: CONFIG_DIR/corrald.conf)")
    parser.add_argument("-t", "--timeout", type=_seconds, metavar="SECONDS",
                        help="exit after SECONDS with no client and nothing running")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at info level")
    return parser


def main(argv: Sequence[str] | None = None, *, registry: Registry | None = None) -> int:
    """Run corrald with ``argv`` (the process's arguments by default); return its status.

    Args:
        argv: The arguments after the program name.
        registry: The drivers and plugins (default: the installed entry points).
    """
    arguments = build_parser().parse_args(argv)
    options = Options(arguments.root, arguments.config, arguments.timeout, arguments.verbose)
    return Daemon(options, registry).run()
