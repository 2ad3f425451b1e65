"""Many children: none left a zombie, no descriptor lost, every one answered."""

from __future__ import annotations

import asyncio
import os
import time
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


@pytest.mark.slow
def test_200_clients_exec_at_once_over_the_socket(corrald: Any, kit: Any) -> None:
    daemon = corrald("drivers = []\n")
    clients = [daemon.client() for _ in range(200)]
    for n, client in enumerate(clients):  # every request is sent before any reply is read
        client.send({"execute": "guest-exec", "id": n, "arguments": {
            "path": "/bin/sh", "arg": ["-c", f"sleep 0.2; echo {n}"], "capture-output": True}})
    pids = []
    for n, client in enumerate(clients):
        reply = client.reply()
        assert reply["id"] == n and "return" in reply, reply
        pids.append(reply["return"]["pid"])
    assert len(set(pids)) == 200
    deadline = time.monotonic() + 60
    for n, (client, pid) in enumerate(zip(clients, pids, strict=True)):
        while not (status := client.call("guest-exec-status", pid=pid))["exited"]:
            assert time.monotonic() < deadline, f"pid {pid} still running: {status}"
            time.sleep(0.01)
        assert status["exitcode"] == 0 and kit.unb64(status["out-data"]) == f"{n}\n".encode()
    # No record lost: every client was told of every exit, and every status is still there.
    watcher = clients[0]
    exited = {event["data"]["pid"] for event in watcher.events
              if event["event"] == "GUEST_EXEC_EXITED"}
    while exited != set(pids):
        exited.add(watcher.wait_event("GUEST_EXEC_EXITED")["data"]["pid"])
    for pid in pids:
        assert clients[-1].call("guest-exec-status", pid=pid)["exited"] is True
    assert kit.children_of(daemon.process.pid) == []  # every child reaped: no zombie
