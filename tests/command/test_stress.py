"""Hard tests for the spawning engine: leaks, hostile input, big I/O, timeouts, reaping.

Every test drives real processes (``commandhelper``, coreutils, small Python children)
against the public contract in ``design/command-api.md`` and is bounded in time, so a
deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import random
import resource
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from corral.core import PIPE, Command, CommandError, CommandResult, ErrorCode

# Every character a shell would interpret, plus the shapes that trip argument parsers.
METACHARACTERS = [
    ";", "|", "&", "$(id)", "`id`", "<", ">", "*", "?", "~", "!", "#", "'", '"', "\\",
    "a\nb", " ", "two  words", "", "-", "--", "-rf", "--help", "$HOME", "${PATH}",
    "&&", "||", ">/dev/null", "a;b|c&d", "tab\there", "it's", 'say "hi"', "*.py",
]
NASTY_DIRECTORY = "bin ;|&$(id)`id`<>*?~!#'\"\\\n -x"
THREADS = 8
HELD_FDS = 5000


# --- what the test process can observe of itself -----------------------------------


def _open_fds() -> list[int]:
    """Return the descriptors open in this process (the listing's own fd excluded)."""
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            os.fstat(int(name))
        except OSError:
            continue
        fds.append(int(name))
    return sorted(fds)


def _stat(pid: int) -> tuple[str, int] | None:
    """Return (state, ppid) of ``pid`` from /proc, or None when it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces and ')'
    return fields[0], int(fields[1])


def _children() -> dict[int, str]:
    """Map every child of this process to its state letter (``Z`` for a zombie)."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = _stat(int(name))
            if info is not None and info[1] == os.getpid():
                found[int(name)] = info[0]
    return found


def _dead(pid: int) -> bool:
    """True when ``pid`` is gone or only a zombie (PID 1 here may never reap orphans)."""
    info = _stat(pid)
    return info is None or info[0] in ("Z", "X")


def _wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    """Poll ``predicate`` every 10 ms for up to ``seconds``; return its last value."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return predicate()
        time.sleep(0.01)
    return True


def _reaped(pid: int) -> bool:
    """True when the engine reaped ``pid``: it is no longer a child of ours at all."""
    try:
        os.waitpid(pid, os.WNOHANG)  # (0, 0) = still running; (pid, _) = we reaped it
    except ChildProcessError:
        return True
    return False


def _sha(data: bytes) -> str:
    # Compare digests: a failed == on 100 MiB would make pytest print both buffers.
    return hashlib.sha256(data).hexdigest()


def _copy_helper(source: Path, directory: Path) -> Path:
    """Copy the commandhelper into ``directory`` so its log lands there."""
    directory.mkdir(parents=True)
    target = directory / "commandhelper"
    shutil.copy2(source, target)
    return target


def _fd_lines(log_path: Path) -> list[int]:
    return [int(line[3:]) for line in log_path.read_text().splitlines() if line.startswith("FD:")]


@pytest.fixture
def inheritable_fds() -> Iterator[list[int]]:
    """Hold 5,000 inheritable descriptors, raising the soft fd limit if needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = len(_open_fds()) + HELD_FDS + 256
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard RLIMIT_NOFILE ({hard}) is below the {wanted} descriptors needed")
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    base = os.open(os.devnull, os.O_RDONLY)
    held = []
    try:
        for _ in range(HELD_FDS):
            fd = os.dup(base)
            os.set_inheritable(fd, True)  # on purpose: a careless spawn would leak them all
            held.append(fd)
        yield held
    finally:
        for fd in [base, *held]:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- descriptors -------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_threads_spawning_amid_5000_inheritable_fds_leak_none(
    commandhelper, inheritable_fds, tmp_path
):
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> list[tuple[list[int], int]]:
        helper = _copy_helper(commandhelper.path, tmp_path / f"thread{index}")
        read_end, write_end = os.pipe()
        try:
            barrier.wait(timeout=30)
            seen = []
            for _ in range(4):
                Command(helper).pass_fd(read_end).run()
                seen.append((_fd_lines(helper.parent / "commandhelper.log"), read_end))
            return seen
        finally:
            os.close(read_end)
            os.close(write_end)

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    for rounds in results:
        for fds, passed in rounds:
            assert fds == [0, 1, 2, passed], "the child saw more than stdio and its pass_fd"


# --- shell metacharacters ----------------------------------------------------------


def _expected_log(args: list[str], env: dict[str, str]) -> str:
    umask = os.umask(0o022)
    os.umask(umask)
    return (
        "".join(f"ARG:{arg}\n" for arg in args)
        + "".join(f"ENV:{name}={value}\n" for name, value in sorted(env.items()))
        + "FD:0\nFD:1\nFD:2\nDAEMON:no\n"
        + f"CWD:{os.getcwd()}\nUMASK:{umask:04o}\n"
    )


def _nasty_env() -> dict[str, str]:
    env = {"LC_ALL": "C"}
    for index, value in enumerate(METACHARACTERS):
        env[f"NASTY_{index:02d}"] = value
    return env


def test_metacharacters_reach_the_child_literally(commandhelper, tmp_path):
    helper = _copy_helper(commandhelper.path, tmp_path / NASTY_DIRECTORY)
    env = _nasty_env()
    cmd = Command(helper).add_arg_list(*METACHARACTERS)
    for index, (name, value) in enumerate(env.items()):
        if index % 2:
            cmd.add_env_pair(name, value)
        else:
            cmd.add_env_string(f"{name}={value}")
    result = cmd.run()
    assert result.status == 0
    assert (helper.parent / "commandhelper.log").read_text() == _expected_log(METACHARACTERS, env)


@pytest.mark.timeout(30)
def test_metacharacters_survive_the_exec_helper(commandhelper, tmp_path):
    # daemonize() goes through corral's exec helper (a second argv/env round trip).
    helper = _copy_helper(commandhelper.path, tmp_path / NASTY_DIRECTORY)
    args = [*METACHARACTERS, "h\u00e9llo \u2603"]
    env = {**_nasty_env(), "UNICODE": "\u00e9\u2603"}
    cmd = Command(helper).add_arg_set(args).daemonize()
    for name, value in env.items():
        cmd.add_env_pair(name, value)
    cmd.run()
    log_path = helper.parent / "commandhelper.log"
    assert _wait_until(lambda: log_path.exists() and "UMASK:" in log_path.read_text(), 10)
    expected = _expected_log(args, env)
    assert log_path.read_text(encoding="utf-8").startswith(expected[: expected.index("FD:")])


def test_bare_name_found_in_a_nasty_path_directory(commandhelper, tmp_path, monkeypatch):
    helper = _copy_helper(commandhelper.path, tmp_path / NASTY_DIRECTORY)
    monkeypatch.setenv("PATH", f"{helper.parent}{os.pathsep}{os.environ['PATH']}")
    Command("commandhelper", "$(id)", "").add_env_pair("LC_ALL", "C").run()
    log = (helper.parent / "commandhelper.log").read_text()
    assert log == _expected_log(["$(id)", ""], {"LC_ALL": "C"})


def test_to_string_splits_back_into_the_same_words(tmp_path):
    binary = str(tmp_path / NASTY_DIRECTORY / "tool")
    env = _nasty_env()
    cmd = Command(binary, *METACHARACTERS)
    for name, value in env.items():
        cmd.add_env_pair(name, value)
    words = shlex.split(cmd.to_string())
    assert words == [f"{n}={v}" for n, v in env.items()] + [binary, *METACHARACTERS]
    assert shlex.split(cmd.to_string(linebreaks=True).replace(" \\\n", " ")) == words


# --- big buffers -------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_100_mib_in_and_out_through_cat():
    data = random.Random(100).randbytes(100 << 20)
    result = Command("cat").set_input_buffer(data).set_output_buffer(binary=True).run()
    assert result.status == 0
    assert isinstance(result.stdout, bytes)
    assert len(result.stdout) == len(data)
    assert _sha(result.stdout) == _sha(data)


def _echo(helper: Path, data: bytes, merge: bool = False) -> CommandResult:
    """Run the helper on ``data`` with both streams captured as bytes (or merged)."""
    cmd = Command(helper).set_input_buffer(data).set_output_buffer(binary=True)
    return cmd.set_error_buffer(binary=True, merge=merge).run()


@pytest.mark.timeout(120)
def test_large_stdout_and_stderr_at_the_same_time(commandhelper):
    data = random.Random(32).randbytes(32 << 20)
    result = _echo(commandhelper.path, data)
    assert _sha(result.stdout) == _sha(b"BEGIN STDOUT\n" + data + b"END STDOUT\n")
    assert _sha(result.stderr) == _sha(b"BEGIN STDERR\n" + data + b"END STDERR\n")


@pytest.mark.timeout(60)
def test_merged_stderr_keeps_the_write_order(commandhelper):
    # One pipe for both streams: the helper's writes arrive in the order it made them.
    data = random.Random(8).randbytes(8 << 20)
    result = _echo(commandhelper.path, data, merge=True)
    expected = b"BEGIN STDOUT\nBEGIN STDERR\n" + data + data + b"END STDOUT\nEND STDERR\n"
    assert result.stderr is None
    assert _sha(result.stdout) == _sha(expected)


@pytest.mark.timeout(120)
def test_run_async_moves_big_buffers_until_wait():
    data = random.Random(33).randbytes(32 << 20)
    cmd = Command("cat").set_input_buffer(data).set_output_buffer(binary=True)
    cmd.run_async()
    result = cmd.wait()
    assert _sha(result.stdout) == _sha(data)


@pytest.mark.timeout(120)
def test_concurrent_buffered_runs_never_cross(inheritable_fds):
    # A pipe end leaking into another thread's child would delay EOF or mix the data.
    def worker(index: int) -> bool:
        data = random.Random(index).randbytes(4 << 20)
        cmd = Command("cat").set_input_buffer(data).set_output_buffer(binary=True)
        return all(_sha(cmd.run().stdout) == _sha(data) for _ in range(3))

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        assert all(pool.map(worker, range(THREADS)))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("captured", [True, False], ids=["captured", "uncaptured"])
def test_child_that_stops_reading_early_is_no_error(captured):
    data = random.Random(16).randbytes(16 << 20)
    cmd = Command("head", "-c", "1").set_input_buffer(data)
    if captured:
        cmd.set_output_buffer(binary=True)
    result = cmd.run()
    assert result.status == 0
    assert result.stdout == (data[:1] if captured else None)


@pytest.mark.timeout(60)
def test_child_that_never_reads_is_no_error():
    result = Command("true").set_input_buffer(bytes(16 << 20)).set_error_buffer().run()
    assert (result.status, result.stderr) == (0, "")


@pytest.mark.timeout(60)
def test_child_that_closes_stdin_is_no_error(commandhelper):
    # libvirt's test20: the helper reopens stdin on /dev/null before reading.
    result = (
        Command(commandhelper.path, "--close-stdin")
        .set_input_buffer("x" * 100_000)
        .set_output_buffer()
        .run()
    )
    assert result.status == 0
    assert result.stdout == "BEGIN STDOUT\nEND STDOUT\n"


# --- timeouts ----------------------------------------------------------------------

# A child that ignores SIGTERM (inherited by its children across exec), starts N
# grandchildren (in its process group, or escaping it) and records every pid.
STUBBORN = r"""
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
escape = sys.argv[2] == "escape"
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                         start_new_session=escape) for _ in range(int(sys.argv[3]))]
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(" ".join(str(p) for p in [os.getpid()] + [k.pid for k in kids]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
print("ready", flush=True)
time.sleep(30)
"""


def _stubborn(pidfile: Path, mode: str, grandchildren: int = 2) -> Command:
    return Command(sys.executable, "-c", STUBBORN, pidfile, mode, grandchildren)


def _pids(pidfile: Path) -> list[int]:
    assert pidfile.exists(), "the child was killed before it could record its pids"
    return [int(word) for word in pidfile.read_text().split()]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("captured", [True, False], ids=["captured", "uncaptured"])
def test_timeout_kills_a_term_ignoring_child_and_its_grandchildren(tmp_path, captured):
    pidfile = tmp_path / "pids"
    cmd = _stubborn(pidfile, "group").set_timeout(1.5)
    if captured:
        cmd.set_output_buffer().set_error_buffer()
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        cmd.run()
    elapsed = time.monotonic() - started
    assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
    assert 1.5 <= elapsed < 11.5, f"the timeout took {elapsed:.1f} s"
    pids = _pids(pidfile)
    assert _reaped(pids[0])
    assert _wait_until(lambda: all(_dead(pid) for pid in pids), 2), "a grandchild survived"


@pytest.mark.timeout(60)
def test_timeout_does_not_hang_on_a_grandchild_holding_the_pipe(tmp_path):
    pidfile = tmp_path / "pids"
    started = time.monotonic()
    try:
        with pytest.raises(CommandError) as caught:
            _stubborn(pidfile, "escape").set_output_buffer().set_timeout(1).run()
        elapsed = time.monotonic() - started
        assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
        assert elapsed < 11, f"run() waited {elapsed:.1f} s for a pipe a grandchild held"
        assert _reaped(_pids(pidfile)[0])
    finally:
        # The grandchildren left the process group on purpose: the test cleans them up.
        for pid in _pids(pidfile)[1:] if pidfile.exists() else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.timeout(60)
def test_timeout_while_the_child_never_reads_its_input():
    data = bytes(16 << 20)  # far more than a pipe holds: the writer blocks
    fds = _open_fds()
    started = time.monotonic()
    with pytest.raises(CommandError) as caught:
        Command("sleep", "30").set_input_buffer(data).set_output_buffer().set_timeout(1).run()
    assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
    assert time.monotonic() - started < 11
    assert _open_fds() == fds, "the timed-out run left pipe ends open"


@pytest.mark.timeout(60)
def test_wait_with_a_timeout_can_be_retried_until_the_buffers_are_done():
    data = random.Random(7).randbytes(16 << 20)
    cmd = Command("cat").set_input_buffer(data).set_output_buffer(binary=True)
    cmd.run_async()
    retries = 0
    while True:
        try:
            result = cmd.wait(timeout=0.001)
            break
        except CommandError as error:
            assert error.code == ErrorCode.OPERATION_TIMEOUT
            retries += 1
    assert retries > 0, "no wait() timed out, so none was retried"
    assert _sha(result.stdout) == _sha(data)


class _Interrupted(Exception):
    """What this test's SIGINT handler raises, where Python would raise KeyboardInterrupt."""


@pytest.mark.timeout(30)
@pytest.mark.parametrize("captured", [True, False], ids=["captured", "uncaptured"])
def test_an_interrupted_run_leaves_no_child_behind(captured):
    def interrupt(number: int, frame: object) -> None:
        raise _Interrupted

    children = _children()
    cmd = Command("sleep", "30")
    if captured:
        cmd.set_output_buffer()
    # Our own handler, so a late signal can fail this test but never stop the session.
    previous = signal.signal(signal.SIGINT, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(_Interrupted):
            cmd.run()
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert _children() == children, "the interrupted run left its child running or unreaped"


# --- reaping -----------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_no_zombie_and_no_fd_leak_after_1000_spawns(tmp_path):
    fds_before = _open_fds()
    children_before = _children()
    for index in range(400):
        cmd = Command("true")
        if index % 2:
            cmd.set_output_buffer().set_error_buffer()
        assert cmd.run().status == 0
    for _ in range(300):
        cmd = Command("true").set_output_fd(PIPE)
        cmd.run_async()
        os.close(cmd.output_fd)  # the caller owns the read end it was given
        assert cmd.wait().status == 0
    for _ in range(300):
        cmd = Command("sleep", "60")
        cmd.run_async()
        cmd.abort()
    _spawn_failures_and_passed_fds(tmp_path)
    assert _children() == children_before, "children left behind (Z = zombie)"
    assert _open_fds() == fds_before


def _spawn_failures_and_passed_fds(tmp_path: Path) -> None:
    """Spawns that fail (127, 126, 125) and fds handed over with close_parent."""
    plain = tmp_path / "not-executable"
    plain.write_text("data\n")
    cases = [(tmp_path / "missing", 127), (plain, 126)]
    for index in range(100):
        binary, status = cases[index % 2]
        cmd = Command(binary).set_input_buffer("x").set_output_buffer().set_error_buffer()
        assert cmd.run(check=False).status == status
    for _ in range(20):  # a hook forces the fork path: its failure must clean up too
        cmd = Command("true").set_pre_exec_hook(lambda: False).set_output_buffer()
        assert cmd.run(check=False).status == 125
    for _ in range(100):
        read_end, write_end = os.pipe()
        Command("true").pass_fd(read_end, close_parent=True).run()
        os.close(write_end)
        with pytest.raises(OSError):
            os.fstat(read_end)  # close_parent: the engine closed our end after the spawn


# --- abort -------------------------------------------------------------------------


def test_abort_reaps_a_child_that_already_exited():
    cmd = Command("true")
    pid = cmd.run_async()
    assert _wait_until(lambda: _stat(pid) is not None and _stat(pid)[0] == "Z", 5)
    cmd.abort()
    assert _reaped(pid)


def test_abort_after_wait_and_twice_is_harmless():
    cmd = Command("true")
    pid = cmd.run_async()
    assert cmd.wait().status == 0
    cmd.abort()
    cmd.abort()
    assert _reaped(pid)
    assert cmd.run().status == 0  # the object stays usable


def test_abort_twice_on_a_running_child():
    cmd = Command("sleep", "60")
    pid = cmd.run_async()
    assert not _dead(pid)
    cmd.abort()
    assert _reaped(pid)
    cmd.abort()


def test_abort_on_a_never_started_command_is_harmless():
    children = _children()
    Command("sleep", "60").abort()
    assert _children() == children


@pytest.mark.timeout(30)
def test_abort_escalates_to_sigkill(tmp_path):
    cmd = _stubborn(tmp_path / "pids", "group", grandchildren=0).set_output_fd(PIPE)
    pid = cmd.run_async()
    with os.fdopen(cmd.output_fd, "rb") as out:
        assert out.readline() == b"ready\n"  # SIGTERM is ignored from here on
        started = time.monotonic()
        cmd.abort()
    assert time.monotonic() - started < 10
    assert _reaped(pid)


# --- asyncio -----------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_run_async_io_moves_big_buffers_without_blocking_the_loop():
    data = random.Random(34).randbytes(32 << 20)

    async def scenario() -> tuple[bytes, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        beat = asyncio.create_task(ticker())
        cmd = Command("cat").set_input_buffer(data).set_output_buffer(binary=True)
        result = await cmd.run_async_io()
        beat.cancel()
        return result.stdout, ticks

    out, ticks = asyncio.run(scenario())
    assert _sha(out) == _sha(data)
    assert ticks > 5, "the event loop stood still while the command ran"


@pytest.mark.timeout(30)
def test_cancelling_run_async_io_leaves_no_child_behind():
    children = _children()

    async def scenario() -> int:
        cmd = Command("sleep", "30").set_output_buffer()
        task = asyncio.create_task(cmd.run_async_io())
        await asyncio.sleep(0.2)
        pid = cmd.pid
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pid

    pid = asyncio.run(scenario())
    assert pid is not None and _reaped(pid)
    assert _children() == children


# --- context manager ---------------------------------------------------------------


def test_context_manager_kills_and_reaps_a_running_child():
    with Command("sleep", "60") as cmd:
        pid = cmd.run_async()
        assert not _dead(pid)
    assert _reaped(pid)


def test_context_manager_reaps_when_the_block_raises():
    with pytest.raises(KeyError), Command("sleep", "60") as cmd:
        pid = cmd.run_async()
        raise KeyError("boom")
    assert _reaped(pid)
