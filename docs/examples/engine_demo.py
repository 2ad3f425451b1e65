"""A short tour of corral's spawning engine; ``make run`` runs it.

It builds one command with a clean environment, an input buffer and captured output,
prints how that command reads in a shell (on one line, then one option per line),
runs it and prints the :class:`~corral.core.CommandResult`. Then it shows a mistake
made while building being reported only when the command runs (a deferred error).
"""

from __future__ import annotations

import sys

from corral.core import Command, CommandError

SCORES = "ada:3\nbob:1\ncy:2\n"


def build() -> Command:
    """Return a ``sort`` of SCORES by the second field, highest first.

    No shell is involved: each argument reaches ``sort`` as one word, and the child's
    environment holds only what ``add_env_pass_common`` lets through (with ``LC_ALL=C``,
    so the sort order does not depend on the user's locale).
    """
    return (
        Command("sort", "--reverse")
        .add_arg_pair("--field-separator", ":")
        .add_arg_list("--key", "2")
        .add_env_pass_common()
        .add_env_pair("DEMO", "two  spaces")
        .set_input_buffer(SCORES)
        .set_output_buffer()
        .set_error_buffer()
    )


def show_a_run() -> None:
    """Print the command in both ``to_string`` layouts, run it and print the result."""
    cmd = build()
    print("to_string():")
    print("  " + cmd.to_string())
    print("to_string(linebreaks=True):")
    print(cmd.to_string(linebreaks=True))
    result = cmd.run()
    print(result)
    print("sorted:", result.stdout.split())
    if result.stdout.split() != ["ada:3", "cy:2", "bob:1"]:
        raise SystemExit(f"sort gave {result.stdout!r}, not the scores highest first")


def show_a_deferred_error() -> None:
    """Build a command with a mistake in it: nothing raises until it runs."""
    cmd = Command("true").add_env_string("NO_EQUALS_SIGN")
    print("building went fine: the mistake is deferred until the command runs")
    try:
        cmd.run()
    except CommandError as error:
        print(f"run() reported the deferred error: {error} [{error.code.name}]")
    else:
        raise SystemExit("add_env_string without '=' should have failed at run time")


def main() -> int:
    """Run the tour; exit status 0 means every step behaved as documented."""
    show_a_run()
    show_a_deferred_error()
    return 0


if __name__ == "__main__":
    sys.exit(main())
