"""The policy plugin: allow or deny commands by binary and argument, from a rules file.

Enable it in corrald.conf with ``plugins = ["policy"]``; ``policy_rules_file`` names the
rules (empty: ``<config dir>/policy.rules``). A missing or malformed file stops the
daemon: a policy that silently allows everything is worse than none. One rule a line,
``#`` starts a comment, a word holding spaces or ``#`` goes in quotes (backslashes are
kept as they are, for regular expressions; nothing is ever run through a shell)::

    default deny                        # the verdict when no rule matches (default: allow)
    allow binary /usr/sbin/dnsmasq      # a pattern with a '/' matches the resolved path
    allow binary ip                     # one without matches the binary's file name
    deny  binary /usr/bin/rm
    deny  arg --force                   # any argument after the binary
    deny  arg "re:--conf-dir=.*" for dnsmasq   # re: is a regular expression; 'for' scopes it
    deny  option --conf-dir/-7 for dnsmasq     # the option however getopt_long spells it
    getopt dnsmasq "951yZ...7:8:0:3:"   # its short options; LETTER: takes an argument

Patterns are shell-style globs (``*``, ``?``, ``[...]``) unless they start with ``re:``;
both must match the whole word. A binary rule judges the paths the engine resolved for
the spawn (:attr:`SpawnRecord.found` and :attr:`SpawnRecord.binary`: found on ``PATH``,
then every symlink resolved), and the child executes exactly ``binary``, so
``deny binary /usr/bin/rm`` also stops ``rm`` and a symlink flipped after the check
changes nothing. An ``option`` rule
matches every spelling getopt_long accepts for the option: ``--conf-dir=X``,
``--conf-dir X``, any prefix (``--conf-di=X``, ``--conf-d X``), the short alias (``-7 X``,
``-7X``) and the alias in a cluster (``-k7X``); ``getopt`` tells it which short options of
a program take an argument, so ``-C7`` (7 being ``-C``'s argument) is read as the program
reads it (see :mod:`corral.plugins._getopt`). It can only deny. **Deny wins**: if any deny
rule matches, the command is refused; otherwise an allow rule lets it run; otherwise the
default decides. The refusal names the rule and its ``file:line``.

A deny list is no boundary: a copy or a hard link of a denied binary, or a launcher that
runs it (``env``, ``sh -c``, ``timeout``, ``xargs``), passes every binary rule. Lock a host
down with ``default deny`` and an allow list.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import os
import re
import shlex
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from corral.core import ConfigError, ConfigKey, ErrorCode, PluginContext, SpawnRecord
from corral.core.hookspecs import hookimpl
from corral.plugins._getopt import Getopt, OptionPattern, parse_getopt, parse_option

__all__ = ["Pattern", "PolicyPlugin", "Rule", "RuleSet", "parse_rules"]


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A glob, or a regular expression written ``re:...``, matched against a whole word."""

    text: str

    def matches(self, word: str) -> bool:
        """Return True if ``word`` matches this pattern entirely."""
        if self.text.startswith("re:"):
            return re.fullmatch(self.text[3:], word) is not None
        return fnmatch.fnmatchcase(word, self.text)

    def matches_binary(self, candidates: Iterable[str]) -> bool:
        """Match paths when the pattern holds a '/' (or is a regex), else file names.

        A path glob also matches in its canonical form (see :attr:`canonical`), because
        the engine hands over canonical paths: ``deny binary /bin/rm`` must stop
        ``/usr/bin/rm`` where ``/bin`` is a link to ``usr/bin``.
        """
        by_path = "/" in self.text or self.text.startswith("re:")
        words = [c if by_path else os.path.basename(c) for c in candidates]
        canonical = self.canonical
        return any(self.matches(word) for word in words) or (
            canonical is not None and any(fnmatch.fnmatchcase(w, canonical) for w in words))

    @functools.cached_property
    def canonical(self) -> str | None:
        """The path glob with its directories before the first wildcard resolved, if different.

        Resolved once, when the rules are first used (corrald reads them at start); a
        directory link changed later is not followed.
        """
        if self.text.startswith("re:") or "/" not in self.text:
            return None
        literal = re.split(r"[*?\[]", self.text, maxsplit=1)[0]
        cut = literal.rfind("/")
        directory, rest = self.text[:cut] or "/", self.text[cut:]
        canonical = os.path.realpath(directory).rstrip("/") + rest
        return None if canonical == self.text else canonical


@dataclasses.dataclass(frozen=True)
class Rule:
    """One line of the rules file.

    Attributes:
        verdict: ``"allow"`` or ``"deny"`` (an ``option`` rule only denies).
        target: ``"binary"``, ``"arg"`` or ``"option"``.
        pattern: What the binary or an argument must match, or the option.
        scope: For an ``arg`` or ``option`` rule, the binary it is limited to
            (``for ...``), if any.
        where: ``file:line``, for messages.
        text: The rule as written.
        getopts: The file's ``getopt`` declarations, for an ``option`` rule.
    """

    verdict: str
    target: str
    pattern: Pattern | OptionPattern
    scope: Pattern | None
    where: str
    text: str
    getopts: tuple[tuple[Pattern, Getopt], ...] = ()

    def matches(self, binaries: Sequence[str], args: Sequence[str]) -> bool:
        """Return True if this rule applies to a command with these binary names and args."""
        if self.target == "binary" and isinstance(self.pattern, Pattern):
            return self.pattern.matches_binary(binaries)
        if self.scope is not None and not self.scope.matches_binary(binaries):
            return False
        if isinstance(self.pattern, OptionPattern):
            return self.pattern.mentioned(args, self._getopt(binaries))
        return any(self.pattern.matches(arg) for arg in args)

    def _getopt(self, binaries: Sequence[str]) -> Getopt | None:
        """The first ``getopt`` declaration for this binary, if the file has one."""
        return next((getopt for binary, getopt in self.getopts
                     if binary.matches_binary(binaries)), None)


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """The parsed rules file: the rules in order and the default verdict."""

    rules: tuple[Rule, ...] = ()
    default: str = "allow"
    default_where: str = "the built-in default"

    def check(self, argv: Sequence[str], binaries: Sequence[str] | None = None) -> str | None:
        """Return why ``argv`` is refused, or None if it may run (deny wins).

        Args:
            argv: The command, binary first.
            binaries: The paths to judge the binary by (a spawn's resolved ones); None
                looks ``argv[0]`` up here, for checking a command that is not spawning.
        """
        if binaries is None:
            binaries = _binary_candidates(argv[0]) if argv else []
        matching = [rule for rule in self.rules if rule.matches(binaries, argv[1:])]
        denied = [rule for rule in matching if rule.verdict == "deny"]
        if denied:
            return f"refused by the policy rule '{denied[0].text}' at {denied[0].where}"
        if matching or self.default == "allow":
            return None
        return f"no policy rule allows it and the default is deny ({self.default_where})"


def _binary_candidates(binary: str) -> list[str]:
    """The names a binary rule is checked against: found on PATH, then symlinks resolved.

    A path is normalised first (the engine executes its absolute form): checked as given,
    ``/usr/sbin/../../bin/rm`` would pass ``allow binary /usr/sbin/*``. A bare name no
    PATH entry holds is checked as it is (it cannot run anyway).
    """
    found = binary if "/" in binary else shutil.which(binary)
    if not found:
        return [binary]
    return [os.path.abspath(found), os.path.realpath(found)]


def _spawn_candidates(spawn: SpawnRecord) -> list[str]:
    """The paths the engine resolved for ``spawn``: judged now, executed later, unchanged.

    Never looked up again here: a second lookup could find another file than the one
    the child executes (a symlink flipped meanwhile, a relative PATH entry).
    """
    if spawn.binary is None or spawn.found is None:
        return [spawn.argv[0]]  # nothing found: it cannot run, judge the name as given
    return [spawn.found, spawn.binary]


def parse_rules(text: str, file: str = "<string>") -> RuleSet:
    """Parse a rules file.

    Raises:
        ConfigError: Naming ``file:line`` and the mistake.
    """
    rules: list[Rule] = []
    getopts: list[tuple[Pattern, Getopt]] = []
    default, default_where = "allow", "the built-in default"
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{file}:{number}"
        try:
            words = _words(line)
        except ValueError as exc:
            raise _syntax(file, number, f"{exc} (check the quotes)") from exc
        if not words:
            continue
        if words[0] == "default":
            if len(words) != 2 or words[1] not in ("allow", "deny"):
                raise _syntax(file, number, "write 'default allow' or 'default deny'")
            default, default_where = words[1], where
            continue
        if words[0] == "getopt":
            getopts.append(_parse_getopt(words, file, number))
            continue
        rules.append(_parse_rule(words, file, number))
    # A getopt line may come after the option rules that use it.
    bound = tuple(dataclasses.replace(rule, getopts=tuple(getopts))
                  if rule.target == "option" else rule for rule in rules)
    return RuleSet(bound, default, default_where)


def _words(line: str) -> list[str]:
    # shlex only splits words here; escape="" keeps a regex's backslashes intact.
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split, lexer.commenters, lexer.escape = True, "#", ""
    return list(lexer)


def _parse_rule(words: list[str], file: str, number: int) -> Rule:
    if words[0] not in ("allow", "deny"):
        raise _syntax(file, number, "a rule starts with 'allow', 'deny', 'default' or "
                                    f"'getopt', not {words[0]!r}")
    if len(words) < 3 or words[1] not in ("binary", "arg", "option"):
        raise _syntax(file, number, "write 'allow|deny binary PATTERN', 'allow|deny arg "
                                    "PATTERN' or 'deny option --LONG/-S'")
    scope = None
    if words[1] != "binary" and len(words) == 5 and words[3] == "for":
        scope = _pattern(words[4], file, number)
    elif len(words) != 3:
        raise _syntax(file, number,
                      f"unexpected words after the pattern: {' '.join(words[3:])!r}")
    pattern: Pattern | OptionPattern
    if words[1] == "option":
        pattern = _option(words, file, number)
    else:
        pattern = _pattern(words[2], file, number)
    return Rule(words[0], words[1], pattern, scope, f"{file}:{number}", " ".join(words))


def _option(words: list[str], file: str, number: int) -> OptionPattern:
    if words[0] != "deny":
        raise _syntax(file, number, "an option rule can only deny (a command is not safe "
                                    "because it names some option): write 'deny option'")
    try:
        return parse_option(words[2])
    except ValueError as exc:
        raise _syntax(file, number, str(exc)) from exc


def _parse_getopt(words: list[str], file: str, number: int) -> tuple[Pattern, Getopt]:
    if len(words) != 3:
        raise _syntax(file, number, "write 'getopt BINARY-PATTERN OPTSTRING', the "
                                    "program's getopt(3) optstring in quotes")
    try:
        return _pattern(words[1], file, number), parse_getopt(words[2])
    except ValueError as exc:
        raise _syntax(file, number, str(exc)) from exc


def _pattern(text: str, file: str, number: int) -> Pattern:
    if text.startswith("re:"):
        try:
            re.compile(text[3:])
        except re.error as exc:
            raise _syntax(file, number,
                          f"the regular expression {text[3:]!r} is invalid: {exc}") from exc
    return Pattern(text)


def _syntax(file: str, number: int, why: str) -> ConfigError:
    return ConfigError(f"{file}:{number}: bad policy rule: {why}.", code=ErrorCode.CONF_SYNTAX,
                       file=file, line=number)


def load_rules(path: Path) -> RuleSet:
    """Read and parse the rules file at ``path``.

    Raises:
        ConfigError: If it cannot be read (READ_FAILED) or is malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the policy rules file {path}: {exc}.",
                          code=ErrorCode.READ_FAILED, file=str(path)) from exc
    return parse_rules(text, str(path))


class PolicyPlugin:
    """Refuse the commands the rules file denies, through ``corral_spawn_check``.

    Args:
        context: Given by corral: the settings (``policy_rules_file``) and paths.
    """

    config_keys = (
        ConfigKey("policy_rules_file", "string", "",
                  "The policy plugin's allow/deny rules; empty means <config dir>/policy.rules."),
    )

    def __init__(self, context: PluginContext) -> None:
        configured = context.config.string("policy_rules_file")
        self.path = Path(configured) if configured else context.paths.config / "policy.rules"
        self.rules = load_rules(self.path)

    @hookimpl
    def corral_spawn_check(self, spawn: SpawnRecord) -> str | None:
        """Return the reason the rules refuse this command, or None."""
        return self.rules.check(spawn.argv, _spawn_candidates(spawn))
