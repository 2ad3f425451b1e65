"""The policy rules: parsing with file:line errors, deny wins, default allow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corral.core import ConfigError, ErrorCode
from corral.plugins.policy import load_rules, parse_rules

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "policy.rules"
TRUE = shutil.which("true")


def test_the_shipped_sample_parses_and_means_what_it_says() -> None:
    rules = load_rules(SAMPLE)
    assert rules.default == "allow"
    assert rules.check(["rm", "-rf", "/"]) is not None
    assert rules.check(["/usr/bin/rm", "x"]) is not None
    assert rules.check(["dnsmasq", "--conf-dir=/etc/dnsmasq.d"]) is not None
    assert rules.check(["dnsmasq", "--conf-file=/var/lib/corral/x.conf"]) is None
    assert rules.check(["ip", "--conf-dir=x"]) is None  # the arg rule is scoped to dnsmasq


def test_deny_wins_over_allow() -> None:
    rules = parse_rules("allow binary ip\ndeny arg --force\n", "r")
    assert rules.check(["ip", "link"]) is None
    assert rules.check(["ip", "--force"]) == "refused by the policy rule 'deny arg --force' at r:2"


def test_default_deny_needs_an_allow_rule() -> None:
    rules = parse_rules("# locked down\ndefault deny\nallow binary ip\n", "r")
    assert rules.check(["ip", "addr"]) is None
    assert rules.check(["iscsiadm", "-m", "node"]) == (
        "no policy rule allows it and the default is deny (r:2)")


@pytest.mark.skipif(TRUE is None, reason="no 'true' on PATH")
def test_a_path_rule_matches_a_bare_name_through_path_and_symlinks() -> None:
    assert TRUE is not None
    rules = parse_rules(f"deny binary {Path(TRUE).resolve()}\n", "r")
    assert rules.check(["true"]) is not None
    assert rules.check([TRUE]) is not None
    assert rules.check(["false"]) is None


def test_a_path_is_judged_by_what_it_resolves_to() -> None:
    rules = parse_rules("default deny\nallow binary /usr/sbin/*\nallow binary ip\n", "r")
    assert rules.check(["/usr/sbin/../../bin/rm", "-rf", "/x"]) is not None  # not in /usr/sbin
    assert rules.check(["/usr/sbin/./iptables"]) is None
    assert rules.check(["./ip"]) is None  # a file name rule still sees the name
    assert rules.check(["no-such-binary-anywhere"]) is not None


def test_globs_and_regexes_match_whole_words() -> None:
    rules = parse_rules("deny arg --conf*\ndeny arg 're:-[a-z]\\d+'\n", "r")
    assert rules.check(["x", "--config=1"]) is not None
    assert rules.check(["x", "-a12"]) is not None
    assert rules.check(["x", "-a12b"]) is None  # a regex must match the whole argument
    assert rules.check(["x", "--xconf"]) is None


def test_quoted_patterns_may_hold_spaces_and_hashes() -> None:
    rules = parse_rules('deny arg "two words"  # trailing comment\ndeny arg "#tag"\n', "r")
    assert rules.check(["echo", "two words"]) is not None
    assert rules.check(["echo", "#tag"]) is not None
    assert rules.check(["echo", "two"]) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("allow\n", "write 'allow|deny binary PATTERN'"),
        ("permit binary ip\n", "not 'permit'"),
        ("deny binry ip\n", "write 'allow|deny binary PATTERN'"),
        ("deny binary ip extra\n", "unexpected words after the pattern: 'extra'"),
        ("deny arg x for\n", "unexpected words after the pattern: 'for'"),
        ("default maybe\n", "write 'default allow' or 'default deny'"),
        ("deny arg 're:('\n", "the regular expression '(' is invalid"),
        ('deny arg "open\n', "No closing quotation"),
        # option rules and getopt declarations
        ("allow option --conf-dir\n", "an option rule can only deny"),
        ("deny option conf-dir\n", "write the option as --long, -s or --long/-s, not 'conf-dir'"),
        ("deny option --conf-dir/-78\n", "not '--conf-dir/-78'"),
        ("deny option --a/--b\n", "not '--a/--b'"),
        ("deny option -7/-8\n", "not '-7/-8'"),
        ("deny option --\n", "not '--'"),
        ("deny option --conf-dir=x\n", "may not hold '=' or blanks"),
        ("deny option --x for\n", "unexpected words after the pattern: 'for'"),
        ("deny option --x if dnsmasq\n", "unexpected words after the pattern: 'if dnsmasq'"),
        ("getopt dnsmasq\n", "write 'getopt BINARY-PATTERN OPTSTRING'"),
        ('getopt dnsmasq "ab" extra\n', "write 'getopt BINARY-PATTERN OPTSTRING'"),
        ('getopt dnsmasq "a b"\n', "has ' ' where an option letter belongs"),
        ('getopt dnsmasq "a:;"\n', "has ';' where an option letter belongs"),
        ('getopt dnsmasq "+:"\n', "names no option"),
        ("getopt 're:(' ab\n", "the regular expression '(' is invalid"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "policy.rules"
    path.write_text("# fine\n\n" + text)
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}:3: bad policy rule: ")
    assert words in str(caught.value)
    assert caught.value.detail == {"file": str(path), "line": 3}
    assert caught.value.code == ErrorCode.CONF_SYNTAX


def test_a_missing_rules_file_is_a_read_failure(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the policy rules file") as caught:
        load_rules(tmp_path / "absent.rules")
    assert caught.value.code == ErrorCode.READ_FAILED
