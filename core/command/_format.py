"""Turning a command into text: to_string and write_arg_log (virCommandToString*).

``to_string`` is quoted for pasting into a POSIX shell exactly as libvirt's
virBufferEscapeShell does it: a word is single-quoted only when it holds a shell
metacharacter, and a ``'`` inside becomes ``'\\''``. The environment comes first (only
when it is explicit), then the binary as given, then the arguments. corral quotes the binary
in two more cases libvirt does not, so that a paste runs it: a binary holding ``=`` (sh
would read ``x=y z`` as an assignment and run ``z``) and one that is a shell reserved word
(``if z`` is a syntax error; ``'if' z`` runs ``if``). With
linebreaks it reproduces libvirt's layout: every environment entry, the binary and each
option group on a line of its own, each line but the last ending in `` \\``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import IO, cast

from corral.core.command._spec import Spec

__all__ = ["arg_log", "command_string", "error_command", "shell_quote"]

# virBufferEscapeShell's metacharacters: a word with none of them is left bare.
_SHELL_SPECIAL = re.compile("[\r\t\n !\"#$&'()*;<>?\\[\\\\\\]^`{|}~]")

# The words POSIX sh and bash treat as reserved in command position; ``!``, ``{``, ``}``,
# ``[[`` and ``]]`` are listed too though _SHELL_SPECIAL already quotes them.
_RESERVED = frozenset({
    "!", "{", "}", "[[", "]]", "case", "coproc", "do", "done", "elif", "else", "esac", "fi",
    "for", "function", "if", "in", "select", "then", "time", "until", "while",
})


def shell_quote(word: str) -> str:
    """Quote ``word`` for /bin/sh the way libvirt does (``it's`` -> ``'it'\\''s'``)."""
    if not word:
        return "''"
    if not _SHELL_SPECIAL.search(word):
        return word
    return _single_quote(word)


def _single_quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def _quote_binary(word: str) -> str:
    """Quote the command word: as any word, and also when sh would not run it as a command.

    An unquoted ``=`` makes the first word an assignment and a reserved word changes the
    grammar; quoting either makes sh look the word up as a program. libvirt leaves both
    bare: this is corral's addition, so that a paste always runs the same binary.
    """
    if "=" in word or word in _RESERVED:
        return _single_quote(word)
    return shell_quote(word)


def _breaks_before(args: Sequence[str], index: int) -> bool:
    """Whether libvirt's linebreak mode starts a new line before ``args[index]``.

    An option (``-x``) always starts a line. A value stays on its option's line when the
    argument before it is an option, or when an option still follows somewhere later
    (``--multi a b -w`` keeps ``a b`` together); trailing positionals after the last
    option's first value get lines of their own.
    """
    arg = args[index]
    if arg.startswith("-"):
        return True
    seen_option = any(earlier.startswith("-") for earlier in args[1:index])
    if not seen_option:
        return True
    return not any(later.startswith("-") for later in args[index - 1 :])


def command_string(env: Mapping[str, str] | None, argv: Sequence[str], linebreaks: bool) -> str:
    """Return the shell-quoted form of a command.

    Args:
        env: The explicit environment in the order it was built, or None (inherited,
            so not shown).
        argv: The arguments, binary first.
        linebreaks: Use libvirt's one-option-group-per-line layout.
    """
    newline = " \\\n" if linebreaks else " "
    parts = [f"{name}={shell_quote(value)}{newline}" for name, value in (env or {}).items()]
    parts.append(_quote_binary(argv[0]))
    for index in range(1, len(argv)):
        parts.append(newline if linebreaks and _breaks_before(argv, index) else " ")
        parts.append(shell_quote(argv[index]))
    return "".join(parts)


def error_command(spec: Spec) -> str:
    """Return the command as an error message shows it: environment names, never values.

    Secret arguments are masked too; every error of the engine quotes the command this
    way and only this way.
    """
    return command_string(spec.error_env, spec.display_argv, False)


def arg_log(env: Mapping[str, str] | None, argv: Sequence[str]) -> str:
    """Return the unquoted ``NAME=value ... binary args`` line, newline-terminated."""
    words = [f"{name}={value}" for name, value in (env or {}).items()]
    return " ".join([*words, *argv]) + "\n"


def write_text(target: int | IO[str] | IO[bytes], text: str) -> None:
    """Write ``text`` to a descriptor or a text/binary file object.

    Args:
        target: A descriptor number or an open file object.
        text: What to write (bytes are produced losslessly with surrogateescape).
    """
    data = os.fsencode(text)
    if isinstance(target, int):
        view = memoryview(data)
        while view:
            view = view[os.write(target, view) :]
        return
    try:
        cast("IO[bytes]", target).write(data)
    except TypeError:  # a text file
        cast("IO[str]", target).write(text)
