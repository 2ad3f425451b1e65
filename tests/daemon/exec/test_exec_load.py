"""Many children: none left a zombie, no descriptor lost, every one answered."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest


@pytest.mark.slow
def test_500_execs_leave_no_zombie_and_no_descriptor(kit: Any) -> None:
    async def run_batch(service: Any, count: int) -> list[dict[str, Any]]:
        pids = [(await service.guest_exec(path="echo", arg=[str(n)], capture_output=n % 2 == 0,
                                          input_data=kit.b64(b"in") if n % 3 == 0 else None)
                 )["pid"] for n in range(count)]
        return [await kit.finished(service, pid) for pid in pids]

    async def test(service: Any, events: Any) -> tuple[int, int, list[Any], int]:
        await run_batch(service, 20)  # warm up: the loop's own descriptors exist now
        before = kit.open_fds()
        statuses = []
        for _ in range(10):
            statuses += await run_batch(service, 50)
        await asyncio.sleep(0.05)
        return before, kit.open_fds(), kit.children_of(os.getpid()), len(statuses)

    before, after, children, count = kit.serve(test, max_records=2000)
    assert count == 500
    assert children == []  # no zombie: every child was reaped when it exited
    assert after == before


@pytest.mark.slow
def test_200_concurrent_execs_are_all_answered(kit: Any) -> None:
    async def one(service: Any, n: int) -> tuple[int, dict[str, Any]]:
        pid = (await service.guest_exec(path="sh", arg=["-c", f"sleep 0.2; echo {n}"],
                                        capture_output=True))["pid"]
        return pid, await kit.finished(service, pid, within=60)

    async def test(service: Any, events: Any) -> tuple[list[Any], list[Any], list[Any]]:
        answers = await asyncio.gather(*(one(service, n) for n in range(200)))
        return answers, list(events), kit.children_of(os.getpid())

    answers, events, children = kit.serve(test)
    assert len({pid for pid, _ in answers}) == 200
    for n, (_, status) in enumerate(answers):
        assert status["exitcode"] == 0 and kit.unb64(status["out-data"]) == f"{n}\n".encode()
    assert sorted(data["pid"] for _, data in events) == sorted(pid for pid, _ in answers)
    assert children == []
