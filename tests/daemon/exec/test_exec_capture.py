"""guest-exec's buffered I/O: the five capture modes, input-data, truncation, env, cwd, errors."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from corral.core import CommandError, CorralError, ErrorCode

SCRIPT = ("import sys\n"
          "sys.stdout.write('o1\\n'); sys.stdout.flush()\n"
          "sys.stderr.write('e1\\n'); sys.stderr.flush()\n"
          "sys.stdout.write('o2\\n'); sys.stdout.flush()\n")
OUT, ERR, MERGED = b"o1\no2\n", b"e1\n", b"o1\ne1\no2\n"


@pytest.mark.parametrize(("mode", "out", "err"), [
    (None, None, None),
    (False, None, None),
    ("none", None, None),
    (True, OUT, ERR),
    ("separated", OUT, ERR),
    ("stdout", OUT, None),
    ("stderr", None, ERR),
    ("merged", MERGED, None),
])
def test_every_capture_mode_is_qemu_gas(kit: Any, mode: Any, out: bytes | None,
                                        err: bytes | None) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path=sys.executable, arg=["-c", SCRIPT],
                                        capture_output=mode))["pid"]
        return await kit.finished(service, pid)

    status = kit.serve(test)
    assert status["exitcode"] == 0 and "signal" not in status
    for name, expected in (("out", out), ("err", err)):
        if expected is None:
            assert f"{name}-data" not in status and f"{name}-truncated" not in status
        else:
            assert kit.unb64(status[f"{name}-data"]) == expected
            assert status[f"{name}-truncated"] is False


def test_empty_output_is_absent_as_in_qemu_ga(kit: Any) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path="true", capture_output=True))["pid"]
        return await kit.finished(service, pid)

    assert kit.serve(test) == {"exited": True, "exitcode": 0}


def test_status_before_the_end_says_only_not_exited(kit: Any) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path="sleep", arg=["5"], capture_output=True))["pid"]
        status = await service.guest_exec_status(pid=pid)
        await service.guest_exec_terminate(pid=pid)
        return status

    assert kit.serve(test) == {"exited": False}


def test_input_data_reaches_stdin_and_big_streams_flow_both_ways(kit: Any) -> None:
    data = os.urandom(3 * 1024 * 1024)  # far more than a pipe holds, in both directions

    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path="cat", input_data=kit.b64(data),
                                        capture_output="stdout"))["pid"]
        return await kit.finished(service, pid)

    status = kit.serve(test)
    assert kit.unb64(status["out-data"]) == data and status["out-truncated"] is False


def test_without_input_data_stdin_is_dev_null(kit: Any) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path="cat", capture_output=True))["pid"]
        return await kit.finished(service, pid)

    assert kit.serve(test) == {"exited": True, "exitcode": 0}


def test_a_child_that_stops_reading_its_input_is_no_error(kit: Any) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path="head", arg=["-c", "3"],
                                        input_data=kit.b64(b"x" * 5_000_000),
                                        capture_output=True))["pid"]
        return await kit.finished(service, pid)

    status = kit.serve(test)
    assert status["exitcode"] == 0 and kit.unb64(status["out-data"]) == b"xxx"


@pytest.mark.parametrize(("size", "truncated"), [(999, False), (1000, False), (1001, True),
                                                 (300_000, True)])
def test_capture_is_bounded_and_the_truncation_flag_works(kit: Any, size: int,
                                                          truncated: bool) -> None:
    code = f"import sys; sys.stdout.write('a' * {size}); sys.stderr.write('b' * 10)"

    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path=sys.executable, arg=["-c", code],
                                        capture_output=True))["pid"]
        return await kit.finished(service, pid)

    status = kit.serve(test, capture_max_bytes=1000)
    assert kit.unb64(status["out-data"]) == b"a" * min(size, 1000)
    assert status["out-truncated"] is truncated
    assert kit.unb64(status["err-data"]) == b"b" * 10 and status["err-truncated"] is False
    assert status["exitcode"] == 0  # the child was never blocked by the cap


def test_exit_code_and_signal(kit: Any) -> None:
    async def test(service: Any, events: Any) -> list[dict[str, Any]]:
        failing = (await service.guest_exec(path="sh", arg=["-c", "exit 3"]))["pid"]
        killed = (await service.guest_exec(path="sh", arg=["-c", "kill -9 $$"]))["pid"]
        return [await kit.finished(service, failing), await kit.finished(service, killed)]

    assert kit.serve(test) == [{"exited": True, "exitcode": 3}, {"exited": True, "signal": 9}]


def test_env_replaces_the_environment(kit: Any) -> None:
    async def test(service: Any, events: Any) -> list[bytes]:
        given = (await service.guest_exec(path="/usr/bin/env", env=["A=1", "B=two words"],
                                          capture_output=True))["pid"]
        empty = (await service.guest_exec(path="/usr/bin/env", env=[],
                                          capture_output=True))["pid"]
        return [kit.unb64((await kit.finished(service, pid)).get("out-data", ""))
                for pid in (given, empty)]

    assert kit.serve(test) == [b"A=1\nB=two words\n", b""]


def test_without_env_the_child_gets_the_clean_common_set(kit: Any,
                                                         monkeypatch: Any) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")  # the daemon's, not the child's

    async def test(service: Any, events: Any) -> bytes:
        pid = (await service.guest_exec(path="/usr/bin/env", capture_output=True))["pid"]
        return kit.unb64((await kit.finished(service, pid))["out-data"])

    lines = kit.serve(test).decode().splitlines()
    assert "LC_ALL=C" in lines and any(line.startswith("PATH=") for line in lines)
    assert not any(line.startswith("NOTIFY_SOCKET=") for line in lines)


@pytest.mark.parametrize("env", [["GOOD=s3cret-a", "no-equals-s3cret-b"],
                                 ["GOOD=s3cret-a", "1BAD=s3cret-b"],
                                 ["BAD NAME=s3cret-b"]])
def test_a_bad_env_item_is_refused_without_showing_a_value(kit: Any,
                                                           env: list[str]) -> None:
    async def test(service: Any, events: Any) -> CorralError:
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="true", env=env)
        return caught.value

    error = kit.serve(test)
    assert error.code == ErrorCode.INVALID_ARG
    assert "s3cret" not in str(error) and "s3cret" not in repr(error.to_dict())


def test_an_env_value_never_shows_in_a_spawn_error(kit: Any) -> None:
    async def test(service: Any, events: Any) -> CorralError:
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="/no/such/program", env=["TOKEN=s3cret-token"])
        return caught.value

    error = kit.serve(test)
    assert "TOKEN" in str(error) or "program" in str(error)
    assert "s3cret" not in str(error) and "s3cret" not in repr(error.to_dict())


def test_cwd(kit: Any, tmp_path: Any) -> None:
    async def test(service: Any, events: Any) -> bytes:
        pid = (await service.guest_exec(path="pwd", cwd=str(tmp_path),
                                        capture_output=True))["pid"]
        return kit.unb64((await kit.finished(service, pid))["out-data"])

    assert kit.serve(test) == f"{tmp_path}\n".encode()


@pytest.mark.parametrize(("arguments", "message"), [
    ({"path": "/no/such/program"}, "/no/such/program"),
    ({"path": "no-such-program-anywhere"}, "no-such-program-anywhere"),
    ({"path": "true", "cwd": "/no/such/dir"}, "/no/such/dir"),
])
def test_a_failed_spawn_is_an_error_and_leaves_no_record(kit: Any, arguments: dict[str, Any],
                                                         message: str) -> None:
    async def test(service: Any, events: Any) -> tuple[CommandError, int]:
        before = kit.open_fds()
        with pytest.raises(CommandError) as caught:
            await service.guest_exec(**arguments, capture_output=True,
                                     input_data=kit.b64(b"in"))
        return caught.value, kit.open_fds() - before

    error, leaked = kit.serve(test)
    assert error.code == ErrorCode.SYSTEM_ERROR and message in str(error)
    assert leaked == 0


@pytest.mark.parametrize(("arguments", "argument"), [
    ({"input_data": "not base64!"}, "input-data"),
    ({"input_data": "QUJ"}, "input-data"),  # bad padding
    ({"capture_output": "all"}, "capture-output"),  # qemu-ga's doc names it; it never existed
    ({"capture_output": 1}, "capture-output"),
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1.5}, "timeout"),
])
def test_bad_arguments_are_refused_before_anything_runs(kit: Any, tmp_path: Any,
                                                        arguments: dict[str, Any],
                                                        argument: str) -> None:
    marker = tmp_path / "ran"

    async def test(service: Any, events: Any) -> CorralError:
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="touch", arg=[str(marker)], **arguments)
        return caught.value

    error = kit.serve(test)
    assert error.code == ErrorCode.INVALID_ARG and error.detail["argument"] == argument
    assert error.domain == "daemon" and not marker.exists()


def test_unknown_pid(kit: Any) -> None:
    async def test(service: Any, events: Any) -> list[CorralError]:
        errors = []
        for call in (service.guest_exec_status, service.guest_exec_terminate):
            with pytest.raises(CorralError) as caught:
                await call(pid=999_999_999)
            errors.append(caught.value)
        return errors

    for error in kit.serve(test):
        assert error.code == ErrorCode.INVALID_ARG and "no exec with pid 999999999" in str(error)


class _Watcher:
    """A spawn monitor (the policy plugin's seam) that refuses ``rm`` and keeps what it saw."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def check(self, record: Any) -> str | None:
        return "rm is not allowed here" if record.argv[0] == "rm" else None

    def observe(self, record: Any, spawn: Any) -> Any:
        outcome = spawn()
        self.records.append(record)
        return outcome

    def reaped(self, record: Any) -> None:
        self.records.append(record)


def test_spawn_monitors_judge_every_exec_and_never_see_an_env_value(kit: Any) -> None:
    from corral.core import monitor_spawns

    watcher = _Watcher()

    async def test(service: Any, events: Any) -> tuple[dict[str, Any], CommandError]:
        with monitor_spawns(watcher):
            pid = (await service.guest_exec(path="true", env=["TOKEN=s3cret-token"]))["pid"]
            with pytest.raises(CommandError) as caught:
                await service.guest_exec(path="rm", arg=["-rf", "/tmp/precious"])
        return await kit.finished(service, pid), caught.value

    status, refused = kit.serve(test)
    assert status == {"exited": True, "exitcode": 0}
    assert refused.code == ErrorCode.OPERATION_DENIED and "rm is not allowed" in str(refused)
    started, reaped = watcher.records  # the refused rm never started
    assert started.argv == ("true",) and started.env_names == ("TOKEN",)
    assert reaped.status == 0
    assert "s3cret" not in repr(started) + repr(reaped)
