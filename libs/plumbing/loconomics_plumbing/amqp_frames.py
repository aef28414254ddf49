"""The frames of an RPC message, written and read without py-amqp's generic framing.

py-amqp encodes and decodes every method through a format interpreter, and takes a delivery
through three frame handlers, a `Message` under construction and a method dispatch. For the
two messages of every RPC (the request and its reply) that costs more CPU than anything
else in the client and much of the service's (docs/performance.md). Here:

- `publish(...)` gives the bytes of a `basic.publish` with its header and body frames, and
  `ack(...)` those of a `basic.ack`; `send(connection, frames)` writes them in one write;
- `take_delivery(connection, frame)` finishes a `basic.deliver` whose header and body frames
  are already in the reader's buffer and hands it to the channel, as py-amqp would.
  Anything else (another method, a delivery not fully arrived, a channel closing) is left
  to py-amqp, which then reads the rest of it as usual.

The bytes are AMQP 0-9-1's own; tests check them against py-amqp's encoder and decoder.
"""

from __future__ import annotations

import contextlib
from struct import Struct

import amqp
from amqp.serialization import decode_properties_basic, dumps

FRAME_END = 0xCE
_FRAME_END_BYTE = bytes((FRAME_END,))
_FRAME_HEADER = Struct(">BHI")  # type, channel, payload size
_CONTENT_HEADER = Struct(">HHQ")  # class, weight, body size
_PUBLISH = b"\x00\x3c\x00\x28\x00\x00"  # basic.publish, reserved short
_ACK = Struct(">HHQB")  # basic.ack: class, method, delivery tag, multiple
_DELIVER = b"\x00\x3c\x00\x3c"  # basic.deliver
_LONGLONG = Struct(">Q")
METHOD, HEADER, BODY = 1, 2, 3
BASIC = 60


def _shortstr(value: str) -> bytes:
    data = value.encode()
    if len(data) > 255:
        raise ValueError(f"an AMQP short string has at most 255 bytes: {value[:40]!r}…")
    return bytes((len(data),)) + data


def _octet(value: int) -> bytes:
    return bytes((value,))


def _table(value: dict) -> bytes:
    return dumps("F", (value,))


def _frame(kind: int, channel: int, payload: bytes) -> bytes:
    return _FRAME_HEADER.pack(kind, channel, len(payload)) + payload + _FRAME_END_BYTE


def publish(
    channel: int,
    frame_max: int,
    exchange: str,
    routing_key: str,
    body: bytes,
    *,
    mandatory: bool = False,
    content_type: str | None = None,
    content_encoding: str | None = None,
    headers: dict | None = None,
    delivery_mode: int | None = None,
    correlation_id: str | None = None,
    reply_to: str | None = None,
) -> bytes:
    """The frames of `basic.publish` (method, content header, body) as one bytes."""
    # Basic's properties in their order on the wire, each with its flag bit
    given = (
        (0x8000, content_type, _shortstr),
        (0x4000, content_encoding, _shortstr),
        (0x2000, headers or None, _table),
        (0x1000, delivery_mode, _octet),
        (0x0400, correlation_id, _shortstr),
        (0x0200, reply_to, _shortstr),
    )
    flags = 0
    properties = []
    for flag, value, encode in given:
        if value is not None:
            flags |= flag
            properties.append(encode(value))
    method = b"".join(
        (_PUBLISH, _shortstr(exchange), _shortstr(routing_key), b"\x01" if mandatory else b"\x00")
    )
    header = b"".join(
        (_CONTENT_HEADER.pack(BASIC, 0, len(body)), flags.to_bytes(2, "big"), *properties)
    )
    parts = [_frame(METHOD, channel, method), _frame(HEADER, channel, header)]
    room = frame_max - 8  # a frame's header and end byte count in frame_max
    for start in range(0, len(body), room):
        parts.append(_frame(BODY, channel, body[start : start + room]))
    return b"".join(parts)


def ack(channel: int, delivery_tag: int) -> bytes:
    return _frame(METHOD, channel, _ACK.pack(BASIC, 80, delivery_tag, 0))


def send(connection: amqp.Connection, frames: bytes) -> None:
    """Write `frames` on py-amqp's `connection` in one write, counted as py-amqp counts what
    it sends (its heartbeats go out only on a connection that sent nothing lately)."""
    connection.transport.write(frames)
    connection.bytes_sent += 1


def _shortstr_at(buf, offset: int) -> tuple[str, int]:
    end = offset + 1 + buf[offset]
    return bytes(buf[offset + 1 : end]).decode(), end


def take_delivery(connection: amqp.Connection, frame: tuple) -> bool:
    """Deliver `frame` (just read) with its content if it is a whole `basic.deliver` at hand.

    False leaves the frame untouched for py-amqp (`connection.on_inbound_frame`).
    """
    kind, channel_id, payload = frame
    if kind != METHOD or payload[:4] != _DELIVER:
        return False
    channel = connection.channels.get(channel_id) if connection.channels else None
    if channel is None or channel.is_closing:
        return False
    transport = connection.transport
    buffered = transport._read_buffer
    content = _content_at(buffered, channel_id)
    if content is None:
        return False
    properties, body, used, frames = content
    transport._read_buffer = buffered[used:]
    connection.bytes_recv += 1 + frames

    consumer_tag, offset = _shortstr_at(payload, 4)
    (delivery_tag,) = _LONGLONG.unpack_from(payload, offset)
    redelivered = bool(payload[offset + 8] & 1)
    exchange, offset = _shortstr_at(payload, offset + 9)
    routing_key, _ = _shortstr_at(payload, offset)

    encoding = properties.get("content_encoding")
    if encoding and channel.auto_decode:
        # as py-amqp: a body that does not decode stays bytes
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            body = body.decode(encoding)
    message = amqp.Message(body, **properties)
    channel._on_basic_deliver(
        consumer_tag, delivery_tag, redelivered, exchange, routing_key, message
    )
    return True


def _content_at(buffered, channel_id: int) -> tuple[dict, bytes, int, int] | None:
    """(properties, body, bytes used, frames) of the header and body frames at the start of
    `buffered`, if all of them are there and on `channel_id`; else None."""
    size = len(buffered)
    if size < 7:
        return None
    kind, channel, length = _FRAME_HEADER.unpack_from(buffered, 0)
    end = 7 + length
    if kind != HEADER or channel != channel_id or size <= end or buffered[end] != FRAME_END:
        return None
    class_id, _weight, body_size = _CONTENT_HEADER.unpack_from(buffered, 7)
    if class_id != BASIC:
        return None
    properties, _ = decode_properties_basic(buffered, 7 + 12)
    offset = end + 1
    chunks = []
    received = 0
    frames = 1
    while received < body_size:
        if size < offset + 7:
            return None
        kind, channel, length = _FRAME_HEADER.unpack_from(buffered, offset)
        end = offset + 7 + length
        if kind != BODY or channel != channel_id or size <= end or buffered[end] != FRAME_END:
            return None
        chunks.append(bytes(buffered[offset + 7 : end]))
        received += length
        offset = end + 1
        frames += 1
    return properties, b"".join(chunks), offset, frames
