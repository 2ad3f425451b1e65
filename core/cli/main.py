"""The ``corral`` entry point: global options, one command, virsh's exit statuses.

``corral [-c SOCKET|URI | --hosts FILE] [--root DIR] [-r] [-q] [--json] COMMAND ARGS``. The global
options are read first and the command's own parser is built only for the command that
runs, so a start costs only what that command needs. Any
:class:`~corral.core.CorralError`, and any usage mistake, ends as ``error: <message>`` on
standard error with exit status 1; ``corral exec`` exits with its child's status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from corral.core import CorralError, ErrorCode, ErrorDomain
from corral.core.cli._command import CliCommand, Console

__all__ = ["build_parser", "main"]

_URI_ENV = "CORRAL_DEFAULT_URI"


class _Version(argparse.Action):
    """``--version``, with the version looked up only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"corral {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the global options (the command's arguments are left over)."""
    from corral.core.cli._commands import Parser
    from corral.core.cli._help import summary

    parser = Parser(prog="corral", description="Manage a host the way libvirt does.",
                    epilog=summary(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version, nargs=0, help="print corral's version")
    parser.add_argument(
        "-c", "--connect", metavar="URI",
        help=f"the daemon socket or URI to talk to (default: ${_URI_ENV})",
    )
    parser.add_argument("--root", metavar="DIR", help="the daemon started with --root DIR")
    parser.add_argument("-r", "--readonly", action="store_true", help="connect read-only")
    parser.add_argument("--hosts", metavar="FILE",
                        help="run the command on every URI of FILE (one per line) at once")
    parser.add_argument("-q", "--quiet", action="store_true", help="say nothing on success")
    parser.add_argument("--json", action="store_true",
                        help="print the command's return value as JSON")
    parser.add_argument("verb", metavar="COMMAND", help="see the list below")
    rest = parser.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    rest.required = False  # argparse marks REMAINDER required; a verb may take nothing
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``corral`` command line and return its exit status.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 on failure (after ``error: ...`` on standard error); the child's
        status for ``corral exec``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    console = Console(out=sys.stdout, err=sys.stderr)
    try:
        if argv[:1] == ["--version"]:  # the common case, without building any parser
            print(f"corral {_version()}")
            return 0
        if len(argv) == 2 and argv[0] == "tunnel" and not argv[1].startswith("-"):
            from corral.core.cli._tunnel import tunnel  # every ssh:// connection starts one

            return tunnel(argv[1])
        from corral.core.cli._commands import find, verb_parser

        args = build_parser().parse_args(argv)
        entry: CliCommand = find(args.verb)
        verb_parser(entry).parse_args(args.arguments, namespace=args)
        console = Console(sys.stdout, sys.stderr, quiet=args.quiet, json=args.json)
        if args.hosts is not None:
            return _run_on_hosts(args, console)
        return entry.run(args, console)
    except CorralError as exc:
        console.error(str(exc))
        return 1
    except SystemExit as exc:  # --help and --version end argparse this way
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        console.error("interrupted.")
        return 130
    except BrokenPipeError:  # `corral ... | head`: the reader left, nothing to report
        return 1


def _run_on_hosts(args: argparse.Namespace, console: Console) -> int:
    from corral.core.cli import _fleet
    from corral.core.cli._verbs import VERBS

    verb = next((verb for verb in VERBS if verb.name == args.verb), None)
    if verb is None or args.connect is not None or args.root is not None:
        why = (f"'{args.verb}' cannot run on several hosts (--hosts runs the daemon verbs "
               "of 'corral help')" if verb is None else "--hosts replaces -c and --root")
        raise CorralError(f"{why}.", domain=ErrorDomain.CLI, code=ErrorCode.INVALID_ARG)
    return _fleet.run(verb, args, console)


def _version() -> str:
    from corral.core import __version__

    return __version__
