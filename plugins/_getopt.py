"""Option-aware argument matching: does a command line name an option the way getopt reads it?

A rule that compares whole words (``deny arg --conf-dir=*``) is bypassed by every other
spelling ``getopt_long(3)`` accepts for the same option: a prefix of the long name
(``--conf-di=X``, ``--conf-d X``), the short alias (``-7 X``, ``-7X``) and the alias inside
a cluster of short options (``-k7X``). :class:`OptionPattern` matches all of them, erring
on the side of a match, since it only ever denies:

* **long names**: ``--P`` or ``--P=VALUE`` for *every* prefix ``P`` of the long name, down
  to the empty one. Which prefixes a program accepts depends on all its other long options
  (glibc takes any unambiguous prefix, an ambiguous one whose candidates are alike, and
  gives ``--=X`` to the only long option); a prefix the program finds ambiguous is an error
  there anyway, so refusing it costs nothing. The one look-alike this also refuses is
  another long option whose whole name is a prefix of this one.
* **short aliases**: the letter anywhere in a word that starts with a single ``-``, until a
  letter that takes an argument ends the cluster (the rest of the word is that argument).
  Which letters take one comes from the program's optstring, declared with a
  :class:`Getopt`; without it every letter is taken for a flag, so ``-C7`` is refused too.
* ``-W foo`` when the optstring holds ``W;`` (getopt's "long option through -W").

Every word is examined, also after ``--`` and where it may be the previous option's value
(``--conf-file --conf-dir``): a deny never misses an option for having guessed wrongly
that it is a value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

__all__ = ["Getopt", "OptionPattern", "parse_getopt", "parse_option"]


@dataclasses.dataclass(frozen=True)
class Getopt:
    """How a program reads its short options: its getopt optstring, parsed.

    Attributes:
        takes_argument: The letters followed by ``:`` or ``::`` (the rest of a cluster,
            if any, is their argument).
        long_through_w: Whether the optstring holds ``W;`` (``-W name`` is ``--name``).
    """

    takes_argument: frozenset[str]
    long_through_w: bool


def parse_getopt(optstring: str) -> Getopt:
    """Parse a getopt(3) optstring such as ``"951yZr:m:W;"``.

    Raises:
        ValueError: Saying what is wrong with it.
    """
    letters = optstring.lstrip("+-:")  # GNU's ordering and error-reporting modifiers
    if not letters:
        raise ValueError(f"the optstring {optstring!r} names no option")
    takes, through_w, index = set(), False, 0
    while index < len(letters):
        letter = letters[index]
        if letter in ":;-" or not letter.isprintable() or letter.isspace():
            raise ValueError(f"the optstring {optstring!r} has {letter!r} where an option "
                             "letter belongs")
        index += 1
        if letters.startswith(";", index) and letter == "W":
            through_w, index = True, index + 1
        elif letters.startswith(":", index):
            takes.add(letter)
            index += 2 if letters.startswith("::", index) else 1
    return Getopt(frozenset(takes), through_w)


@dataclasses.dataclass(frozen=True)
class OptionPattern:
    """One option by its long name and/or short letter, e.g. ``--conf-dir/-7``.

    Attributes:
        text: As written in the rules file.
        long: The long name without ``--``, or None.
        short: The short letter, or None.
    """

    text: str
    long: str | None
    short: str | None

    def mentioned(self, args: Sequence[str], getopt: Getopt | None) -> bool:
        """Whether getopt could read this option anywhere in ``args`` (argv without argv[0])."""
        for index, word in enumerate(args):
            if word == "--" or word == "-" or not word.startswith("-"):
                continue
            if word.startswith("--"):
                if self._long(word[2:]):
                    return True
            elif self._cluster(word[1:], args[index + 1 : index + 2], getopt):
                return True
        return False

    def _long(self, text: str) -> bool:
        name = text.partition("=")[0]
        return self.long is not None and self.long.startswith(name)

    def _cluster(self, letters: str, following: Sequence[str], getopt: Getopt | None) -> bool:
        for index, letter in enumerate(letters):
            if letter == self.short:
                return True
            if getopt is None:
                continue  # unknown: take it for a flag and read on
            if letter == "W" and getopt.long_through_w:
                name = letters[index + 1 :] or (following[0] if following else None)
                return name is not None and self._long(name)
            if letter in getopt.takes_argument:
                return False  # the rest of the word is its argument
        return False


def parse_option(text: str) -> OptionPattern:
    """Parse ``--long``, ``-s`` or ``--long/-s``.

    Raises:
        ValueError: Saying what is wrong with it.
    """
    long = short = None
    for part in text.split("/"):
        if part.startswith("--") and len(part) > 2 and long is None:
            long = part[2:]
            if "=" in long or not long.isprintable() or " " in long:
                raise ValueError(f"the long option {part!r} may not hold '=' or blanks")
        elif len(part) == 2 and part[0] == "-" and part[1] not in "-:;" and short is None:
            short = part[1]
            if not short.isprintable() or short.isspace():
                raise ValueError(f"the short option {part!r} is not a printable letter")
        else:
            raise ValueError(f"write the option as --long, -s or --long/-s, not {text!r}")
    return OptionPattern(text, long, short)

