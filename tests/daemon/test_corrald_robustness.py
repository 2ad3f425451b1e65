"""Bad input, impatient clients and too many of them: corrald answers and stays up."""

from __future__ import annotations

import json
import random
import socket
import time

import pytest
from corral.core import ErrorCode

from .conftest import Corrald, QmpTestClient, StartCorrald


def alive(daemon: Corrald) -> None:
    assert daemon.client().call("echo-list") == []


def test_garbage_gets_errors_and_the_connection_goes_on(corrald: StartCorrald) -> None:
    daemon = corrald()
    client = daemon.client()
    client.send_raw(b'hello {"a" 1} [1, 2] "text" 12 }')
    descs = [client.reply()["error"]["desc"] for _ in range(6)]
    assert descs[0].startswith("JSON parse error")
    assert "JSON parse error" in descs[1]
    assert descs[2:5] == ["QMP input must be a JSON object"] * 3
    assert descs[5] == "JSON parse error, stray '}'"
    client.send_raw(b'{"execute": "query-version", "id": 1, "extra": 2}')
    reply = client.reply()
    assert reply["id"] == 1 and reply["error"]["desc"] == "QMP input member 'extra' is unexpected"
    client.send_raw(b'{"execute": "echo-list"}{"execute": "echo-list"}\n')
    assert client.reply() == client.reply() == {"return": []}


def test_a_message_split_in_tiny_pieces_is_read(corrald: StartCorrald) -> None:
    client = corrald().client()
    for byte in b'{"execute": "echo-list", "id": "slow"}':
        client.send_raw(bytes([byte]))
    assert client.reply() == {"return": [], "id": "slow"}


def test_an_oversized_message_is_refused_and_the_connection_survives(
        corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo"]\nmax_message_bytes = 4096\n')
    client = daemon.client()
    client.send_raw(b'{"execute": "echo-set", "arguments": {"key": "' + b"k" * 100_000 + b'"')
    error = client.reply()["error"]
    assert "larger than the limit of 4096 bytes" in error["desc"]
    assert error["data"]["code"] == ErrorCode.RPC
    client.send_raw(b', "value": 1}}')  # the end of the skipped message
    assert client.call("echo-list") == []
    assert not (daemon.state / "echo-effects.log").exists()


def test_truncated_input_then_hang_up(corrald: StartCorrald) -> None:
    daemon = corrald()
    client = daemon.client()
    client.send_raw(b'{"execute": "echo-set", "arguments": {"key": "a", "val')
    client.sock.shutdown(socket.SHUT_WR)
    assert "ended inside a message" in client.reply()["error"]["desc"]
    alive(daemon)


def test_a_client_that_disconnects_mid_command(corrald: StartCorrald) -> None:
    daemon = corrald()
    client = daemon.client()
    client.send({"execute": "echo-sleep", "arguments": {"seconds": 0.5}})
    time.sleep(0.1)
    client.close()
    alive(daemon)
    time.sleep(0.6)  # the reply is computed for nobody, and dropped
    alive(daemon)


def test_a_half_closed_client_still_gets_its_replies(corrald: StartCorrald) -> None:
    client = corrald().client()
    client.send({"execute": "echo-sleep", "arguments": {"seconds": 0.2}, "id": 1})
    client.sock.shutdown(socket.SHUT_WR)
    assert client.reply() == {"return": {"slept": 0.2}, "id": 1}
    assert client.sock.recv(10) == b""


def test_max_clients_refuses_the_next_client_with_a_reason(corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo"]\nmax_clients = 2\n')
    first, _second = daemon.client(), daemon.client("ro")
    with socket.socket(socket.AF_UNIX) as extra:
        extra.settimeout(10)
        extra.connect(str(daemon.socket_path()))
        refusal = json.loads(extra.recv(4096))
        assert extra.recv(10) == b""  # and then hung up
    assert "Too many clients: 2 are connected (max_clients = 2)" in refusal["error"]["desc"]
    assert refusal["error"]["data"]["code"] == ErrorCode.RESOURCE_BUSY
    assert daemon.client("admin").call("query-server")["clients"] == 2  # admin counts apart
    first.close()
    daemon.clients.remove(first)
    deadline = time.monotonic() + 10
    while True:  # the freed place is taken once corrald has seen the hang-up
        try:
            QmpTestClient(daemon.socket_path()).close()
            break
        except (EOFError, AssertionError):
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_max_client_requests_refuses_the_extra_request_at_once(corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo"]\nmax_client_requests = 2\n')
    client = daemon.client()
    for id_ in (1, 2):
        client.send({"execute": "echo-sleep", "arguments": {"seconds": 1.0}, "id": id_})
    started = time.monotonic()
    client.send({"execute": "echo-list", "id": 3})
    refused = client.reply()
    assert time.monotonic() - started < 0.9, "refused at once, not after a wait"
    assert refused["id"] == 3 and refused["error"]["data"]["code"] == ErrorCode.RESOURCE_BUSY
    assert "max_client_requests = 2" in refused["error"]["desc"]
    assert sorted(client.reply()["id"] for _ in range(2)) == [1, 2]
    assert client.call("echo-list") == []  # and the client may go on
    assert daemon.client().call("echo-list") == []  # another client never was limited


def test_a_flood_of_pipelined_requests_from_many_clients(corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo"]\nmax_client_requests = 1000\n')
    clients = [daemon.client() for _ in range(20)]
    for client in clients:
        client.send_raw(b"".join(json.dumps({"execute": "echo-get", "arguments": {"key": "x"},
                                             "id": i}).encode() for i in range(50)))
    for client in clients:
        ids = sorted(client.reply()["id"] for _ in range(50))
        assert ids == list(range(50))


def _fuzz_messages(rng: random.Random, count: int) -> list[bytes]:
    names = ["echo-set", "echo-get", "echo-list", "query-version", "qmp_capabilities",
             "query-commands", "nothing", "echo-sleep"]
    values: list[object] = [None, True, 0, -1, 2**70, 1.5, "", "x" * 50, [], {}, [1, "a"],
                            {"k": [None]}]
    messages = []
    for _ in range(count):
        kind = rng.randrange(5)
        if kind == 0:
            messages.append(bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 40))))
            messages.append(b"\n\x00")  # QMP's recovery after random bytes
            continue
        message: dict[str, object] = {"execute": rng.choice(names + values[:3])}
        if kind >= 2:
            message["arguments"] = {rng.choice(["key", "value", "tags", "seconds", "z"]):
                                    rng.choice(values) for _ in range(rng.randrange(4))}
        if kind == 3:
            message["id"] = rng.choice(values)
        if kind == 4:
            message[rng.choice(["bogus", "exec-oob", "arguments"])] = rng.choice(values)
        if message.get("execute") == "echo-sleep":
            message["arguments"] = {"seconds": "no"}  # a wrong type: never a real sleep
        messages.append(json.dumps(message).encode())
    return messages


def _fuzz_round(daemon: Corrald, rng: random.Random, count: int) -> None:
    client = QmpTestClient(daemon.socket_path(), negotiate=rng.random() < 0.9)
    client.reader.max_message_bytes = None
    client.sock.settimeout(30)
    for start in range(0, count, 100):
        client.send_raw(b" ".join(_fuzz_messages(rng, 100)))
        client.send_raw(b"\n\x00")
        if start % 1000 == 0:
            client.send({"execute": "qmp_capabilities"})
        _drain_loose(client)
    client.close()


def _drain_loose(client: QmpTestClient) -> None:
    # Replies to random input are not checked one by one; the daemon must still answer.
    client.send_raw(b'\n\x00{"execute": "query-version", "id": "sync"}')
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.reply().get("id") == "sync":
            return
    raise AssertionError("corrald stopped answering")


def _settled_fds(daemon: Corrald, admin: QmpTestClient) -> int:
    """The daemon's descriptor count once it has seen every test client hang up."""
    deadline = time.monotonic() + 10
    while admin.call("query-server")["clients"] and time.monotonic() < deadline:
        time.sleep(0.02)
    return daemon.fd_count()


@pytest.mark.slow
def test_fuzz_a_hundred_thousand_messages_with_fds_and_memory_flat(
        corrald: StartCorrald) -> None:
    daemon = corrald('drivers = ["echo"]\nmax_client_requests = 1000\n')
    admin = daemon.client("admin")  # open throughout: its one descriptor is in every count
    rng = random.Random(2024)
    for _ in range(2):
        _fuzz_round(daemon, rng, 1000)  # warm up caches and allocator pools
    fds, rss = _settled_fds(daemon, admin), daemon.rss_kib()
    samples = []
    for _ in range(14):  # 98,000 more (100,000 in all), a fresh connection every 1,000
        for _ in range(7):
            _fuzz_round(daemon, rng, 1000)
        assert admin.call("query-version")  # still answering
        samples.append((_settled_fds(daemon, admin), daemon.rss_kib()))
    assert [fd for fd, _ in samples] == [fds] * 14
    growth = [kib - rss for _, kib in samples]
    assert max(growth) < 8 * 1024, (rss, growth)
    # Flat, not merely small: the second half grows no more than noise (a leak of a few
    # dozen bytes per message would add megabytes there).
    assert samples[-1][1] - samples[6][1] < 2 * 1024, (rss, growth)
    assert daemon.process.poll() is None
