"""MessageReader: any JSON stream cut into messages; bad ones cost only themselves."""

from __future__ import annotations

import json
import random

import pytest
from corral.core import ErrorCode, ProtocolError
from corral.core.protocol import MAX_DEPTH, Frame, MessageReader, encode


def values(frames: list[Frame]) -> list[object]:
    assert all(frame.error is None for frame in frames), [f.error for f in frames]
    return [frame.value for frame in frames]


def errors(frames: list[Frame]) -> list[str]:
    return [str(frame.error) for frame in frames if frame.error is not None]


def test_objects_back_to_back_without_newlines() -> None:
    reader = MessageReader()
    assert values(reader.feed(b'{"a": 1}{"b": [2, {"c": "}"}]}  {"d": "\\""}\r\n')) == [
        {"a": 1}, {"b": [2, {"c": "}"}]}, {"d": '"'}]


def test_one_object_over_many_reads_byte_by_byte() -> None:
    message = json.dumps({"execute": "x", "arguments": {"s": 'a"b\\c{[', "n": [1, 2]}})
    reader = MessageReader()
    frames: list[Frame] = []
    for byte in message.encode():
        frames += reader.feed(bytes([byte]))
        if len(frames) == 0:
            assert reader.pending
    assert values(frames) == [json.loads(message)]
    assert not reader.pending


def test_every_split_of_a_stream_gives_the_same_messages() -> None:
    stream = b'{"a": "x\\\\"} ["\\u00e9", 1]\n"s" {"k": {"n": null}}'
    expected = [{"a": "x\\"}, ["é", 1], "s", {"k": {"n": None}}]
    for cut in range(len(stream) + 1):
        reader = MessageReader()
        frames = reader.feed(stream[:cut]) + reader.feed(stream[cut:]) + reader.close()
        assert values(frames) == expected, cut


def test_a_parse_error_is_reported_and_the_next_message_read() -> None:
    frames = MessageReader().feed(b'{"a" 1}{"ok": true}')
    assert "JSON parse error" in str(frames[0].error)
    assert frames[0].error is not None and frames[0].error.code == ErrorCode.RPC
    assert frames[1].value == {"ok": True}


@pytest.mark.parametrize("garbage", [b"hello ", b"}", b"]", b"NaN ", b"1e99999999 ",
                                     b'{"n": Infinity}', b"\xc3\x28 ", b'{"a": "\xff"}',
                                     b'{"a": "\xc3\x28"}', b'{"a": 1]'])
def test_garbage_is_an_error_and_the_stream_goes_on(garbage: bytes) -> None:
    # A peer that lost track sends a control character, then a fresh message (QMP's rule).
    reader = MessageReader()
    frames = reader.feed(garbage + b'\n\x00{"after": 1}') + reader.close()
    assert frames[-1].value == {"after": 1}
    assert [frame for frame in frames[:-1] if frame.error is not None]


def test_a_scalar_at_the_end_of_the_stream_is_read_at_close() -> None:
    reader = MessageReader()
    assert reader.feed(b"12") == []
    assert values(reader.close()) == [12]


def test_a_control_character_between_messages_resynchronises_silently() -> None:
    frames = MessageReader().feed(b'\xff\x00\x1b{"a": 1}')
    assert values(frames) == [{"a": 1}]


def test_a_control_character_inside_a_message_cuts_it() -> None:
    frames = MessageReader().feed(b'{"a": [1, \x00{"b": 2}')
    assert errors(frames) == ["JSON parse error, a control character cut the message short"]
    assert frames[1].value == {"b": 2}


def test_truncated_input_is_reported_at_close() -> None:
    reader = MessageReader()
    assert reader.feed(b'{"execute": "query-') == []
    frames = reader.close()
    assert "ended inside a message" in errors(frames)[0]


def test_an_oversized_message_is_refused_skipped_and_not_held() -> None:
    reader = MessageReader(max_message_bytes=1000)
    frames = reader.feed(b'{"big": "' + b"x" * 5000)
    assert len(frames) == 1 and isinstance(frames[0].error, ProtocolError)
    assert "larger than the limit of 1000 bytes" in str(frames[0].error)
    assert frames[0].error.detail["limit"] == 1000
    for _ in range(100):  # keeps skipping without growing
        assert reader.feed(b"y" * 10_000) == []
        assert len(reader._buffer) < 2000
    assert values(reader.feed(b'"} {"next": 1}')) == [{"next": 1}]


def test_a_message_just_at_the_limit_is_read() -> None:
    message = b'{"a": "' + b"x" * 93 + b'"}'
    assert len(message) == 102
    assert values(MessageReader(max_message_bytes=102).feed(message)) == [json.loads(message)]
    assert errors(MessageReader(max_message_bytes=101).feed(message))


def test_an_oversized_complete_message_in_one_read_is_refused() -> None:
    frames = MessageReader(max_message_bytes=10).feed(b'{"a": "0123456789"} {"b": 1}')
    assert "larger than the limit" in str(frames[0].error)
    assert frames[1].value == {"b": 1}


def test_nesting_beyond_the_limit_is_refused_and_skipped() -> None:
    deep = b"[" * (MAX_DEPTH + 50) + b"]" * (MAX_DEPTH + 50)
    frames = MessageReader().feed(deep + b' {"ok": 1}')
    assert "nesting deeper than" in errors(frames)[0]
    assert frames[-1].value == {"ok": 1}
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert MessageReader().feed(at_limit)[0].error is None


def test_random_bytes_never_raise_and_the_reader_recovers() -> None:
    rng = random.Random(8)
    reader = MessageReader(max_message_bytes=4096)
    for _ in range(2000):
        reader.feed(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
    reader.feed(b"\x00")  # QMP's recovery: a control character resets the reader
    assert reader.feed(b'{"alive": true}')[-1].value == {"alive": True}


def test_encode_is_ascii_json_ending_in_crlf() -> None:
    assert encode({"return": {"s": "é"}}) == b'{"return": {"s": "\\u00e9"}}\r\n'


@pytest.mark.parametrize("bad", [{"x": b"bytes"}, {"x": {1, 2}}, {"x": float("nan")}])
def test_encode_refuses_what_json_cannot_carry(bad: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as caught:
        encode(bad)
    assert caught.value.code == ErrorCode.INTERNAL_ERROR
