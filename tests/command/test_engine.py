"""The engine's own rules beyond libvirt's commandtest: deferred and run-time errors,
binary lookup, capture types, caller pipes, handshakes, timeouts, dry runs, the monitor.

Real processes throughout; the dry-run tests check that nothing was spawned by looking
for the file the command would have created.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from corral.core import (
    PIPE,
    Command,
    CommandError,
    CommandResult,
    ErrorCode,
    SpawnRecord,
    dry_run,
    monitor_spawns,
)
from corral.core.command import _wrappers

T = TypeVar("T")

# (what is wrong, how to build it, a word the error must contain)
MISTAKES: list[tuple[str, Callable[[Path], Command], str]] = [
    ("list argument", lambda m: Command("touch", m, "b", []), "argument 3 has type list"),
    ("None argument", lambda m: Command("touch", m).add_arg(None), "argument 2 has type NoneType"),
    ("bool argument", lambda m: Command("touch", m).add_arg(True), "has type bool"),
    ("NUL in argument", lambda m: Command("touch", m).add_arg("a\0b"), "NUL"),
    ("str to add_arg_set", lambda m: Command("touch", m).add_arg_set("abc"), "add_arg_set"),
    ("bad format", lambda m: Command("touch", m).add_arg_format("%d", "x"), "add_arg_format"),
    ("bad pair", lambda m: Command("touch", m).add_arg_pair("--a", object()), "has type object"),
    ("env without =", lambda m: Command("touch", m).add_env_string("NOEQUALS"),
     "got a 8-character string without '='"),
    ("env not a str", lambda m: Command("touch", m).add_env_string(b"A=B"), "got bytes"),
    ("env name with =", lambda m: Command("touch", m).add_env_pair("A=B", "x"), "'A=B'"),
    ("umask too big", lambda m: Command("touch", m).set_umask(0o1000), "umask"),
    ("negative umask", lambda m: Command("touch", m).set_umask(-1), "umask"),
    ("negative files", lambda m: Command("touch", m).set_max_files(-1), "max files"),
    ("negative procs", lambda m: Command("touch", m).set_max_processes(-5), "max processes"),
    ("str memlock", lambda m: Command("touch", m).set_max_memlock("1"), "max memlock"),
    ("negative core", lambda m: Command("touch", m).set_max_core_size(-1), "max core size"),
    ("bad uid", lambda m: Command("touch", m).set_uid(-5), "uid"),
    ("str gid", lambda m: Command("touch", m).set_gid("root"), "gid"),
    ("unknown cap", lambda m: Command("touch", m).allow_cap("CAP_FLY"), "CAP_FLY"),
    ("hook twice", lambda m: Command("touch", m).set_pre_exec_hook(print).set_pre_exec_hook(print),
     "already set"),
    ("hook not callable", lambda m: Command("touch", m).set_pre_exec_hook(3), "callable"),
    ("handshake twice", lambda m: Command("touch", m).require_handshake().require_handshake(),
     "handshake"),
    ("zero timeout", lambda m: Command("touch", m).set_timeout(0), "timeout"),
    ("stdio pass_fd", lambda m: Command("touch", m).pass_fd(1), "pass_fd"),
    ("negative fd", lambda m: Command("touch", m).set_output_fd(-7), "output fd"),
    ("input twice", lambda m: Command("touch", m).set_input_buffer("x").set_input_fd(0),
     "input is specified twice"),
    ("output twice", lambda m: Command("touch", m).set_output_fd(PIPE).set_output_buffer(),
     "output is specified twice"),
    ("int input buffer", lambda m: Command("touch", m).set_input_buffer(5), "input buffer"),
    ("bad directory", lambda m: Command("touch", m).set_working_directory(42), "working dir"),
    ("empty argv", lambda m: Command.from_argv([]), "from_argv"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "words"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_building_mistakes_are_deferred_to_run(tmp_path: Path, build, words: str) -> None:
    marker = tmp_path / "spawned"
    cmd = build(marker)  # building never raises
    for attempt in (cmd.to_string, cmd.run, cmd.run_async):
        with pytest.raises(CommandError, match=words) as caught:
            attempt()
        assert caught.value.code == ErrorCode.INVALID_ARG
    assert not marker.exists()
    assert cmd.pid is None


def test_the_first_mistake_is_the_one_reported() -> None:
    cmd = Command("true").add_arg([1]).set_umask(-1)
    with pytest.raises(CommandError, match=r"argument 1 has type list; expected str, bytes, int"):
        cmd.run()


def test_write_arg_log_writes_nothing_for_a_broken_command(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with open(log, "w") as file:
        Command("true").add_arg(None).write_arg_log(file)
    assert log.read_text() == ""


RUN_TIME: list[tuple[str, Callable[[Path], Command], str]] = [
    ("pidfile alone", lambda m: Command("touch", m).set_pidfile(m.with_suffix(".pid")),
     "daemonize"),
    ("handshake daemon", lambda m: Command("touch", m).require_handshake().daemonize(),
     "handshake"),
    ("cwd daemon", lambda m: Command("touch", m).set_working_directory("/tmp").daemonize(),
     "working_directory"),
    ("output buffer daemon", lambda m: Command("touch", m).set_output_buffer().daemonize(),
     "buffers"),
    ("input buffer daemon", lambda m: Command("touch", m).set_input_buffer("x").daemonize(),
     "buffers"),
    ("buffer and PIPE", lambda m: Command("touch", m).set_output_buffer().set_error_fd(PIPE),
     "mixed with caller pipes"),
    ("PIPE in run", lambda m: Command("touch", m).set_output_fd(PIPE), "run_async"),
    ("handshake in run", lambda m: Command("touch", m).require_handshake(), "run_async"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "words"), [m[1:] for m in RUN_TIME], ids=[m[0] for m in RUN_TIME]
)
def test_combinations_are_refused_when_run(tmp_path: Path, build, words: str) -> None:
    marker = tmp_path / "spawned"
    cmd = build(marker)
    assert "touch" in cmd.to_string()  # each setting alone is fine
    with pytest.raises(CommandError, match=words) as caught:
        cmd.run()
    assert caught.value.code == ErrorCode.INVALID_ARG
    assert not marker.exists()


def test_running_twice_at_once_is_refused() -> None:
    with Command("sleep", "30") as cmd:
        pid = cmd.run_async()
        for again in (cmd.run, cmd.run_async):
            with pytest.raises(CommandError, match=f"already running \\(pid {pid}\\)"):
                again()
    assert cmd.pid is None


def test_wait_without_a_child_is_refused() -> None:
    with pytest.raises(CommandError, match="none is running") as caught:
        Command("true").wait()
    assert caught.value.code == ErrorCode.OPERATION_INVALID


# --- binary lookup, arguments, capture ------------------------------------------------


def _probe(directory: Path) -> Path:
    directory.mkdir()
    script = directory / "corral-probe"
    script.write_text("#!/bin/sh\necho found\n")
    script.chmod(0o755)
    return script


def test_a_bare_name_is_looked_up_on_the_parents_path(tmp_path, monkeypatch) -> None:
    _probe(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    cmd = Command("corral-probe").add_env_pair("PATH", "/nonexistent").set_output_buffer()
    assert cmd.run().stdout == "found\n"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    cmd = Command("corral-probe").add_env_pair("PATH", str(tmp_path / "bin"))
    with pytest.raises(CommandError, match="Cannot find 'corral-probe' in path"):
        cmd.run()


def test_arguments_of_every_accepted_type(tmp_path: Path) -> None:
    cmd = Command(Path("/usr/bin/printf"), b"%s|%s|%s|%s", 7, tmp_path, b"\xff")
    result = cmd.set_output_buffer(binary=True).run()
    assert result.stdout == b"7|" + bytes(tmp_path) + b"|\xff|"
    text = Command("printf", "\\377").set_output_buffer().run().stdout
    assert text == "\udcff"  # not UTF-8: kept losslessly with surrogateescape


def test_a_missing_working_directory_is_status_125(tmp_path: Path) -> None:
    cmd = Command("true").set_working_directory(tmp_path / "missing")
    assert (cmd.run(check=False).status, cmd.run(check=False).pid) == (125, None)
    with pytest.raises(CommandError, match="Cannot change to working directory .*missing"):
        cmd.run()


def test_the_input_buffer_is_kept_across_runs() -> None:
    cmd = Command("cat").set_input_buffer(b"again\n").set_output_buffer()
    assert [cmd.run().stdout for _ in range(2)] == ["again\n", "again\n"]


def test_output_into_a_caller_file(tmp_path: Path) -> None:
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        Command("sh", "-c", "echo out; echo err >&2").set_output_fd(fd).set_error_fd(
            fd, merge=True
        ).run()
    finally:
        os.close(fd)
    assert path.read_text() == "out\nerr\n"


def test_pipes_for_the_caller(tmp_path: Path) -> None:
    cmd = Command("sh", "-c", "echo out; echo err >&2").set_output_fd(PIPE).set_error_fd(PIPE)
    cmd.run_async()
    assert cmd.output_fd is not None and cmd.error_fd is not None
    with os.fdopen(cmd.output_fd, "rb") as out, os.fdopen(cmd.error_fd, "rb") as err:
        assert (out.read(), err.read()) == (b"out\n", b"err\n")
    assert cmd.wait().status == 0
    merged = Command("sh", "-c", "echo out; echo err >&2").set_output_fd(PIPE)
    merged.set_error_fd(PIPE, merge=True).set_nonblocking_fds().run_async()
    assert merged.error_fd == merged.output_fd is not None
    assert not os.get_blocking(merged.output_fd)
    merged.wait()
    os.set_blocking(merged.output_fd, True)
    with os.fdopen(merged.output_fd, "rb") as both:
        assert both.read() == b"out\nerr\n"


def test_close_parent_fd_is_closed_when_the_command_is_abandoned() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    with Command("true").pass_fd(read_end, close_parent=True):
        os.fstat(read_end)  # still ours while the command may run
    with pytest.raises(OSError):
        os.fstat(read_end)


def test_a_missing_wrapper_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CORRAL_EXEC_WRAPPER", "util-linux")  # prlimit is the fallback's
    monkeypatch.setattr(_wrappers, "_TOOL_DIRS", (str(tmp_path),))
    _wrappers._find_tool.cache_clear()
    try:
        with pytest.raises(CommandError, match="util-linux's 'prlimit'") as caught:
            Command("true").set_max_files(10).run()
        assert caught.value.code == ErrorCode.NO_SUPPORT
    finally:
        _wrappers._find_tool.cache_clear()


# --- handshake, timeouts ---------------------------------------------------------------


def test_handshake_holds_the_child_before_exec(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cmd = Command("touch", marker).require_handshake()
    cmd.run_async()
    cmd.handshake_wait()
    time.sleep(0.05)
    assert not marker.exists(), "the child exec'd before handshake_notify()"
    cmd.handshake_notify()
    assert cmd.wait().status == 0
    assert marker.exists()


def test_closing_without_notify_makes_the_child_exit_125(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cmd = Command("touch", marker).require_handshake()
    cmd.run_async()
    cmd.handshake_wait()
    assert cmd.wait(check=False).status == 125
    assert not marker.exists()
    with pytest.raises(CommandError, match="No handshake is pending|none is running"):
        cmd.handshake_notify()


@pytest.mark.timeout(10)
def test_set_timeout_kills_and_raises() -> None:
    started = time.monotonic()
    with pytest.raises(CommandError, match="timed out after 0.2 seconds") as caught:
        Command("sleep", "30").set_timeout(0.2).run()
    assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
    assert time.monotonic() - started < 2
    cmd = Command("sleep", "30").set_timeout(0.2)
    pid = cmd.run_async()
    with pytest.raises(CommandError) as caught:
        cmd.wait()
    assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped
    assert Command("true").set_timeout(5).run().status == 0


@pytest.mark.timeout(10)
def test_wait_timeout_leaves_the_child_running() -> None:
    cmd = Command("sh", "-c", "sleep 0.3; echo done").set_output_buffer()
    pid = cmd.run_async()
    with pytest.raises(CommandError, match="still running") as caught:
        cmd.wait(timeout=0.05)
    assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
    assert cmd.pid == pid
    assert cmd.wait().stdout == "done\n"


# --- dry runs --------------------------------------------------------------------------


def test_dry_run_records_and_spawns_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "spawned"
    with dry_run() as dr:
        result = Command("touch", marker).add_env_pair("A", "B  C").set_output_buffer().run()
        assert Command("true").run_async() == 0
    assert dr.commands == [f"A='B  C' touch {marker}", "true"]
    assert result == CommandResult(0, None, 0, "", None, None, result.duration)
    assert not marker.exists()
    assert Command("touch", marker).run().status == 0  # the block is over
    assert marker.exists()


def test_dry_run_callback_fakes_the_outcome() -> None:
    calls = []

    def fake(argv, env, data):
        calls.append((argv, env, data))
        return 1, "listing\n", b"no such pool\n"

    with dry_run(fake):
        cmd = Command("iscsiadm", "--mode", "session").add_env_pair("LC_ALL", "C")
        cmd.set_input_buffer("in").set_output_buffer().set_error_buffer(binary=True)
        with pytest.raises(CommandError, match="unexpected exit status 1: no such pool") as e:
            cmd.run()
        assert e.value.status == 1
        result = cmd.run(check=False)
        merged = Command("x").set_output_buffer(binary=True).set_error_buffer(merge=True)
        assert merged.run(check=False).stdout == b"listing\nno such pool\n"
        Command("y").run(check=False)
    assert (result.status, result.stdout, result.stderr) == (1, "listing\n", b"no such pool\n")
    assert calls[0] == (["iscsiadm", "--mode", "session"], {"LC_ALL": "C"}, b"in")
    assert calls[-1][1] == dict(os.environ)  # the inherited environment, as a dict


def test_dry_run_is_per_thread(tmp_path: Path) -> None:
    marker = tmp_path / "from-thread"
    with dry_run() as dr:
        worker = threading.Thread(target=Command("touch", marker).run)
        worker.start()
        worker.join()
    assert marker.exists() and dr.commands == []


def test_an_all_threads_dry_run_fakes_every_thread_and_a_context_one_comes_first(
        tmp_path: Path) -> None:
    marker = tmp_path / "from-thread"
    with dry_run(all_threads=True) as everywhere:
        worker = threading.Thread(target=Command("touch", marker).run)
        worker.start()
        worker.join()
        with dry_run() as mine:
            Command("true", "mine").run()
        inner = threading.Thread(target=Command("true", "inner").run)
        with dry_run(all_threads=True) as latest:
            inner.start()
            inner.join()
        Command("true", "after").run()
    assert not marker.exists()
    assert everywhere.commands == [f"touch {marker}", "true after"]
    assert mine.commands == ["true mine"] and latest.commands == ["true inner"]
    assert Command("touch", marker).run().status == 0 and marker.exists()  # the block is over


def test_dry_run_handshake_has_nothing_to_wait_for() -> None:
    with dry_run() as dr:
        cmd = Command("qemu-like").require_handshake()
        assert cmd.run_async() == 0
        cmd.handshake_wait()
        cmd.handshake_notify()
        assert cmd.wait().status == 0
    assert dr.commands == ["qemu-like"]


def test_dry_run_still_raises_building_mistakes() -> None:
    with dry_run() as dr, pytest.raises(CommandError, match="NoneType"):
        Command("true").add_arg(None).run()
    assert dr.commands == []


# --- the spawn monitor -----------------------------------------------------------------


class Recorder:
    """A test monitor: refuses binaries named in ``deny`` and keeps every call."""

    def __init__(self, deny: tuple[str, ...] = ()) -> None:
        self.deny = deny
        self.calls: list[tuple[str, SpawnRecord]] = []
        self.seen_in_observe: list[tuple[int | None, int | None]] = []

    def check(self, record: SpawnRecord) -> str | None:
        self.calls.append(("check", record))
        return "policy says no" if os.path.basename(record.argv[0]) in self.deny else None

    def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
        self.calls.append(("observe", record))
        try:
            return spawn()
        finally:
            self.seen_in_observe.append((record.pid, record.status))

    def reaped(self, record: SpawnRecord) -> None:
        self.calls.append(("reaped", record))


def test_monitor_veto_spawns_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "spawned"
    monitor = Recorder(deny=("touch",))
    with monitor_spawns(monitor), pytest.raises(CommandError, match="policy says no") as caught:
        Command("touch", marker).run()
    assert caught.value.code == ErrorCode.OPERATION_DENIED
    assert [name for name, _ in monitor.calls] == ["check"]
    assert not marker.exists()


def test_monitor_observes_run_and_async(tmp_path: Path) -> None:
    monitor = Recorder()
    with monitor_spawns(monitor):
        result = (
            Command("sh", "-c", "exit 3")
            .add_env_pair("B", "1")
            .add_env_pair("A", "2")
            .run(check=False)
        )
        cmd = Command("sleep", "30")
        pid = cmd.run_async()
        cmd.abort()
        Command("corral-no-such-tool").run(check=False)
    names = [name for name, _ in monitor.calls]
    assert names == ["check", "observe", "check", "observe", "reaped", "check", "observe"]
    run_record = monitor.calls[1][1]
    assert run_record.argv == ("sh", "-c", "exit 3") and run_record.mode == "run"
    assert run_record.env_names == ("A", "B") and not run_record.dry_run
    assert monitor.seen_in_observe[0] == (result.pid, 3)  # complete when spawn() returned
    assert run_record.duration is not None and run_record.error == "exit status 3"
    async_record = monitor.calls[3][1]
    assert async_record.mode == "async" and monitor.seen_in_observe[1] == (pid, None)
    assert monitor.calls[4][1] is async_record and async_record.signal is not None
    assert monitor.calls[6][1].status == 127
    assert "Cannot find" in (monitor.calls[6][1].error or "")


def test_monitor_sees_dry_runs_and_daemons(tmp_path: Path) -> None:
    monitor = Recorder()
    with monitor_spawns(monitor), dry_run():
        Command("true").run()
        Command("true").daemonize().run()
    records = [record for name, record in monitor.calls if name == "observe"]
    assert [(r.mode, r.dry_run, r.cwd) for r in records] == [
        ("run", True, None),
        ("daemon", True, "/"),
    ]


# --- asyncio ---------------------------------------------------------------------------


@pytest.mark.timeout(10)
def test_run_async_io_runs_children_concurrently() -> None:
    async def main() -> list[CommandResult]:
        cmds = [Command("sh", "-c", f"sleep 0.3; echo {n}").set_output_buffer() for n in range(4)]
        return await asyncio.gather(*(cmd.run_async_io() for cmd in cmds))

    started = time.monotonic()
    results = asyncio.run(main())
    assert [result.stdout for result in results] == ["0\n", "1\n", "2\n", "3\n"]
    assert time.monotonic() - started < 1.0  # 4 x 0.3 s in parallel, not in series


@pytest.mark.timeout(10)
def test_run_async_io_errors_and_cancellation() -> None:
    cmd = Command("sleep", "30")

    async def main() -> None:
        with pytest.raises(CommandError, match="unexpected exit status 3"):
            await Command("sh", "-c", "exit 3").run_async_io()
        task = asyncio.ensure_future(cmd.run_async_io())
        await asyncio.sleep(0.1)
        pid = cmd.pid
        assert pid is not None
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # killed and reaped before the cancellation ended

    asyncio.run(main())
    assert cmd.pid is None


def test_run_async_io_under_a_dry_run(tmp_path: Path) -> None:
    marker = tmp_path / "spawned"

    async def main() -> CommandResult:
        with dry_run(lambda argv, env, data: (0, "faked", None)) as dr:
            result = await Command("touch", marker).set_output_buffer().run_async_io()
        assert dr.commands == [f"touch {marker}"]
        return result

    assert asyncio.run(main()).stdout == "faked"
    assert not marker.exists()


def test_a_monitor_that_never_spawns_is_an_error(tmp_path: Path) -> None:
    class Swallower(Recorder):
        def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
            self.calls.append(("observe", record))  # forgets to call spawn()

    marker = tmp_path / "spawned"
    with monitor_spawns(Swallower()), pytest.raises(CommandError, match="without spawning"):
        Command("touch", marker).run()
    assert not marker.exists()


def test_a_monitor_must_return_what_the_spawn_returned(tmp_path: Path) -> None:
    class Dropper(Recorder):
        def observe(self, record: SpawnRecord, spawn: Callable[[], T]) -> T:
            spawn()
            return "something else"  # type: ignore[return-value]

    marker = tmp_path / "spawned"
    with monitor_spawns(Dropper()), pytest.raises(CommandError) as caught:
        Command("touch", marker).run()
    assert caught.value.code == ErrorCode.INTERNAL_ERROR
    assert "returned from observe() without returning what spawn() returned" in str(caught.value)
    assert marker.exists()  # it did spawn: the error says so rather than "without spawning"


CONTRACT_METHODS = """
from_argv add_arg add_arg_pair add_arg_format add_arg_set add_arg_list add_env_pass_common
add_env_pass add_env_pair add_env_string add_env_format add_env_pass_block_suid
add_env_pass_allow_suid set_working_directory set_umask set_max_files set_max_processes
set_max_memlock set_max_core_size set_uid set_gid clear_caps allow_cap set_selinux_label
set_apparmor_profile daemonize set_pidfile set_pre_exec_hook set_timeout pass_fd set_input_fd
set_output_fd set_error_fd output_fd error_fd set_nonblocking_fds set_input_buffer
set_output_buffer set_error_buffer run run_async wait abort set_raw_status require_handshake
handshake_wait handshake_notify to_string write_arg_log run_async_io
""".split()


def test_the_public_names() -> None:
    import corral.core
    import corral.core.command

    assert sorted(corral.core.command.__all__) == sorted(
        ["PIPE", "Command", "CommandResult", "DryRun", "SpawnMonitor", "SpawnRecord",
         "dry_run", "monitor_all_spawns", "monitor_spawns"]
    )  # fmt: skip
    assert set(corral.core.command.__all__) <= set(corral.core.__all__)
    assert [name for name in CONTRACT_METHODS if not hasattr(Command, name)] == []
    assert [field for field in CommandResult.__dataclass_fields__] == [
        "status", "signal", "raw_status", "stdout", "stderr", "pid", "duration"
    ]  # fmt: skip
    assert PIPE == -1  # the same value as subprocess.PIPE and libvirt's -1


def test_monitor_record_of_a_timeout_has_the_facts_but_no_env_values() -> None:
    monitor = Recorder()
    with monitor_spawns(monitor), pytest.raises(CommandError) as caught:
        Command("sleep", "30").add_env_pair("TOKEN", "s3cr3t").set_timeout(0.2).run()
    assert caught.value.code == ErrorCode.OPERATION_TIMEOUT
    record = monitor.calls[1][1]
    assert record.env_names == ("TOKEN",)
    assert record.pid is not None and record.pid > 0
    assert record.signal == signal.SIGTERM and record.status is None
    assert record.error == "operation timeout, killed by signal 15"
    assert "s3cr3t" not in repr(record)


def test_exit_and_signal_messages_are_libvirts_exactly() -> None:
    with pytest.raises(CommandError) as caught:
        Command("false").run()
    assert str(caught.value) == "Child process (false) unexpected exit status 1"
    with pytest.raises(CommandError) as caught:
        Command("sh", "-c", "echo no such pool >&2; exit 2").set_error_buffer().run()
    assert str(caught.value) == (
        "Child process (sh -c 'echo no such pool >&2; exit 2') unexpected exit status 2: "
        "no such pool"
    )
    with pytest.raises(CommandError) as caught:
        Command("sh", "-c", "kill -9 $$").run()
    assert str(caught.value) == "Child process (sh -c 'kill -9 $$') unexpected fatal signal 9"
