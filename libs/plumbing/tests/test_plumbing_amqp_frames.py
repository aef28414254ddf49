"""The RPC messages' frames written and read by hand, against py-amqp's own encoder and
decoder (`tests/amqp_wire.py`)."""

from __future__ import annotations

import amqp
import pytest
from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps
from amqp_wire import frames_in, methods_in
from loconomics_plumbing import amqp_frames

FRAME_MAX = 131072
HEADERS = {"nameko.user_id": "member-7", "nameko.roles": ["client", "professional"]}
PROPERTIES = {
    "content_type": "application/json",
    "content_encoding": "utf-8",
    "application_headers": HEADERS,
    "delivery_mode": 1,
    "correlation_id": "c0ffee",
    "reply_to": "amq.rabbitmq.reply-to.g1h2",
}


def request(body: bytes = b'{"args": [], "kwargs": {"n": 1}}', frame_max: int = FRAME_MAX):
    return amqp_frames.publish(
        3,
        frame_max,
        "nameko-rpc",
        "profiles.get_professional",
        body,
        mandatory=True,
        content_type="application/json",
        content_encoding="utf-8",
        headers=HEADERS,
        delivery_mode=1,
        correlation_id="c0ffee",
        reply_to="amq.rabbitmq.reply-to.g1h2",
    )


class Written:
    """A py-amqp connection's stand-in for `frame_writer`: what it writes, kept."""

    def __init__(self, frame_max: int = FRAME_MAX):
        self.frame_max = frame_max
        self.bytes_sent = 0
        self.data = b""

    def write(self, data) -> None:
        self.data += bytes(data)


def by_py_amqp(method, arguments: bytes, message: amqp.Message | None, channel: int = 3,
               frame_max: int = FRAME_MAX) -> bytes:
    written = Written(frame_max)
    frame_writer(written, written)(1, channel, method, arguments, message)
    return written.data


def test_a_request_is_what_py_amqp_itself_writes_byte_for_byte():
    body = b'{"args": [], "kwargs": {"n": 1}}'
    arguments = dumps("Bssbb", (0, "nameko-rpc", "profiles.get_professional", True, False))
    message = amqp.Message(body, **PROPERTIES)
    assert request(body) == by_py_amqp(spec.Basic.Publish, arguments, message)


def test_a_request_reads_back_as_sent():
    ((channel, method, arguments, content),) = methods_in(request(b"{}"))
    assert (channel, method) == (3, spec.Basic.Publish)
    assert arguments == [0, "nameko-rpc", "profiles.get_professional", True, False]
    assert content.properties == PROPERTIES
    assert content.body == b"{}"


def test_a_body_larger_than_a_frame_is_cut_into_frames_of_at_most_frame_max():
    body = bytes(range(256)) * 40  # 10,240 bytes
    data = request(body, frame_max=4096)
    assert [len(payload) + 8 for kind, _, payload in frames_in(data) if kind == 3] == [
        4096, 4096, 10240 - 2 * 4088 + 8,
    ]
    assert methods_in(data)[0][3].body == body
    arguments = dumps("Bssbb", (0, "nameko-rpc", "profiles.get_professional", True, False))
    message = amqp.Message(body, **PROPERTIES)
    assert data == by_py_amqp(spec.Basic.Publish, arguments, message, frame_max=4096)


def test_an_empty_body_has_no_body_frame_and_only_the_properties_given_are_sent():
    data = amqp_frames.publish(1, FRAME_MAX, "", "amq.rabbitmq.reply-to.x", b"",
                               correlation_id="c1")
    assert [kind for kind, _, _ in frames_in(data)] == [1, 2]
    ((_, _, arguments, content),) = methods_in(data)
    assert arguments == [0, "", "amq.rabbitmq.reply-to.x", False, False]
    assert content.properties == {"correlation_id": "c1"} and len(content.body) == 0


def test_a_short_string_over_255_bytes_is_refused_not_cut():
    with pytest.raises(ValueError, match="255 bytes"):
        amqp_frames.publish(1, FRAME_MAX, "", "é" * 128, b"")


def test_an_ack_is_what_py_amqp_writes():
    data = amqp_frames.ack(2, 2**40 + 7)
    assert data == by_py_amqp(spec.Basic.Ack, dumps("Lb", (2**40 + 7, False)), None, channel=2)
    assert methods_in(data) == [(2, spec.Basic.Ack, [2**40 + 7, False], None)]


# deliveries


def delivery(body: bytes, channel: int = 1, frame_max: int = FRAME_MAX, **properties) -> bytes:
    arguments = dumps("sLbss", ("ctag-1", 42, True, "nameko-rpc", "profiles.ping"))
    return by_py_amqp(spec.Basic.Deliver, arguments,
                      amqp.Message(body, **(properties or PROPERTIES)), channel, frame_max)


class Channel:
    def __init__(self, auto_decode: bool = True):
        self.is_closing = False
        self.auto_decode = auto_decode
        self.delivered: list[tuple] = []

    def _on_basic_deliver(self, *arguments) -> None:
        self.delivered.append(arguments)


class Transport:
    def __init__(self, buffered: bytes):
        self._read_buffer = buffered


class Connection:
    def __init__(self, buffered: bytes, channels: dict):
        self.transport = Transport(buffered)
        self.channels = channels
        self.bytes_recv = 0


def arriving(data: bytes, channel: Channel, more: bytes = b"", number: int = 1, missing: int = 0):
    """The connection once the delivery's method frame was read, the rest buffered (but for
    its last `missing` bytes)."""
    first = frames_in(data)[0]
    rest = data[8 + len(first[2]) : len(data) - missing] + more
    return Connection(rest, {number: channel}), first


def test_a_delivery_at_hand_is_handed_over_as_py_amqp_would_and_the_rest_stays_buffered():
    body = b'{"args": [], "kwargs": {}}'
    following = amqp_frames.ack(1, 1)  # whatever comes next is left for the next read
    channel = Channel()
    connection, frame = arriving(delivery(body), channel, more=following)
    assert amqp_frames.take_delivery(connection, frame) is True
    ((*arguments, message),) = channel.delivered
    assert arguments == ["ctag-1", 42, True, "nameko-rpc", "profiles.ping"]
    assert message.properties == PROPERTIES
    assert message.body == body.decode()  # py-amqp decodes a body with a content encoding
    assert connection.transport._read_buffer == following
    assert connection.bytes_recv == 3


def test_a_delivery_over_several_body_frames_is_put_together():
    body = b"x" * 5000
    channel = Channel(auto_decode=False)
    connection, frame = arriving(delivery(body, frame_max=2048), channel)
    assert amqp_frames.take_delivery(connection, frame) is True
    assert channel.delivered[0][-1].body == body  # bytes: the channel does not decode
    assert connection.transport._read_buffer == b""
    assert connection.bytes_recv == 1 + 1 + 3


def test_a_body_that_does_not_decode_stays_bytes():
    channel = Channel()
    connection, frame = arriving(delivery(b"\xff\xfe", content_encoding="utf-8"), channel)
    assert amqp_frames.take_delivery(connection, frame) is True
    assert channel.delivered[0][-1].body == b"\xff\xfe"


@pytest.mark.parametrize("cut", [1, 9, 30])
def test_a_delivery_not_fully_arrived_is_left_to_py_amqp_untouched(cut):
    channel = Channel()
    data = delivery(b'{"args": [], "kwargs": {}}')
    connection, frame = arriving(data, channel, missing=cut)
    before = connection.transport._read_buffer
    assert amqp_frames.take_delivery(connection, frame) is False
    assert connection.transport._read_buffer == before
    assert channel.delivered == [] and connection.bytes_recv == 0


def test_other_methods_closing_or_unknown_channels_and_interleaved_frames_are_left_to_py_amqp():
    data = delivery(b"{}")
    channel = Channel()
    # another method
    ack = frames_in(amqp_frames.ack(1, 5))[0]
    assert amqp_frames.take_delivery(Connection(b"", {1: channel}), ack) is False
    # a channel py-amqp does not know, or one closing
    connection, frame = arriving(data, channel, number=2)
    assert amqp_frames.take_delivery(connection, frame) is False
    channel.is_closing = True
    connection, frame = arriving(data, channel)
    assert amqp_frames.take_delivery(connection, frame) is False
    # the header that follows is another channel's
    channel.is_closing = False
    other = delivery(b"{}", channel=5)
    frame = frames_in(data)[0]
    connection = Connection(other[8 + len(frames_in(other)[0][2]) :], {1: channel})
    assert amqp_frames.take_delivery(connection, frame) is False
    assert channel.delivered == []
