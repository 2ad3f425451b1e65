"""The policy plugin refuses through the veto hook: nothing is spawned, the rule is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from corral.core import Command, CommandError, ConfigError, ErrorCode, dry_run


def policy_host(make_host, tmp_path: Path, rules: str):
    path = tmp_path / "policy.rules"
    path.write_text(rules)
    return make_host(f'plugins = ["policy"]\npolicy_rules_file = "{path}"\n'), path


def test_a_denied_binary_never_runs(make_host, tmp_path: Path) -> None:
    host, rules = policy_host(make_host, tmp_path, "# keep files\ndeny binary rm\n")
    victim = tmp_path / "victim"
    victim.write_text("still here")
    with host.monitored(), pytest.raises(CommandError) as caught:
        Command("rm", victim).run()
    assert victim.read_text() == "still here"
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert f"refused by the policy rule 'deny binary rm' at {rules}:2" in str(caught.value)


def test_allowed_commands_run_and_deny_wins(make_host, tmp_path: Path) -> None:
    host, _ = policy_host(make_host, tmp_path, "allow binary true\ndeny arg --no\n")
    with host.monitored():
        assert Command("true").run().status == 0
        with pytest.raises(CommandError, match="deny arg --no"):
            Command("true", "--no").run()


def test_default_deny_refuses_dry_runs_too(make_host, tmp_path: Path) -> None:
    host, rules = policy_host(make_host, tmp_path, "default deny\nallow binary ip\n")
    with host.monitored(), dry_run() as recorded:
        Command("ip", "link").run()
        with pytest.raises(CommandError, match=f"the default is deny \\({rules}:1\\)"):
            Command("iscsiadm", "-m", "session").run()
    assert len(recorded.commands) == 1


def test_outside_a_monitored_context_nothing_is_checked(make_host, tmp_path: Path) -> None:
    policy_host(make_host, tmp_path, "default deny\n")
    assert Command("true").run().status == 0


def test_the_default_rules_file_must_exist(make_host, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read the policy rules file "
                                          f"{tmp_path}/root/etc/corral/policy.rules"):
        make_host('plugins = ["policy"]\n')


def test_a_bad_rule_stops_the_host_with_file_and_line(make_host, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"policy.rules:1: bad policy rule"):
        policy_host(make_host, tmp_path, "deny everything\n")
