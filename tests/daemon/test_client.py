"""corral.core.client against corrald as a real process: calls, errors, events, asyncio."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode, NoSupportError, ProtocolError
from corral.core.client import AsyncClient, Client, Event, connect, connect_async

from .conftest import Corrald, StartCorrald


@pytest.fixture
def daemon(corrald: StartCorrald) -> Corrald:
    return corrald()


def test_connect_negotiates_and_calls(daemon: Corrald) -> None:
    with connect(root=daemon.root) as client:
        assert isinstance(client, Client)
        assert set(client.greeting) >= {"version", "capabilities"}
        version = client.call("query-version")
        assert version == {"corral": version["corral"], "package": ""}
        client.call("echo-set", key="k", value=7)
        assert client.call("echo-get", key="k") == 7


def test_every_uri_form_reaches_the_same_daemon(daemon: Corrald) -> None:
    path = str(daemon.socket_path())
    for uri, root in ((path, None), (f"unix:///system?socket={path}", None),
                      ("unix:///system", daemon.root)):
        with connect(uri, root=root) as client:
            assert client.address.socket == path
            assert client.call("echo-list") == []


def test_errors_are_rebuilt_with_class_code_and_detail(daemon: Corrald) -> None:
    with connect(root=daemon.root) as client:
        with pytest.raises(CorralError) as failed:
            client.call("echo-fail", message="It failed.")
        assert (type(failed.value), str(failed.value), failed.value.code,
                failed.value.domain, failed.value.detail["why"]) == (
            CorralError, "It failed.", ErrorCode.OPERATION_FAILED, "echo", "asked")
        with pytest.raises(CorralError) as wrong:
            client.call("echo-set", key="k", value="not a number")
        assert wrong.value.code == ErrorCode.INVALID_ARG
        with pytest.raises(NoSupportError) as missing:
            client.call("network-list")
        assert missing.value.code == ErrorCode.NO_SUPPORT
        assert missing.value.detail["command"] == "network-list"
        assert str(missing.value).startswith(
            "the daemon does not offer the command 'network-list'")
        assert client.call("echo-list") == []  # the connection keeps working


def test_the_read_only_socket_refuses_with_operation_denied(daemon: Corrald) -> None:
    with connect(root=daemon.root, readonly=True) as client:
        assert client.address.socket.endswith("corrald-sock-ro")
        assert client.call("echo-list") == []
        with pytest.raises(CorralError) as refused:
            client.call("echo-set", key="k", value=1)
        assert refused.value.code == ErrorCode.OPERATION_DENIED
        assert str(refused.value) == "operation forbidden: read only access prevents echo-set"


def test_a_daemon_that_is_not_running(tmp_path: Path) -> None:
    with pytest.raises(CorralError) as absent:
        connect(str(tmp_path / "sock"))
    assert str(absent.value) == \
        f"Failed to connect socket to '{tmp_path / 'sock'}': No such file or directory"
    assert (absent.value.code, absent.value.domain) == (ErrorCode.SYSTEM_ERROR, "rpc")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "dead"))  # bound, never listening: refused
    with pytest.raises(CorralError, match="': Connection refused$"):
        connect(str(tmp_path / "dead"))
    listener.close()


def test_a_daemon_that_goes_away_mid_call(daemon: Corrald) -> None:
    client = connect(root=daemon.root)
    killer = threading.Timer(0.5, daemon.process.kill)
    killer.start()
    with pytest.raises(ProtocolError, match="closed the connection while waiting for the "
                                            "reply to 'echo-sleep'"):
        client.call("echo-sleep", seconds=30)
    killer.join()
    daemon.process.wait()
    client.close()


def _emit(client: Client | Any, n: int) -> None:
    client.call("echo-emit", name=f"net{n}", event="started")


def test_events_interleaved_with_replies_reach_iterators_and_callbacks(
        daemon: Corrald) -> None:
    with connect(root=daemon.root) as listener, connect(root=daemon.root) as other:
        seen: list[Event] = []
        subscription = listener.subscribe(seen.append)
        _emit(other, 1)  # the event arrives while `listener` waits for its own reply
        assert listener.call("echo-sleep", seconds=0.2) == {"slept": 0.2}
        assert [event.name for event in seen] == ["NETWORK_LIFECYCLE"]
        assert seen[0].timestamp is not None and seen[0].data
        subscription.cancel()
        _emit(other, 2)
        events = list(listener.events(["NETWORK_LIFECYCLE"], timeout=2))
        assert len(events) == 2  # the one seen already, from the backlog, then the new one
        assert len(seen) == 1
        assert list(listener.events(timeout=0.2)) == []



async def _async_session(root: Path) -> dict[str, Any]:
    client = await connect_async(root=root)
    assert isinstance(client, AsyncClient)
    async with client:
        stream = client.events(["NETWORK_LIFECYCLE"])
        called: list[Event] = []
        client.subscribe(called.append)
        sleeps = [client.call("echo-sleep", seconds=0.3) for _ in range(3)]
        results = await asyncio.gather(*sleeps, client.call("echo-list"),
                                       client.call("echo-emit", name="n", event="started"))
        first = await asyncio.wait_for(anext(aiter(stream)), 10)
        with pytest.raises(NoSupportError):
            await client.call("pool-list")
        stream.close()
        return {"results": results, "event": first, "called": called}


def test_asyncio_calls_in_flight_at_once_and_events(daemon: Corrald) -> None:
    found = asyncio.run(_async_session(daemon.root))
    assert found["results"] == [{"slept": 0.3}] * 3 + [[], {}]
    assert found["event"].name == "NETWORK_LIFECYCLE"
    assert [event.name for event in found["called"]] == ["NETWORK_LIFECYCLE"]


async def _async_absent(path: str) -> None:
    await connect_async(path)


def test_asyncio_not_running(tmp_path: Path) -> None:
    with pytest.raises(CorralError, match="^Failed to connect socket to .*No such file"):
        asyncio.run(_async_absent(str(tmp_path / "sock")))


async def _async_killed(daemon: Corrald) -> None:
    client = await connect_async(root=daemon.root)
    stream = client.events()
    asyncio.get_running_loop().call_later(0.3, daemon.process.kill)
    with pytest.raises(ProtocolError, match="closed the connection"):
        await client.call("echo-sleep", seconds=30)
    assert [event async for event in stream] == []  # the iterator ends, it does not hang
    await client.close()


def test_asyncio_daemon_going_away_fails_calls_and_ends_iterators(daemon: Corrald) -> None:
    asyncio.run(_async_killed(daemon))
    daemon.process.wait()
