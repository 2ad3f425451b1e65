"""Process attributes that need privileges or kernel features, checked from inside the child.

Limits, umask, capabilities, uid/gid, daemonizing with a locked pidfile and LSM labels:
each child reports what it really got (``/proc/self/limits``, ``/proc/self/status``,
``/proc/self/attr/current``, the commandhelper log). Limits, identity, capabilities and
labels run twice, through corral-exec and through the util-linux fallback. Tests skip,
with the reason, when the machine lacks root, that wrapper, or the LSM.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import resource
import select
import shutil
import signal
import struct
from pathlib import Path

import pytest
from corral.core import Command, CommandError
from corral.core.command import _wrappers

IS_ROOT = os.geteuid() == 0
NOBODY = 65534
CAP_NET_RAW = 13

WRAPPERS = ["corral-exec", "util-linux"]


def _use_wrapper(kind: str, tool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the engine apply attributes through ``kind``, or skip when it is missing."""
    if kind == "corral-exec" and not os.access(_wrappers.NATIVE, os.X_OK):
        pytest.skip(f"corral-exec is not built at {_wrappers.NATIVE} (make dev builds it)")
    if kind == "util-linux" and shutil.which(tool) is None:
        pytest.skip(f"util-linux {tool} (the fallback wrapper) is missing")
    monkeypatch.setenv("CORRAL_EXEC_WRAPPER", "auto" if kind == "corral-exec" else kind)


@pytest.fixture(params=WRAPPERS)
def limits_wrapper(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once through corral-exec and once through util-linux prlimit."""
    _use_wrapper(request.param, "prlimit", monkeypatch)
    return str(request.param)


@pytest.fixture(params=WRAPPERS)
def privileges_wrapper(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once through corral-exec and once through util-linux setpriv."""
    _use_wrapper(request.param, "setpriv", monkeypatch)
    return str(request.param)


needs_prlimit = pytest.mark.usefixtures("limits_wrapper")
needs_setpriv = pytest.mark.usefixtures("privileges_wrapper")


def _proc_status(cmd: Command) -> dict[str, str]:
    """Run ``cmd`` (a ``cat /proc/self/status``) and return the child's status fields."""
    text = cmd.set_output_buffer().run().stdout
    fields = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {name: value.strip() for name, value in fields}


def _proc_limits(cmd: Command) -> dict[str, tuple[str, str]]:
    """Run ``cmd`` (a ``cat /proc/self/limits``): limit name -> (soft, hard)."""
    text = cmd.set_output_buffer().run().stdout
    rows = {}
    for line in text.splitlines()[1:]:
        name, values = line[:26].strip(), line[26:].split()  # the kernel's "%-25s " column
        rows[name] = (values[0], values[1])
    return rows


def _status_field(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"/proc/{pid}/status has no {name} field")


def _mask(bits: int) -> str:
    return f"{bits:016x}"


def _exited(pid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``pid`` (not necessarily our child) to exit."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # already gone and reaped
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)  # readable once the process has exited
        return bool(poller.poll(seconds * 1000))
    finally:
        os.close(pidfd)


# --- resource limits (no privilege needed to lower them) ---------------------------

# (setter, value, /proc/PID/limits row, expected soft = hard). libvirt sets RLIMIT_NOFILE
# to n + 1 (virProcessSetMaxFiles keeps qemu_process.c's historic off-by-one); the
# contract follows libvirt where it does not say otherwise.
LIMITS = [
    ("set_max_files", 1234, "Max open files", 1235, resource.RLIMIT_NOFILE),
    ("set_max_processes", 777, "Max processes", 777, resource.RLIMIT_NPROC),
    ("set_max_memlock", 1 << 20, "Max locked memory", 1 << 20, resource.RLIMIT_MEMLOCK),
    ("set_max_core_size", 4 << 20, "Max core file size", 4 << 20, resource.RLIMIT_CORE),
]
LIMIT_IDS = ["files", "processes", "memlock", "core"]


def _within_hard_limit(expected: int, which: int) -> None:
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY and hard < expected:
        pytest.skip(f"the hard limit {hard} is below {expected} and cannot be raised here")


@needs_prlimit
@pytest.mark.parametrize(("setter", "value", "row", "expected", "which"), LIMITS, ids=LIMIT_IDS)
def test_one_rlimit_reaches_the_child(setter, value, row, expected, which):
    _within_hard_limit(expected, which)
    cmd = Command("cat", "/proc/self/limits")
    getattr(cmd, setter)(value)
    limits = _proc_limits(cmd)
    assert limits[row] == (str(expected), str(expected))
    assert resource.getrlimit(which) != (expected, expected)  # the parent kept its own


@needs_prlimit
def test_all_rlimits_together():
    cmd = Command("cat", "/proc/self/limits")
    for setter, value, _, expected, which in LIMITS:
        _within_hard_limit(expected, which)
        getattr(cmd, setter)(value)
    limits = _proc_limits(cmd)
    for _, _, row, expected, _ in LIMITS:
        assert limits[row] == (str(expected), str(expected)), row


def _shown(value: int) -> str:
    """Return a limit as /proc/PID/limits shows it."""
    return "unlimited" if value == resource.RLIM_INFINITY else str(value)


# libvirt keeps these three in fields whose 0 means "not set" (virExec applies them only
# when non-zero); only the core size has its own "set" flag, so 0 there disables dumps.
@needs_prlimit
@pytest.mark.parametrize(
    ("setter", "_value", "row", "_expected", "which"), LIMITS[:3], ids=LIMIT_IDS[:3]
)
def test_a_zero_limit_leaves_the_limit_unchanged(setter, _value, row, _expected, which):
    cmd = Command("cat", "/proc/self/limits")
    getattr(cmd, setter)(0)
    soft, hard = resource.getrlimit(which)
    assert _proc_limits(cmd)[row] == (_shown(soft), _shown(hard))


@needs_prlimit
def test_a_zero_core_size_disables_core_dumps():
    limits = _proc_limits(Command("cat", "/proc/self/limits").set_max_core_size(0))
    assert limits["Max core file size"] == ("0", "0")


def test_umask_reaches_the_child(commandhelper):
    before = os.umask(0o022)
    os.umask(before)
    Command(commandhelper.path).set_umask(0o027).run()
    assert [line for line in commandhelper.log_lines() if "UMASK" in line] == ["UMASK:0027"]
    assert os.umask(before) == before  # the parent's umask is untouched


def test_umask_zero_leaves_the_umask_unchanged(commandhelper):
    # libvirt's virExec calls umask() only for a non-zero mask.
    before = os.umask(0o022)
    try:
        Command(commandhelper.path).set_umask(0).run()
    finally:
        os.umask(before)
    assert [line for line in commandhelper.log_lines() if "UMASK" in line] == ["UMASK:0022"]


# --- capabilities and identity -----------------------------------------------------


def _nobody() -> pwd.struct_passwd:
    try:
        return pwd.getpwuid(NOBODY)
    except KeyError:
        pytest.skip(f"no user with uid {NOBODY} ('nobody') on this machine")


def _require_cap(bit: int) -> None:
    for field in ("CapBnd", "CapEff"):
        if not int(_status_field(os.getpid(), field), 16) & (1 << bit):
            pytest.skip(f"this process lacks capability {bit} in {field}: no child can keep it")


@needs_setpriv
@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root: a non-root child has no capabilities")
def test_clear_caps_empties_effective_and_bounding_sets():
    ours = _status_field(os.getpid(), "CapBnd")
    status = _proc_status(Command("cat", "/proc/self/status").clear_caps())
    assert status["CapEff"] == _mask(0)
    assert status["CapPrm"] == _mask(0)
    assert status["CapBnd"] == _mask(0)
    assert _status_field(os.getpid(), "CapBnd") == ours  # only the child lost them


@needs_setpriv
@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root: a non-root child has no capabilities")
@pytest.mark.parametrize("cap", ["CAP_NET_RAW", CAP_NET_RAW])
def test_allow_cap_keeps_exactly_that_capability(cap):
    _require_cap(CAP_NET_RAW)
    status = _proc_status(Command("cat", "/proc/self/status").clear_caps().allow_cap(cap))
    assert status["CapEff"] == _mask(1 << CAP_NET_RAW)
    assert status["CapPrm"] == _mask(1 << CAP_NET_RAW)
    assert status["CapBnd"] == _mask(1 << CAP_NET_RAW)


@needs_setpriv
@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root to switch uid and gid")
def test_set_uid_and_gid_switch_to_nobody_with_its_groups():
    user = _nobody()
    cmd = Command("cat", "/proc/self/status").set_uid(NOBODY).set_gid(NOBODY)
    status = _proc_status(cmd)
    assert status["Uid"].split() == [str(NOBODY)] * 4  # real, effective, saved, filesystem
    assert status["Gid"].split() == [str(NOBODY)] * 4
    assert set(status["Groups"].split()) == {str(g) for g in os.getgrouplist(user.pw_name, NOBODY)}
    assert status["CapEff"] == _mask(0)


# virSetUIDGIDWithCaps clears both sets (bounding included) whenever the uid changes to
# a non-root one, then gives back only the allowed capabilities, ambient included.
@needs_setpriv
@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root to switch uid and gid")
def test_a_uid_change_empties_the_bounding_set():
    _nobody()
    status = _proc_status(Command("cat", "/proc/self/status").set_uid(NOBODY).set_gid(NOBODY))
    assert status["CapBnd"] == _mask(0), "a setuid-root program could regain every capability"


@needs_setpriv
@pytest.mark.root
@pytest.mark.skipif(not IS_ROOT, reason="needs root to switch uid and gid")
def test_an_allowed_cap_survives_a_uid_change():
    _nobody()
    _require_cap(CAP_NET_RAW)
    cmd = Command("cat", "/proc/self/status").set_uid(NOBODY).set_gid(NOBODY)
    status = _proc_status(cmd.allow_cap("CAP_NET_RAW"))
    for field in ("CapEff", "CapPrm", "CapAmb", "CapBnd"):
        assert status[field] == _mask(1 << CAP_NET_RAW), field


# --- daemonize and the pidfile -----------------------------------------------------


def _lock_holder(path: Path) -> int | None:
    """Return the pid holding a POSIX (fcntl) lock on ``path``, or None."""
    layout = "hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid
    fd = os.open(path, os.O_RDWR)
    try:
        query = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack(layout, fcntl.fcntl(fd, fcntl.F_GETLK, query))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else pid


@pytest.mark.timeout(30)
def test_daemon_holds_its_pidfile_locked_in_a_new_session(tmp_path):
    pidfile = tmp_path / "sleep.pid"
    result = Command("sleep", "60").daemonize().set_pidfile(pidfile).run()
    pid = int(pidfile.read_text())  # written before run() returned
    try:
        assert pid != result.pid, "the pidfile names the intermediate, not the daemon"
        assert Path(f"/proc/{pid}/comm").read_text() == "sleep\n", "run() returned before exec"
        assert _status_field(pid, "NSsid") != _status_field(os.getpid(), "NSsid")
        assert _status_field(pid, "PPid") != str(os.getpid()), "the daemon is still our child"
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        assert _lock_holder(pidfile) == pid
    finally:
        os.kill(pid, signal.SIGKILL)
    assert _exited(pid, 5)
    assert _lock_holder(pidfile) is None, "the lock outlived the daemon"


@pytest.mark.timeout(30)
def test_a_held_pidfile_refuses_a_second_daemon(tmp_path):
    pidfile = tmp_path / "once.pid"
    Command("sleep", "60").daemonize().set_pidfile(pidfile).run()
    first = int(pidfile.read_text())
    try:
        with pytest.raises(CommandError) as caught:
            Command("sleep", "60").daemonize().set_pidfile(pidfile).run()
        assert caught.value.status not in (None, 0)
        assert int(pidfile.read_text()) == first, "the refused daemon overwrote the pidfile"
        assert _lock_holder(pidfile) == first
    finally:
        os.kill(first, signal.SIGKILL)


@pytest.mark.timeout(30)
def test_daemonized_helper_sees_stdio_and_the_pidfile_fd_only(commandhelper, tmp_path):
    # libvirt's test4: the daemon keeps the locked pidfile open across exec, nothing else.
    pidfile = tmp_path / "helper.pid"
    Command(commandhelper.path, "--check-daemonize").daemonize().set_pidfile(pidfile).run()
    assert _exited(int(pidfile.read_text()), 10)
    lines = commandhelper.log_lines()
    fds = [int(line[3:]) for line in lines if line.startswith("FD:")]
    assert fds[:3] == [0, 1, 2] and len(fds) == 4, f"daemon fds {fds}"
    assert "DAEMON:yes" in lines
    assert "CWD:/" in lines


# --- LSM labels --------------------------------------------------------------------


def _selinux_enabled() -> bool:
    return Path("/sys/fs/selinux/enforce").exists()


def _apparmor_enabled() -> bool:
    flag = Path("/sys/module/apparmor/parameters/enabled")
    return flag.exists() and flag.read_text().strip() == "Y"


def _current_label(cmd: Command) -> str:
    return cmd.set_output_buffer().run().stdout.rstrip("\0\n")


@needs_setpriv
@pytest.mark.skipif(not _selinux_enabled(), reason="the kernel has no SELinux enabled")
def test_selinux_label_reaches_the_child():
    ours = Path("/proc/self/attr/current").read_text().rstrip("\0\n")
    cmd = Command("cat", "/proc/self/attr/current").set_selinux_label(ours)
    assert _current_label(cmd) == ours


@needs_setpriv
@pytest.mark.skipif(not _apparmor_enabled(), reason="the kernel has no AppArmor enabled")
def test_apparmor_profile_reaches_the_child():
    cmd = Command("cat", "/proc/self/attr/current").set_apparmor_profile("unconfined")
    assert _current_label(cmd) == "unconfined"
