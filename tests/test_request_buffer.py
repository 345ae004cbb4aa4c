"""The worker's request buffer: when the bytes received make one whole request."""

from __future__ import annotations

from service.web.request_buffer import RequestBuffer, State

HEAD = b"POST /v1/enrich HTTP/1.1\r\nHost: x\r\n"


def _buffer() -> RequestBuffer:
    return RequestBuffer(header_limit=8192, body_limit=1000)


def test_a_body_of_content_length_is_complete_at_its_last_byte():
    buffer = _buffer()
    assert buffer.feed(HEAD) is State.MORE
    assert buffer.feed(b"Content-Length: 10\r\n\r\n12345") is State.MORE
    assert buffer.feed(b"6789") is State.MORE
    assert buffer.feed(b"0") is State.COMPLETE


def test_a_request_without_body_is_complete_after_its_headers():
    assert _buffer().feed(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") is State.COMPLETE


def test_chunks_are_followed_to_the_last_one_and_its_trailers():
    buffer = _buffer()
    assert buffer.feed(HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel") is State.MORE
    assert buffer.feed(b"lo\r\n3;ext=1\r\nabc\r\n") is State.MORE
    assert buffer.feed(b"0\r\n") is State.MORE
    assert buffer.feed(b"X-Trailer: 1\r\n\r\n") is State.COMPLETE


def test_bodies_over_the_limit_and_malformed_framing_are_handed_over_at_once():
    # gunicorn and the app judge these from what is buffered: 413, or 400.
    assert _buffer().feed(HEAD + b"Content-Length: 5000\r\n\r\n") is State.HAND_OFF
    assert _buffer().feed(HEAD + b"Content-Length: x\r\n\r\n") is State.HAND_OFF
    chunked = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    assert _buffer().feed(chunked + b"zz\r\n") is State.HAND_OFF
    assert _buffer().feed(chunked + b"3e9\r\n") is State.HAND_OFF  # 1001 bytes announced
    assert _buffer().feed(b"GET /" + b"a" * 9000) is State.HAND_OFF  # 414 or 431


def test_an_expected_continue_is_answered_once():
    buffer = _buffer()
    head = HEAD + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    assert buffer.feed(head) is State.MORE and buffer.expects_continue
    buffer.continue_sent()
    assert not buffer.expects_continue and b"Expect" not in buffer.data
    assert buffer.feed(b"abc") is State.COMPLETE
    assert bytes(buffer.data).endswith(b"Content-Length: 3\r\n\r\nabc")
