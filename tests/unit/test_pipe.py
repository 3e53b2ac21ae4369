"""The helpers' wire format as the window's supervisor reads it: messages cut out of a byte
stream however it arrives, raw bytes after a line that announces them, and garbage skipped
with a reason instead of trusted."""

from __future__ import annotations

from typing import Any

from ecan.pipe import Frame, Framer, Garbled, encode_line


def pixels(message: dict[str, Any]) -> int:
    return int(message.get("n", 0))


def test_messages_and_payloads_arrive_whole_however_the_bytes_are_cut() -> None:
    stream = (encode_line({"id": 1}) + encode_line({"id": 2, "n": 5})).encode() + b"ABCDE" \
        + encode_line({"id": 3}).encode()
    framer = Framer(pixels)
    got: list[Frame | Garbled] = []
    for i in range(len(stream)):  # one byte at a time: the worst a pipe can do
        got += framer.feed(stream[i:i + 1])
    assert got == [Frame({"id": 1}), Frame({"id": 2, "n": 5}, b"ABCDE"), Frame({"id": 3})]


def test_garbage_is_skipped_with_a_reason_and_the_stream_goes_on() -> None:
    framer = Framer(pixels, max_line=64)
    got = list(framer.feed(b'hello\n[1, 2]\n{"n": "x"}\n' + b"y" * 100))
    got += framer.feed(encode_line({"id": 4}).encode())
    assert [type(g).__name__ for g in got] == ["Garbled"] * 4 + ["Frame"]
    assert "without a line end" in got[3].why  # type: ignore[union-attr]
    assert got[-1] == Frame({"id": 4})


def test_a_new_process_starts_a_new_stream() -> None:
    framer = Framer(pixels)
    assert list(framer.feed(encode_line({"n": 10}).encode() + b"half")) == []
    framer.reset()
    assert list(framer.feed(encode_line({"id": 1}).encode())) == [Frame({"id": 1})]
