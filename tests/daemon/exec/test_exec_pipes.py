"""The seed's pipe handles: guest-pipe-open, handle-stdin/-stdout/-stderr, guest-file-*."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import pytest
from corral.core import CorralError, ErrorCode


async def read_all(service: Any, kit: Any, handle: int, within: float = 20.0) -> bytes:
    """guest-file-read until eof, as a client polling the daemon would."""
    data = b""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        chunk = await service.guest_file_read(handle=handle, count=65536)
        assert chunk["count"] == len(kit.unb64(chunk["buf-b64"]))
        data += kit.unb64(chunk["buf-b64"])
        if chunk["eof"]:
            return data
        if not chunk["count"]:
            await asyncio.sleep(0.002)
    raise AssertionError("no eof on the pipe")


def test_the_seeds_example_id_into_a_pipe(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[int, bytes, dict[str, Any]]:
        handle = await service.guest_pipe_open(mode="r")
        pid = (await service.guest_exec(path="echo", arg=["user"],
                                        handle_stdout=handle))["pid"]
        data = await read_all(service, kit, handle)
        status = await kit.finished(service, pid)
        assert await service.guest_file_close(handle=handle) == {}
        return handle, data, status

    handle, data, status = kit.serve(test)
    assert handle == 1000 and data == b"user\n"
    assert status == {"exited": True, "exitcode": 0}  # nothing captured: no out-data


def test_streaming_both_ways_through_cat(kit: Any) -> None:
    chunks = [os.urandom(size) for size in (1, 1000, 70_000, 200_000, 5)]

    async def test(service: Any, events: Any) -> tuple[bytes, dict[str, Any]]:
        into = await service.guest_pipe_open(mode="w")
        out_of = await service.guest_pipe_open(mode="r")
        pid = (await service.guest_exec(path="cat", handle_stdin=into,
                                        handle_stdout=out_of))["pid"]
        received = b""
        for chunk in chunks:
            sent = 0
            while sent < len(chunk):  # a full pipe takes less: write the rest later
                done = await service.guest_file_write(handle=into,
                                                      buf_b64=kit.b64(chunk[sent:]))
                assert done["eof"] is False
                sent += done["count"]
                got = await service.guest_file_read(handle=out_of, count=1 << 20)
                received += kit.unb64(got["buf-b64"])
                if not done["count"]:
                    await asyncio.sleep(0.001)
        await service.guest_file_close(handle=into)  # cat reads EOF and exits
        received += await read_all(service, kit, out_of)
        return received, await kit.finished(service, pid)

    received, status = kit.serve(test)
    assert received == b"".join(chunks) and status == {"exited": True, "exitcode": 0}


def test_stdout_and_stderr_may_share_one_pipe(kit: Any) -> None:
    code = "import sys; print('o', flush=True); print('e', file=sys.stderr, flush=True)"

    async def test(service: Any, events: Any) -> bytes:
        handle = await service.guest_pipe_open(mode="r")
        await service.guest_exec(path=sys.executable, arg=["-c", code],
                                 handle_stdout=handle, handle_stderr=handle)
        return await read_all(service, kit, handle)

    assert kit.serve(test) == b"o\ne\n"


def test_a_stderr_pipe_next_to_captured_stdout(kit: Any) -> None:
    code = "import sys; print('o'); print('e', file=sys.stderr)"

    async def test(service: Any, events: Any) -> tuple[bytes, dict[str, Any]]:
        handle = await service.guest_pipe_open(mode="r")
        pid = (await service.guest_exec(path=sys.executable, arg=["-c", code],
                                        capture_output="stdout", handle_stderr=handle))["pid"]
        return await read_all(service, kit, handle), await kit.finished(service, pid)

    err, status = kit.serve(test)
    assert err == b"e\n" and kit.unb64(status["out-data"]) == b"o\n"
    assert "err-data" not in status


def test_read_count_and_partial_reads(kit: Any) -> None:
    async def test(service: Any, events: Any) -> list[dict[str, Any]]:
        handle = await service.guest_pipe_open(mode="r")
        before = await service.guest_file_read(handle=handle)  # nothing yet, no writer gone
        pid = (await service.guest_exec(path="printf", arg=["abcdef"],
                                        handle_stdout=handle))["pid"]
        await kit.finished(service, pid)
        return [before, await service.guest_file_read(handle=handle, count=4),
                await service.guest_file_read(handle=handle, count=0),
                await service.guest_file_read(handle=handle),
                await service.guest_file_read(handle=handle)]

    before, first, empty, rest, after = kit.serve(test)
    assert before == {"count": 0, "buf-b64": "", "eof": False}
    assert first == {"count": 4, "buf-b64": kit.b64(b"abcd"), "eof": False}
    assert empty == {"count": 0, "buf-b64": "", "eof": False}
    assert rest == {"count": 2, "buf-b64": kit.b64(b"ef"), "eof": True}
    assert after == {"count": 0, "buf-b64": "", "eof": True}


def test_write_count_and_a_closed_reader(kit: Any) -> None:
    async def test(service: Any, events: Any) -> tuple[bytes, CorralError]:
        into = await service.guest_pipe_open(mode="w")
        out_of = await service.guest_pipe_open(mode="r")
        pid = (await service.guest_exec(path="cat", handle_stdin=into,
                                        handle_stdout=out_of))["pid"]
        assert (await service.guest_file_write(handle=into, buf_b64=kit.b64(b"abcdef"),
                                               count=2))["count"] == 2
        await service.guest_file_close(handle=into)
        data = await read_all(service, kit, out_of)
        await kit.finished(service, pid)
        late = await service.guest_pipe_open(mode="w")
        gone = (await service.guest_exec(path="true", handle_stdin=late))["pid"]
        await kit.finished(service, gone)
        with pytest.raises(CorralError) as caught:
            await service.guest_file_write(handle=late, buf_b64=kit.b64(b"x"))
        return data, caught.value

    data, error = kit.serve(test)
    assert data == b"ab"
    assert error.code == ErrorCode.OPERATION_FAILED and "Broken pipe" in str(error)


async def _wrong_mode_for_stdin(service: Any) -> None:
    await service.guest_exec(path="true", handle_stdin=await service.guest_pipe_open(mode="r"))


async def _wrong_mode_for_stdout(service: Any) -> None:
    await service.guest_exec(path="true", handle_stdout=await service.guest_pipe_open(mode="w"))


async def _used_twice(service: Any) -> None:
    handle = await service.guest_pipe_open(mode="r")
    await service.guest_exec(path="true", handle_stdout=handle)
    await service.guest_exec(path="true", handle_stdout=handle)


async def _clash_with_capture(service: Any) -> None:
    handle = await service.guest_pipe_open(mode="r")
    await service.guest_exec(path="true", handle_stdout=handle, capture_output="merged")


async def _stderr_clash_with_merged(service: Any) -> None:
    handle = await service.guest_pipe_open(mode="r")
    await service.guest_exec(path="true", handle_stderr=handle, capture_output="merged")


async def _clash_with_input(service: Any) -> None:
    handle = await service.guest_pipe_open(mode="w")
    await service.guest_exec(path="true", handle_stdin=handle, input_data="")


async def _unknown_handle(service: Any) -> None:
    await service.guest_file_read(handle=4242)


async def _closed_handle(service: Any) -> None:
    handle = await service.guest_pipe_open(mode="r")
    await service.guest_file_close(handle=handle)
    await service.guest_file_close(handle=handle)


async def _read_a_write_pipe(service: Any) -> None:
    await service.guest_file_read(handle=await service.guest_pipe_open(mode="w"))


async def _write_a_read_pipe(service: Any) -> None:
    await service.guest_file_write(handle=await service.guest_pipe_open(mode="r"), buf_b64="")


async def _bad_mode(service: Any) -> None:
    await service.guest_pipe_open(mode="rw")


async def _bad_b64(service: Any) -> None:
    await service.guest_file_write(handle=await service.guest_pipe_open(mode="w"),
                                   buf_b64="%%%")


async def _count_over_length(service: Any) -> None:
    await service.guest_file_write(handle=await service.guest_pipe_open(mode="w"),
                                   buf_b64="QUJD", count=4)


async def _read_count_too_big(service: Any) -> None:
    await service.guest_file_read(handle=await service.guest_pipe_open(mode="r"),
                                  count=48 * 1024 * 1024 + 1)


async def _too_many_pipes(service: Any) -> None:
    for _ in range(3):
        await service.guest_pipe_open(mode="r")


@pytest.mark.parametrize(("call", "code", "text"), [
    (_wrong_mode_for_stdin, ErrorCode.INVALID_ARG, "stdin needs mode 'w'"),
    (_wrong_mode_for_stdout, ErrorCode.INVALID_ARG, "stdout needs mode 'r'"),
    (_used_twice, ErrorCode.OPERATION_INVALID, "already attached to the exec with pid"),
    (_clash_with_capture, ErrorCode.INVALID_ARG, "'handle-stdout' and 'capture-output'"),
    (_stderr_clash_with_merged, ErrorCode.INVALID_ARG, "'handle-stderr' and 'capture-output'"),
    (_clash_with_input, ErrorCode.INVALID_ARG, "'handle-stdin' and 'input-data'"),
    (_unknown_handle, ErrorCode.INVALID_ARG, "no open pipe handle 4242"),
    (_closed_handle, ErrorCode.INVALID_ARG, "no open pipe handle 1000"),
    (_read_a_write_pipe, ErrorCode.OPERATION_INVALID, "open for writing"),
    (_write_a_read_pipe, ErrorCode.OPERATION_INVALID, "open for reading"),
    (_bad_mode, ErrorCode.INVALID_ARG, "must be 'r' or 'w'"),
    (_bad_b64, ErrorCode.INVALID_ARG, "'buf-b64' is not valid base64"),
    (_count_over_length, ErrorCode.INVALID_ARG, "out of range (0 to 3"),
    (_read_count_too_big, ErrorCode.INVALID_ARG, "out of range"),
    (_too_many_pipes, ErrorCode.RESOURCE_BUSY, "2 pipe handles are open"),
], ids=lambda value: getattr(value, "__name__", None))
def test_pipe_errors(kit: Any, call: Any, code: ErrorCode, text: str) -> None:
    async def test(service: Any, events: Any) -> CorralError:
        with pytest.raises(CorralError) as caught:
            await call(service)
        return caught.value

    error = kit.serve(test, max_pipes=2)
    assert error.code == code and error.domain == "daemon", error
    assert text in str(error)


def test_a_refused_exec_leaves_its_handles_free(kit: Any) -> None:
    async def test(service: Any, events: Any) -> bytes:
        handle = await service.guest_pipe_open(mode="r")
        with pytest.raises(CorralError):
            await service.guest_exec(path="/no/such/program", handle_stdout=handle)
        await service.guest_exec(path="echo", arg=["second try"], handle_stdout=handle)
        return await read_all(service, kit, handle)

    assert kit.serve(test) == b"second try\n"


def test_close_closes_every_pipe(kit: Any) -> None:
    async def test(service: Any, events: Any) -> int:
        before = kit.open_fds()
        for mode in ("r", "w", "r"):
            await service.guest_pipe_open(mode=mode)
        assert kit.open_fds() == before + 6
        await service.close()
        return kit.open_fds() - before

    assert kit.serve(test) == 0
