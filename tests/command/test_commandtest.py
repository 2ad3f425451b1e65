"""libvirt's tests/commandtest.c, ported: the engine against the real commandhelper.

Each ``test_NN_*`` is libvirt's test NN (test 24 was removed upstream; 23, 25 and 28 are
ported to what they mean here). The harness mirrors libvirt's: a known environment, a
known cwd and umask 022. Logs are compared exactly, the Python way: "stdio plus the
passed fds (plus the pidfile's lock fd for a daemon)" instead of C's fd numbers.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from corral.core import PIPE, Command, CommandError, ErrorCode
from corral.core.command import _exec_helper

HARNESS_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOSTNAME": "test",
    "LANG": "C",
    "HOME": "/home/test",
    "USER": "test",
    "LOGNAME": "test",
    "TMPDIR": "/tmp",
    "DISPLAY": ":0.0",
}
COMMON = {"HOME": "/home/test", "LC_ALL": "C", "LOGNAME": "test", "PATH": "/usr/bin:/bin",
          "TMPDIR": "/tmp", "USER": "test"}  # fmt: skip
HELPER = Path(_exec_helper.__file__)


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """libvirt's harness: exactly HARNESS_ENV, cwd a scratch directory, umask 022."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name in ("LINES", "COLUMNS"):
        os.unsetenv(name)  # GNU readline (imported by pytest) sets these behind os.environ
    for name, value in HARNESS_ENV.items():
        monkeypatch.setenv(name, value)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    old = os.umask(0o022)
    try:
        yield work
    finally:
        os.umask(old)


def env_lines(env: dict[str, str]) -> list[str]:
    """The ENV lines commandhelper prints for ``env`` (sorted, ``LD_*`` skipped)."""
    shown = sorted((name, value) for name, value in env.items() if not name.startswith("LD_"))
    return [f"ENV:{name}={value}" for name, value in shown]


def expected_log(
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    fds: list[int] | None = None,
    cwd: str | None = None,
    umask: str = "0022",
    daemon: bool = False,
) -> list[str]:
    """The whole commandhelper log for a run in the harness."""
    return (
        [f"ARG:{arg}" for arg in args]
        + env_lines(dict(os.environ) if env is None else env)  # + PYTEST_CURRENT_TEST
        + [f"FD:{fd}" for fd in (fds or [0, 1, 2])]
        + [f"DAEMON:{'yes' if daemon else 'no'}", f"CWD:{cwd or os.getcwd()}", f"UMASK:{umask}"]
    )


def wait_for_exit(pid: int, seconds: float = 5.0) -> bool:
    """Wait on a pidfd until ``pid`` (any process, not only a child) has exited."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        return bool(poller.poll(seconds * 1000))
    finally:
        os.close(pidfd)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def fd_is_open(fd: int) -> bool:
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return False
    return True


# --- 0-2: missing binaries, reuse ------------------------------------------------------


def test_00_missing_binary_raises(harness: Path) -> None:
    with pytest.raises(CommandError) as caught:
        Command(harness / "commandhelper-doesnotexist").run()
    assert caught.value.status == 127
    assert "commandhelper-doesnotexist" in str(caught.value)
    with pytest.raises(CommandError, match="Cannot find 'corral-no-such-tool' in path"):
        Command("corral-no-such-tool").run()


def test_01_missing_binary_gives_status_127_unchecked(harness: Path) -> None:
    result = Command(harness / "commandhelper-doesnotexist").run(check=False)
    assert (result.status, result.signal, result.pid) == (127, None, None)
    raw = Command("corral-no-such-tool").set_raw_status().run(check=False).raw_status
    assert raw is not None and os.WIFEXITED(raw) and os.WEXITSTATUS(raw) == 127
    not_executable = harness / "data.txt"
    not_executable.write_text("just data\n")
    assert Command(not_executable).run(check=False).status == 126


def test_02_reuse_runs_a_fresh_child_each_time(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path)
    first = cmd.run()
    assert commandhelper.log_lines() == expected_log()
    commandhelper.log_path.unlink()
    second = cmd.run()
    assert commandhelper.log_lines() == expected_log()
    assert first.pid != second.pid


# --- 3-4: passed descriptors, daemon with pidfile ------------------------------------


def test_03_pass_fd_keeps_exactly_the_passed_fds(harness: Path, commandhelper) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    kept, not_passed, closed = os.dup(null), os.dup(null), os.dup(null)
    os.close(null)
    try:
        Command(commandhelper.path).pass_fd(kept).pass_fd(closed, close_parent=True).run()
        assert commandhelper.log_lines() == expected_log(fds=sorted([0, 1, 2, kept, closed]))
        assert fd_is_open(kept) and fd_is_open(not_passed)
        assert not fd_is_open(closed)
    finally:
        os.close(kept)
        os.close(not_passed)


def test_04_daemon_with_pidfile(harness: Path, commandhelper) -> None:
    pidfile = harness / "commandhelper.pid"
    cmd = Command(commandhelper.path, "--check-daemonize").set_pidfile(pidfile).daemonize()
    cmd.run()
    pid = int(pidfile.read_text())  # written (and locked) before run() returned
    try:
        assert wait_for_exit(pid), "the daemon should finish once its stdin is at EOF"
        lines = commandhelper.log_lines()
        fds = [int(line[3:]) for line in lines if line.startswith("FD:")]
        assert fds[:3] == [0, 1, 2] and len(fds) == 4, "stdio and the pidfile lock fd only"
        assert lines == expected_log(["--check-daemonize"], fds=fds, cwd="/", daemon=True)
    finally:
        kill_quietly(pid)


# --- 5-11: environment and arguments ---------------------------------------------------


def test_05_env_pass_common(harness: Path, commandhelper) -> None:
    Command(commandhelper.path).add_env_pass_common().run()
    assert commandhelper.log_lines() == expected_log(env=COMMON)


def test_06_env_pass_skips_unset_names(harness: Path, commandhelper) -> None:
    Command(commandhelper.path).add_env_pass("DISPLAY").add_env_pass("DOESNOTEXIST").run()
    assert commandhelper.log_lines() == expected_log(env={"DISPLAY": ":0.0"})


def test_07_env_pass_common_and_more(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path).add_env_pass_common()
    cmd.add_env_pass("DISPLAY").add_env_pass("DOESNOTEXIST").run()
    assert commandhelper.log_lines() == expected_log(env={**COMMON, "DISPLAY": ":0.0"})


def test_08_env_last_value_wins(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path).add_env_string("USER=bogus").add_env_string("LANG=C")
    cmd.add_env_pair("USER", "also bogus").add_env_pair("USER", "test").run()
    assert commandhelper.log_lines() == expected_log(env={"LANG": "C", "USER": "test"})
    assert cmd.to_string().startswith("USER=test LANG=C ")  # first position, last value


def test_09_every_way_of_adding_arguments(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path).add_arg("-version").add_arg_pair("-log", "bar.log")
    cmd.add_arg_set(["arg1", "arg2"]).add_arg("").add_arg_format("arg%d", 4)
    cmd.add_arg_list("arg5", "arg6").run()
    args = ["-version", "-log=bar.log", "arg1", "arg2", "", "arg4", "arg5", "arg6"]
    assert commandhelper.log_lines() == expected_log(args)


def test_10_add_arg_set(harness: Path, commandhelper) -> None:
    Command(commandhelper.path).add_arg_set(("-version", "-log=bar.log")).run()
    assert commandhelper.log_lines() == expected_log(["-version", "-log=bar.log"])


def test_11_from_argv(harness: Path, commandhelper) -> None:
    Command.from_argv([commandhelper.path, "-version", "-log=bar.log"]).run()
    assert commandhelper.log_lines() == expected_log(["-version", "-log=bar.log"])


# --- 12-17: buffers, cwd, umask, to_string -------------------------------------------


def test_12_input_buffer_without_output_capture(harness: Path, commandhelper) -> None:
    result = Command(commandhelper.path).set_input_buffer("Hello World\n").run()
    assert (result.stdout, result.stderr) == (None, None)
    assert commandhelper.log_lines() == expected_log()


def test_13_input_and_output_buffers(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path).set_input_buffer("Hello World\n").set_output_buffer()
    result = cmd.run()
    assert result.stdout == "BEGIN STDOUT\nHello World\nEND STDOUT\n"
    assert result.stderr is None
    assert commandhelper.log_lines() == expected_log()


def test_14_separate_then_merged_buffers(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path).set_input_buffer("Hello World\n")
    result = cmd.set_output_buffer().set_error_buffer().run()
    assert result.stdout == "BEGIN STDOUT\nHello World\nEND STDOUT\n"
    assert result.stderr == "BEGIN STDERR\nHello World\nEND STDERR\n"
    joint = Command(commandhelper.path).set_input_buffer("Hello World\n")
    result = joint.set_output_buffer().set_error_buffer(merge=True).run()
    assert result.stdout == (
        "BEGIN STDOUT\nBEGIN STDERR\nHello World\nHello World\nEND STDOUT\nEND STDERR\n"
    )
    assert result.stderr is None
    assert commandhelper.log_lines() == expected_log()


def test_15_working_directory_and_umask(harness: Path, commandhelper) -> None:
    data = harness.parent / "commanddata"
    data.mkdir()
    Command(commandhelper.path).set_working_directory(data).set_umask(0o002).run()
    assert commandhelper.log_lines() == expected_log(cwd=str(data), umask="0002")


def test_16_to_string_and_write_arg_log(harness: Path) -> None:
    cmd = Command("true").add_env_pair("A", "B").add_env_pair("C", "D  E")
    cmd.add_arg("F").add_arg("G  H")
    assert cmd.to_string() == "A=B C='D  E' true F 'G  H'"
    log = harness / "arg.log"
    with open(log, "w") as text_file:
        cmd.write_arg_log(text_file)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        cmd.write_arg_log(fd)
    finally:
        os.close(fd)
    assert log.read_text() == "A=B C=D  E true F G  H\n" * 2


def test_17_unused_buffers_are_empty_strings(harness: Path) -> None:
    result = Command("true").set_output_buffer().run()
    assert (result.stdout, result.stderr) == ("", None)
    result = Command("true").set_output_buffer().set_error_buffer(binary=True).run()
    assert (result.stdout, result.stderr) == ("", b"")


# --- 18-21: daemons, abort, EPIPE, asynchronous buffers ------------------------------


@pytest.mark.timeout(10)
def test_18_daemon_outlives_run_and_the_command(harness: Path) -> None:
    pidfile = harness / "sleep.pid"
    started = time.monotonic()
    with Command("sleep", "100").daemonize().set_pidfile(pidfile) as cmd:
        cmd.run()
    pid = int(pidfile.read_text())
    try:
        assert time.monotonic() - started < 5
        assert alive(pid)
    finally:
        kill_quietly(pid)


def test_19_run_async_then_abort(harness: Path) -> None:
    cmd = Command("sleep", "100")
    pid = cmd.run_async()
    assert pid > 0 and alive(pid) and cmd.pid == pid
    cmd.abort()
    assert not alive(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped by abort(), no zombie left
    assert cmd.pid is None


def test_20_child_closing_stdin_is_no_error(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path, "--close-stdin").set_input_buffer("a" * 100_000)
    assert cmd.run().status == 0
    assert commandhelper.log_lines() == expected_log(["--close-stdin"])


def test_21_buffers_with_run_async_and_wait(harness: Path, commandhelper) -> None:
    cmd = Command(commandhelper.path).set_input_buffer("Hello World\n")
    cmd.set_output_buffer().set_error_buffer()
    cmd.run_async()
    result = cmd.wait()
    assert result.stdout == "BEGIN STDOUT\nHello World\nEND STDOUT\n"
    assert result.stderr == "BEGIN STDERR\nHello World\nEND STDERR\n"
    assert commandhelper.log_lines() == expected_log()


# --- 22-23: exit status and signals --------------------------------------------------


def test_22_exit_status_and_death_by_signal(harness: Path) -> None:
    exit3 = Command("sh", "-c", "exit 3")
    assert exit3.run(check=False).status == 3
    raw = exit3.set_raw_status().run(check=False).raw_status
    assert raw is not None and os.WIFEXITED(raw) and os.WEXITSTATUS(raw) == 3
    with pytest.raises(CommandError, match=r"unexpected exit status 3") as caught:
        Command("sh", "-c", "echo oops >&2; exit 3").set_error_buffer().run()
    assert caught.value.code == ErrorCode.INTERNAL_ERROR
    assert (caught.value.status, caught.value.stderr) == (3, "oops")
    killed = Command("sh", "-c", "kill -9 $$")
    with pytest.raises(CommandError, match="fatal signal 9") as caught:
        killed.run(check=False)
    assert caught.value.signal == signal.SIGKILL
    result = killed.set_raw_status().run(check=False)
    assert (result.status, result.signal) == (None, signal.SIGKILL)
    assert result.raw_status is not None and os.WIFSIGNALED(result.raw_status)


def _exit_like(wait_status: int) -> Command:
    code = f"import runpy; runpy.run_path({str(HELPER)!r})['exit_like']({wait_status})"
    return Command(sys.executable, "-I", "-S", "-c", code).set_raw_status()


def test_23_daemon_intermediate_propagates_status_and_signal(harness: Path) -> None:
    # The intermediate exits as the daemon did when the daemon fails before exec.
    assert _exit_like(42 << 8).run(check=False).status == 42
    assert _exit_like(signal.SIGKILL).run(check=False).signal == signal.SIGKILL
    not_executable = harness / "data.txt"
    not_executable.write_text("just data\n")
    with pytest.raises(CommandError, match="exit status 126") as caught:
        Command(not_executable).daemonize().run()
    assert caught.value.status == 126


def test_23_daemon_failing_its_pidfile_step_reports_125(harness: Path) -> None:
    pidfile = harness / "held.pid"
    holder = os.open(pidfile, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(holder, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)  # someone else runs
        result = Command("sleep", "100").daemonize().set_pidfile(pidfile).run(check=False)
        assert result.status == 125
        assert pidfile.read_text() == ""  # the daemon never wrote it, so never ran
    finally:
        os.close(holder)


# --- 25-29: exec failure, linebreaks, passed pipes, failing steps, daemon pipes -------


def test_25_exec_failure_is_reported_to_the_parent(harness: Path) -> None:
    script = harness / "no-interpreter"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    result = Command(script).run(check=False)
    assert (result.status, result.pid) == (127, None)
    directory = harness / "a-directory"
    directory.mkdir()
    with pytest.raises(CommandError, match="Cannot execute binary") as caught:
        Command(directory).run()
    assert caught.value.status == 126
    # Through the exec helper (after a handshake) the helper reports it the same way.
    cmd = Command(script).require_handshake()
    cmd.run_async()
    cmd.handshake_wait()
    cmd.handshake_notify()
    assert cmd.wait(check=False).status == 127


def test_26_to_string_with_linebreaks(harness: Path) -> None:
    cmd = Command("true").add_env_pair("A", "B").add_env_pair("C", "D  E")
    cmd.add_arg_list(
        "--foo", "bar", "--oooh", "-f", "--wizz", "eek eek", "--m-m-m-multiarg", "arg",
        "arg2", "-w", "-z", "-l", "--mmm", "flash", "bang", "wallop",
    )  # fmt: skip
    assert cmd.to_string(linebreaks=True) == (
        "A=B \\\n"
        "C='D  E' \\\n"
        "true \\\n"
        "--foo bar \\\n"
        "--oooh \\\n"
        "-f \\\n"
        "--wizz 'eek eek' \\\n"
        "--m-m-m-multiarg arg arg2 \\\n"
        "-w \\\n"
        "-z \\\n"
        "-l \\\n"
        "--mmm flash \\\n"
        "bang \\\n"
        "wallop"
    )
    log = harness / "arg.log"
    with open(log, "wb") as binary_file:
        cmd.write_arg_log(binary_file)
    assert log.read_text() == (
        "A=B C=D  E true --foo bar --oooh -f --wizz eek eek --m-m-m-multiarg arg arg2 "
        "-w -z -l --mmm flash bang wallop\n"
    )


def _filled_pipe(data: bytes) -> int:
    """Return the read end of a pipe holding ``data`` whose write end is closed."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, max(len(data), 4096) * 2)
    os.write(write_end, data)
    os.close(write_end)
    return read_end


def test_27_passed_pipes_read_with_stdin_into_buffers(harness: Path, commandhelper) -> None:
    size = 128 * 1024 - 1
    first, second = _filled_pipe(b"1" * size), _filled_pipe(b"2" * size)
    cmd = Command(commandhelper.path, "--readfd", first, "--readfd", second)
    cmd.pass_fd(first, close_parent=True).pass_fd(second, close_parent=True)
    result = cmd.set_input_buffer("H" * size).set_output_buffer().set_error_buffer().run()
    body = "H" * size + "1" * size + "2" * size
    assert result.stdout == f"BEGIN STDOUT\n{body}END STDOUT\n"
    assert result.stderr == f"BEGIN STDERR\n{body}END STDERR\n"
    args = ["--readfd", str(first), "--readfd", str(second)]
    assert commandhelper.log_lines() == expected_log(args, fds=sorted([0, 1, 2, first, second]))
    assert not fd_is_open(first) and not fd_is_open(second)


def test_28_failing_step_in_the_child_is_status_125(harness: Path) -> None:
    marker = harness / "ran"
    refusing = Command("touch", marker).set_pre_exec_hook(lambda: False)
    assert refusing.run(check=False).status == 125
    with pytest.raises(CommandError, match="pre-exec hook") as caught:
        refusing.run()
    assert caught.value.status == 125

    def raising() -> None:
        raise OSError("no such thing")

    assert Command("touch", marker).set_pre_exec_hook(raising).run(check=False).status == 125
    assert not marker.exists()
    ran: list[int] = []
    Command("touch", marker).set_pre_exec_hook(lambda: ran.append(1)).run()
    assert marker.exists() and ran == []  # it ran in the child, not here


@pytest.mark.timeout(10)
def test_29_daemon_writing_into_a_caller_pipe(harness: Path, commandhelper) -> None:
    data = bytes(ord("a") + i % 26 for i in range(10 * 1024))
    readfd = _filled_pipe(data)
    pidfile = harness / "helper.pid"
    cmd = Command(commandhelper.path, "--close-stdin", "--check-daemonize", "--readfd", readfd)
    cmd.pass_fd(readfd, close_parent=True).set_output_fd(PIPE).set_pidfile(pidfile).daemonize()
    cmd.run()
    pid = int(pidfile.read_text())
    try:
        assert cmd.output_fd is not None
        with os.fdopen(cmd.output_fd, "rb") as out:
            assert out.read() == b"BEGIN STDOUT\n" + data + b"END STDOUT\n"
        assert wait_for_exit(pid)
        lines = commandhelper.log_lines()
        fds = [int(line[3:]) for line in lines if line.startswith("FD:")]
        assert len(fds) == 5 and {0, 1, 2, readfd} < set(fds), "stdio, readfd, pidfile"
        args = ["--close-stdin", "--check-daemonize", "--readfd", str(readfd)]
        assert lines == expected_log(args, fds=fds, cwd="/", daemon=True)
    finally:
        kill_quietly(pid)
