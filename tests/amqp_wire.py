"""What py-amqp reads in bytes meant for an AMQP socket: the broker's view, for tests.

Frames are cut from the bytes and handed to py-amqp's own frame handler, and method
arguments decoded with its own format interpreter, so bytes written by hand are checked
against the reference decoder rather than against themselves.
"""

from __future__ import annotations

from struct import unpack_from

import amqp
from amqp import spec
from amqp.method_framing import frame_handler
from amqp.serialization import loads

# methods followed by a content header and body, in both directions
CONTENT_METHODS = frozenset({spec.Basic.Publish, spec.Basic.Deliver, spec.Basic.Return})
ARGUMENTS = {spec.Basic.Publish: "Bssbb", spec.Basic.Ack: "Lb", spec.Basic.Deliver: "sLbss"}
FRAME_END = 0xCE


def frames_in(data: bytes) -> list[tuple[int, int, bytes]]:
    """(type, channel, payload) of every frame in `data`, which holds whole frames only."""
    found, offset = [], 0
    while offset < len(data):
        kind, channel, size = unpack_from(">BHI", data, offset)
        end = offset + 7 + size
        assert data[end] == FRAME_END, f"frame at {offset} does not end with 0xCE"
        found.append((kind, channel, bytes(data[offset + 7 : end])))
        offset = end + 1
    return found


class _Counts:
    bytes_recv = 0


def methods_in(data: bytes) -> list[tuple[int, tuple, list, amqp.Message | None]]:
    """(channel, method, arguments, content) of every method in `data`, as py-amqp reads them;
    a content's body is left as bytes."""
    seen: list = []

    def method(channel, signature, payload, content):
        seen.append((channel, signature, loads(ARGUMENTS[signature], payload, 4)[0], content))

    on_frame = frame_handler(_Counts(), method, content_methods=CONTENT_METHODS)
    for frame in frames_in(data):
        on_frame(frame)
    return seen
