"""How an exec ends and how long its record lives: terminate, timeout, retention, caps, events."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode
from corral.core.daemon.exec import EVENT

IGNORE_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"


def test_terminate_sends_sigterm(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[dict[str, Any], Any]:
        pid = (await service.guest_exec(path="sleep", arg=["30"]))["pid"]
        assert await service.guest_exec_terminate(pid=pid) == {}
        return await kit.finished(service, pid, within=5), events

    status, events = kit.serve(test)
    assert status == {"exited": True, "signal": signal.SIGTERM}
    assert events == [(EVENT, {"pid": events[0][1]["pid"], "signal": signal.SIGTERM})]


def test_terminate_kills_after_the_grace_and_reaches_grandchildren(kit: Any) -> None:
    # The grandchild ignores SIGTERM too and holds no pipe: only the group's SIGKILL stops it.
    code = (f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {IGNORE_TERM!r}]);"
            f" exec({IGNORE_TERM!r})")

    async def test(service: Any, events: Any) -> tuple[dict[str, Any], float, list[Any]]:
        pid = (await service.guest_exec(path=sys.executable, arg=["-c", code]))["pid"]
        await asyncio.sleep(0.5)  # both are up and ignore SIGTERM
        grandchildren = kit.children_of(pid)
        started = time.monotonic()
        await service.guest_exec_terminate(pid=pid)
        status = await kit.finished(service, pid, within=5)
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.3)
        return status, elapsed, [kit.state_of(child) for child, _ in grandchildren]

    status, elapsed, left = kit.serve(test, terminate_grace=0.3)
    assert status == {"exited": True, "signal": signal.SIGKILL}
    assert 0.25 < elapsed < 3
    assert left and all(state in (None, "Z") for state in left)  # dead (init reaps it)


def test_terminate_after_the_end_is_an_invalid_operation(kit: Any) -> None:
    async def test(service: Any, events: Any) -> CorralError:
        pid = (await service.guest_exec(path="true"))["pid"]
        await kit.finished(service, pid)
        with pytest.raises(CorralError) as caught:
            await service.guest_exec_terminate(pid=pid)
        return caught.value

    error = kit.serve(test)
    assert error.code == ErrorCode.OPERATION_INVALID and "exited already" in str(error)


def test_timeout_terminates_the_group(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[dict[str, Any], float]:
        started = time.monotonic()
        pid = (await service.guest_exec(path="sh", arg=["-c", "sleep 30; sleep 30"],
                                        timeout=0.2, capture_output=True))["pid"]
        status = await kit.finished(service, pid, within=5)
        return status, time.monotonic() - started

    status, elapsed = kit.serve(test)
    assert status == {"exited": True, "signal": signal.SIGTERM} and elapsed < 2


def test_a_timeout_that_does_not_expire_changes_nothing(kit: Any) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        pid = (await service.guest_exec(path="echo", arg=["in time"], timeout=30,
                                        capture_output=True))["pid"]
        return await kit.finished(service, pid)

    assert kit.unb64(kit.serve(test)["out-data"]) == b"in time\n"


def test_status_is_read_again_until_the_retention_ends(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[list[Any], CorralError]:
        pid = (await service.guest_exec(path="echo", arg=["kept"],
                                        capture_output=True))["pid"]
        first = await kit.finished(service, pid)
        reads = [first, await service.guest_exec_status(pid=pid),
                 await service.guest_exec_status(pid=pid)]
        await asyncio.sleep(0.6)
        with pytest.raises(CorralError) as caught:
            await service.guest_exec_status(pid=pid)
        return reads, caught.value

    reads, error = kit.serve(test, retention_seconds=0.3)
    assert reads[0] == reads[1] == reads[2] and kit.unb64(reads[0]["out-data"]) == b"kept\n"
    assert error.code == ErrorCode.INVALID_ARG and "no exec with pid" in str(error)


def test_expired_records_are_swept_without_any_call(kit: Any) -> None:
    # Memory is given back on the timer even when nobody asks again.
    async def test(service: Any, events: Any) -> list[int]:
        pids = [(await service.guest_exec(path="true"))["pid"] for _ in range(5)]
        for pid in pids:
            await kit.finished(service, pid)
        held = len(service._records)
        await asyncio.sleep(0.6)
        return [held, len(service._records)]

    assert kit.serve(test, retention_seconds=0.3) == [5, 0]


def test_the_record_cap_drops_the_oldest_finished_first(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[list[int], list[Any]]:
        pids = []
        for _ in range(4):
            pids.append((await service.guest_exec(path="true"))["pid"])
            await kit.finished(service, pids[-1])
        outcomes = []
        for pid in pids:
            try:
                outcomes.append((await service.guest_exec_status(pid=pid))["exited"])
            except CorralError as error:
                outcomes.append(error.code)
        return pids, outcomes

    _, outcomes = kit.serve(test, max_records=3)
    assert outcomes == [ErrorCode.INVALID_ARG, True, True, True]


def test_a_cap_full_of_running_children_refuses_clearly(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[CorralError, int]:
        running = [(await service.guest_exec(path="sleep", arg=["30"]))["pid"]
                   for _ in range(2)]
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="true")
        await service.guest_exec_terminate(pid=running[0])
        await kit.finished(service, running[0], within=5)
        later = (await service.guest_exec(path="true"))["pid"]  # the finished one made room
        await kit.finished(service, later)
        return caught.value, later

    error, _ = kit.serve(test, max_records=2)
    assert error.code == ErrorCode.RESOURCE_BUSY and "exec_max_records" in str(error)


def test_max_running(kit: Any) -> None:
    async def test(service: Any, events: Any) -> CorralError:
        await service.guest_exec(path="sleep", arg=["30"])
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="true")
        return caught.value

    error = kit.serve(test, max_running=1)
    assert error.code == ErrorCode.RESOURCE_BUSY and "exec_max_running is 1" in str(error)


def test_a_grandchild_holding_stdout_delays_exited_only_for_the_grace(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[dict[str, Any], float]:
        started = time.monotonic()
        pid = (await service.guest_exec(path="sh", arg=["-c", "sleep 30 & echo started"],
                                        capture_output=True))["pid"]
        status = await kit.finished(service, pid, within=5)
        elapsed = time.monotonic() - started
        os.killpg(pid, signal.SIGKILL)  # the left-behind sleep
        return status, elapsed

    status, elapsed = kit.serve(test, output_grace=0.4)
    assert status["exitcode"] == 0 and kit.unb64(status["out-data"]) == b"started\n"
    assert 0.35 < elapsed < 3


def test_events_come_once_per_exec_with_exitcode_or_signal(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[list[int], Any]:
        pids = [(await service.guest_exec(path="sh", arg=["-c", f"exit {code}"]))["pid"]
                for code in (0, 7)]
        pids.append((await service.guest_exec(path="sleep", arg=["30"]))["pid"])
        await service.guest_exec_terminate(pid=pids[-1])
        for pid in pids:
            await kit.finished(service, pid)
        return pids, sorted(events, key=lambda event: pids.index(event[1]["pid"]))

    pids, events = kit.serve(test)
    assert events == [(EVENT, {"pid": pids[0], "exitcode": 0}),
                      (EVENT, {"pid": pids[1], "exitcode": 7}),
                      (EVENT, {"pid": pids[2], "signal": signal.SIGTERM})]


def test_a_failing_event_sink_loses_no_record(kit: Any) -> None:
    async def test(service: Any, events: Any) -> dict[str, Any]:
        def broken(name: str, data: Any) -> None:
            raise RuntimeError("client gone")

        service._emit = broken
        pid = (await service.guest_exec(path="true"))["pid"]
        return await kit.finished(service, pid)

    assert kit.serve(test) == {"exited": True, "exitcode": 0}


def test_close_terminates_and_reaps_what_runs(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[list[int], CorralError, int]:
        before = kit.open_fds()
        pids = [(await service.guest_exec(path=sys.executable, arg=["-c", IGNORE_TERM],
                                          capture_output=True))["pid"] for _ in range(3)]
        pids.append((await service.guest_exec(path="sleep", arg=["30"],
                                              input_data=kit.b64(b"x" * 1_000_000)))["pid"])
        await asyncio.sleep(0.3)
        await service.close()
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="true")
        return pids, caught.value, kit.open_fds() - before

    pids, error, leaked = kit.serve(test, terminate_grace=0.2)
    assert error.code == ErrorCode.OPERATION_INVALID and "shut down" in str(error)
    assert leaked == 0
    assert kit.children_of(os.getpid()) == []
    assert not any(os.path.exists(f"/proc/{pid}") for pid in pids)


def test_a_service_not_started_refuses(kit: Any) -> None:
    from corral.core.daemon.exec import ExecService, ExecSettings

    async def main() -> CorralError:
        service = ExecService(ExecSettings(), lambda name, data: None)
        with pytest.raises(CorralError) as caught:
            await service.guest_exec(path="true")
        await service.close()
        return caught.value

    assert "not started" in str(asyncio.run(main()))
