"""The setuid-aware pass-through (seed 002): what a setuid parent passes to its children.

A real setuid-like parent is simulated as root: a Python child whose real uid is nobody
and whose effective uid is still 0 (``setreuid`` in a pre-exec hook), so the engine in it
sees real and effective ids differ. The same script run without that hook is the control.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from corral.core import Command
from corral.core.command._env import running_setuid

# The environment is read through a dry run: a real child of a setuid-like parent is a
# secure exec, whose glibc drops LD_* and TMPDIR by itself and would hide what corral did.
PARENT = """
import json, os
from corral.core import Command, dry_run
from corral.core.command._env import running_setuid
os.environ.update(PATH="/planted/bin:/usr/bin", HOME="/planted/home", TMPDIR="/planted/tmp",
                  USER="someone", LOGNAME="someone", LD_PRELOAD="", LD_LIBRARY_PATH="/planted/lib",
                  KEPT="k")
def env(cmd):
    seen = []
    with dry_run(lambda argv, env, data: seen.append(env)):
        cmd.run()
    return seen[0]
print(json.dumps({
    "setuid": running_setuid(),
    "common": env(Command("/usr/bin/env").add_env_pass_common()),
    "block": env(Command("/usr/bin/env").add_env_pass_block_suid("KEPT")
                 .add_env_pass_block_suid("HOME", "/safe")),
    "allow": env(Command("/usr/bin/env").add_env_pass_allow_suid("KEPT")),
}))
"""

NOBODY = 65534


def _parent(setuid: bool) -> dict[str, object]:
    cmd = Command(sys.executable, "-c", PARENT).set_output_buffer()
    if setuid:
        cmd.set_pre_exec_hook(lambda: os.setreuid(NOBODY, 0))  # real nobody, effective root
    seen: dict[str, object] = json.loads(cmd.run().stdout)
    return seen


def test_this_process_is_not_setuid() -> None:
    assert os.getuid() == os.geteuid() and os.getgid() == os.getegid()
    assert running_setuid() is False


def test_a_plain_parent_passes_the_common_names_unchanged() -> None:
    seen = _parent(setuid=False)
    assert seen["setuid"] is False
    assert seen["common"] == {
        "LC_ALL": "C", "LD_PRELOAD": "", "LD_LIBRARY_PATH": "/planted/lib",
        "PATH": "/planted/bin:/usr/bin", "HOME": "/planted/home", "USER": "someone",
        "LOGNAME": "someone", "TMPDIR": "/planted/tmp",
    }
    assert seen["block"] == {"KEPT": "k", "HOME": "/planted/home"}
    assert seen["allow"] == {"KEPT": "k"}


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="simulating a setuid parent needs root")
def test_a_setuid_parent_blocks_what_seed_002_blocks() -> None:
    seen = _parent(setuid=True)
    assert seen["setuid"] is True
    # PATH gets the safe default; LD_PRELOAD, LD_LIBRARY_PATH, HOME, TMPDIR are dropped;
    # USER and LOGNAME are safe and pass.
    assert seen["common"] == {
        "LC_ALL": "C", "PATH": "/bin:/usr/bin", "USER": "someone", "LOGNAME": "someone",
    }
    assert seen["block"] == {"HOME": "/safe"}
    assert seen["allow"] == {"KEPT": "k"}
