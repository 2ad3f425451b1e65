"""corral-exec, the compiled exec wrapper: its exit statuses, and how the engine picks it.

The attributes it applies are checked from inside real children in test_privileges.py
(over both wrappers); here the binary is run directly for its failure paths, and a few
identity cases test_privileges.py does not cover run over both wrappers.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest
from corral.core import Command, CommandError, ErrorCode
from corral.core.command import _wrappers
from corral.core.command._spec import Spec

NATIVE = _wrappers.NATIVE
TRUE = shutil.which("true") or "/bin/true"
IS_ROOT = os.geteuid() == 0

needs_native = pytest.mark.skipif(
    not os.access(NATIVE, os.X_OK),
    reason=f"corral-exec is not built at {NATIVE} (make dev builds it)",
)


def _exec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NATIVE, *args], capture_output=True, text=True, check=False)


@needs_native
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--", "/nonexistent/program"], 127, "cannot execute /nonexistent/program: No such"),
        (["--", "PLAIN_FILE"], 126, "cannot execute PLAIN_FILE: Permission denied"),
        (["--rlimit", "stack=1", "--", TRUE], 125, "unknown resource limit stack=1"),
        (["--uid", "-1", "--", TRUE], 125, "bad --uid value -1"),
        (["--caps", "xyz", "--", TRUE], 125, "bad --caps value xyz"),
        (["--bogus", "1", "--", TRUE], 125, "unknown option --bogus"),
        (["--rlimit", "nofile=1"], 125, "no program after --"),
    ],
    ids=[
        "enoent",
        "not-executable",
        "unknown-limit",
        "bad-uid",
        "bad-caps",
        "bad-option",
        "no-program",
    ],
)
def test_failures_exit_with_libvirt_statuses(args, status, message, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("not a program\n")  # mode 0644: even root cannot execute it
    result = _exec(*(str(plain) if arg == "PLAIN_FILE" else arg for arg in args))
    message = message.replace("PLAIN_FILE", str(plain))
    assert result.returncode == status
    assert result.stderr.startswith("corral-exec: ")
    assert message in result.stderr


@needs_native
def test_a_limit_the_kernel_refuses_fails_before_exec():
    nr_open = int(Path("/proc/sys/fs/nr_open").read_text())  # not even root may pass it
    result = _exec("--rlimit", f"nofile={nr_open + 1}", "--", TRUE)
    assert result.returncode == 125
    assert f"cannot set resource limit nofile={nr_open + 1}" in result.stderr


@needs_native
def test_the_engine_uses_corral_exec_unless_told_otherwise(monkeypatch):
    spec = Spec(argv=["true"], limits={"nofile": 10}, clear_caps=True)
    monkeypatch.delenv("CORRAL_EXEC_WRAPPER", raising=False)
    assert _wrappers.wrapper_prefix(spec) == [NATIVE, "--rlimit", "nofile=10", "--caps", "0", "--"]
    monkeypatch.setenv("CORRAL_EXEC_WRAPPER", "util-linux")
    chain = [os.path.basename(str(word)) for word in _wrappers.wrapper_prefix(spec)]
    assert chain[0] == "prlimit" and "setpriv" in chain
    assert chain.index("setpriv") > chain.index("--")


def test_a_command_without_attributes_gets_no_wrapper(monkeypatch):
    monkeypatch.setenv("CORRAL_EXEC_WRAPPER", "nonsense")  # not even read
    assert _wrappers.wrapper_prefix(Spec(argv=["true"])) == []


def test_an_unknown_wrapper_choice_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("CORRAL_EXEC_WRAPPER", "setpriv")
    with pytest.raises(CommandError, match="CORRAL_EXEC_WRAPPER='setpriv'") as caught:
        Command("true").set_max_files(10).run()
    assert caught.value.code == ErrorCode.CONFIG_UNSUPPORTED


@pytest.fixture(params=["corral-exec", "util-linux"])
def wrapper(request, monkeypatch):
    """Run the test through corral-exec, then through util-linux setpriv."""
    if request.param == "corral-exec" and not os.access(NATIVE, os.X_OK):
        pytest.skip(f"corral-exec is not built at {NATIVE} (make dev builds it)")
    if request.param == "util-linux" and shutil.which("setpriv") is None:
        pytest.skip("util-linux setpriv (the fallback wrapper) is missing")
    monkeypatch.setenv(
        "CORRAL_EXEC_WRAPPER", "auto" if request.param == "corral-exec" else "util-linux"
    )


def _status(cmd: Command) -> dict[str, str]:
    text = cmd.set_output_buffer().run().stdout
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def _unused_uid() -> int:
    uid = 4_000_000
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root to switch uid")
def test_a_uid_without_passwd_entry_gets_no_groups(wrapper):
    uid = _unused_uid()
    status = _status(Command("cat", "/proc/self/status").set_uid(uid).set_gid(uid))
    assert status["Uid"].split() == [str(uid)] * 4
    assert status["Groups"] == ""
    assert status["CapBnd"] == f"{0:016x}"


@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root to switch gid")
def test_a_gid_alone_clears_the_groups_and_keeps_the_capabilities(wrapper):
    ours = {f: v for f, v in _status(Command("cat", "/proc/self/status")).items() if "Cap" in f}
    status = _status(Command("cat", "/proc/self/status").set_gid(65534))
    assert status["Gid"].split() == ["65534"] * 4
    assert status["Groups"] == ""
    assert {f: v for f, v in status.items() if "Cap" in f} == ours  # root stays root
