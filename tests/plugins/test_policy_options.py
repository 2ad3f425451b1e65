"""Option rules: a denied option is refused however getopt_long lets a program spell it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from corral.core import Command, CommandError, ErrorCode
from corral.plugins.policy import load_rules, parse_rules

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "policy.rules"
DNSMASQ = shutil.which("dnsmasq") or shutil.which("/usr/sbin/dnsmasq")
DIR = "/nonexistent-corral-conf-dir"

# Every spelling dnsmasq reads as --conf-dir (the four bypasses first).
CONF_DIR_SPELLINGS = [
    [f"--conf-di={DIR}"],
    ["--conf-d", DIR],
    ["-7", DIR],
    [f"-7{DIR}"],
    [f"-k7{DIR}"],
    [f"--conf-dir={DIR}"],
    ["--conf-dir", DIR],
    ["-dk7", DIR],
    ["--keep-in-foreground", f"-7{DIR}"],
]

# Refused although dnsmasq does not read them as --conf-dir: prefixes it finds ambiguous
# (it refuses them itself) and options after "--". Refusing is the safe side.
SAFE_SIDE = [
    [f"--conf-={DIR}"],
    ["--c", DIR],
    [f"--={DIR}"],
    ["--", f"-7{DIR}"],
]

# Arguments that look like --conf-dir but that dnsmasq reads as something else.
LOOK_ALIKES = [
    [f"--conf-file={DIR}"],
    ["--conf-file", DIR],
    ["-C7"],  # -C takes an argument: this is --conf-file=7
    [f"-C{DIR}-7"],
    ["-k"],
    ["--keep-in-foreground"],
    ["7"],
    [f"--conf-dirs={DIR}"],  # not a prefix of conf-dir (dnsmasq: unknown option)
    ["--port=5353"],
]


@pytest.fixture(scope="module")
def shipped():
    return load_rules(SAMPLE)


@pytest.mark.parametrize("args", CONF_DIR_SPELLINGS + SAFE_SIDE, ids=" ".join)
def test_every_spelling_of_conf_dir_is_refused(shipped, args: list[str]) -> None:
    reason = shipped.check(["dnsmasq", *args])
    assert reason is not None
    assert "deny option --conf-dir/-7 for dnsmasq" in reason and str(SAMPLE) in reason


@pytest.mark.parametrize("args", LOOK_ALIKES, ids=" ".join)
def test_look_alikes_that_are_other_options_run(shipped, args: list[str]) -> None:
    assert shipped.check(["dnsmasq", *args]) is None
    assert shipped.check(["/usr/sbin/dnsmasq", *args]) is None


def test_the_option_rule_is_scoped_to_dnsmasq(shipped) -> None:
    assert shipped.check(["ip", "-7", "--conf-d"]) is None


@pytest.mark.skipif(DNSMASQ is None, reason="dnsmasq is not installed")
@pytest.mark.parametrize(
    ("args", "reads_conf_dir"),
    [(a, True) for a in CONF_DIR_SPELLINGS] + [(a, False) for a in LOOK_ALIKES + SAFE_SIDE],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_the_lists_agree_with_how_dnsmasq_itself_parses(
    args: list[str], reads_conf_dir: bool
) -> None:
    # The real parser is the oracle: --test reads the options and only checks them.
    assert DNSMASQ is not None
    done = subprocess.run([DNSMASQ, "--test", "-C", "/dev/null", *args],
                          capture_output=True, text=True, timeout=30)
    assert (f"cannot access directory {DIR}" in done.stderr) == reads_conf_dir, done.stderr


def test_without_a_getopt_line_every_letter_of_a_cluster_counts() -> None:
    # Not knowing that -C takes an argument, the rule cannot tell -C7 from -k7: it refuses.
    rules = parse_rules("deny option --conf-dir/-7 for dnsmasq\n", "r")
    assert rules.check(["dnsmasq", "-C7"]) is not None
    assert rules.check(["dnsmasq", "-k7x"]) is not None
    assert rules.check(["dnsmasq", "-C", "x"]) is None


def test_a_getopt_line_may_follow_the_rule_and_is_matched_by_binary() -> None:
    rules = parse_rules('deny option -7\ngetopt dnsmasq "kC:"\n', "r")
    assert rules.check(["dnsmasq", "-C7"]) is None
    assert rules.check(["dnsmasq", "-kC7"]) is None
    assert rules.check(["dnsmasq", "-k7"]) is not None
    assert rules.check(["other", "-C7"]) is not None  # no getopt for it: conservative


def test_optional_arguments_and_modifiers_in_the_optstring() -> None:
    rules = parse_rules('getopt prog "+:a::b"\ndeny option -x\n', "r")
    assert rules.check(["prog", "-ax"]) is None  # x is -a's optional argument
    assert rules.check(["prog", "-bx"]) is not None


def test_long_options_through_w_semicolon() -> None:
    rules = parse_rules('getopt prog "W;k"\ndeny option --conf-dir\n', "r")
    assert rules.check(["prog", "-W", "conf-dir=/x"]) is not None
    assert rules.check(["prog", "-kWconf-d=/x"]) is not None
    assert rules.check(["prog", "-W", "conf-file=/x"]) is None
    assert rules.check(["prog", "-W"]) is None


def test_long_only_and_short_only_rules() -> None:
    rules = parse_rules("deny option --force\ndeny option -f\n", "r")
    assert rules.check(["x", "--fo"]) == "refused by the policy rule 'deny option --force' at r:1"
    assert rules.check(["x", "--=1"]) is not None  # getopt gives --=1 to a lone long option
    assert rules.check(["x", "-vf"]) == "refused by the policy rule 'deny option -f' at r:2"
    assert rules.check(["x", "--fox"]) is None
    assert rules.check(["x", "--", "-", "f"]) is None


def test_the_old_arg_forms_still_work_beside_option_rules() -> None:
    rules = parse_rules('deny arg "re:--conf-dir(=.*)?" for dnsmasq\ndeny option -7\n'
                        "deny binary rm\n", "r")
    assert rules.check(["dnsmasq", "--conf-dir=x"]) is not None
    assert rules.check(["dnsmasq", "--conf-file=x"]) is None
    assert rules.check(["rm"]) is not None


@pytest.mark.skipif(DNSMASQ is None, reason="dnsmasq is not installed")
def test_a_monitored_host_refuses_a_bypass_and_runs_a_look_alike(make_host) -> None:
    assert DNSMASQ is not None
    host = make_host(f'plugins = ["policy"]\npolicy_rules_file = "{SAMPLE}"\n')
    with host.monitored():
        with pytest.raises(CommandError) as caught:
            Command(DNSMASQ, "--test", "-C", "/dev/null", f"-k7{DIR}").run()
        assert Command(DNSMASQ, "--test", "--conf-fil=/dev/null").run().status == 0
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert f"deny option --conf-dir/-7 for dnsmasq' at {SAMPLE}:" in str(caught.value)
