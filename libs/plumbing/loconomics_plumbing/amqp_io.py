"""AMQP connections for the RPC paths: chunked reads, and deliveries taken in one step.

py-amqp reads every frame with three `recv` calls (its 7-byte header, its payload, its end
byte), so one RPC message (method, header and body frames) costs nine system calls on each
side, and under eventlet each of them is also a trip through the green socket. This reader
asks the socket for whatever has arrived, up to 64 KiB, and serves the frames from that
buffer: usually one `recv` per message. Frames, their order and every error are py-amqp's
own; TLS connections keep py-amqp's reader.

A delivery whose frames are all in that buffer is taken in one step (`amqp_frames`), not
through py-amqp's frame handlers; any other frame goes to py-amqp as before.

`connection(uri, ...)` is a kombu `Connection` reading this way, for the RPC paths (the
services' RPC listener and the gateway's client). Publishing on it never reads (see below).
"""

from __future__ import annotations

import errno

import amqp
from amqp.transport import SSLTransport, TCPTransport
from kombu import Connection
from kombu.transport import pyamqp

from . import amqp_frames

CHUNK = 65536
# RabbitMQ's pseudo-queue for replies straight to the calling channel (no reply queue)
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


class ChunkedTCPTransport(TCPTransport):
    def _read(self, n, initial=False, _errnos=(errno.EAGAIN, errno.EINTR)):
        """py-amqp's `_read`, asking the socket for all it has instead of exactly `n` bytes."""
        rbuf = self._read_buffer
        if len(rbuf) < n:
            recv = self._quick_recv
            try:
                while len(rbuf) < n:
                    try:
                        chunk = recv(max(n - len(rbuf), CHUNK))
                    except OSError as exc:
                        if exc.errno in _errnos:
                            if initial and self.raise_on_initial_eintr:
                                raise TimeoutError() from None
                            continue
                        raise
                    if not chunk:
                        raise OSError("Server unexpectedly closed connection")
                    rbuf += chunk
            except BaseException:
                self._read_buffer = rbuf
                raise
        result, self._read_buffer = rbuf[:n], rbuf[n:]
        return result


class ChunkedConnection(amqp.Connection):
    # Publishing never reads. With `connection.blocked` negotiated, py-amqp drains the socket
    # (with no wait) before every publish to look for a "blocked" notice: a wasted system
    # call per message, and it makes every worker that replies a second reader of a socket
    # the consume loop is reading, which can take frames from under it. A broker that blocks
    # publishers still does; the publish then waits on the socket, within its timeout.
    negotiate_capabilities = {**amqp.Connection.negotiate_capabilities, "connection.blocked": False}

    def blocking_read(self, timeout=None):
        """py-amqp's, with a delivery that has fully arrived taken in one step."""
        with self.transport.having_timeout(timeout):
            frame = self.transport.read_frame()
        if isinstance(self.transport, ChunkedTCPTransport) and amqp_frames.take_delivery(
            self, frame
        ):
            return True
        return self.on_inbound_frame(frame)

    def Transport(  # py-amqp names it so
        self,
        host,
        connect_timeout,
        ssl=False,
        read_timeout=None,
        write_timeout=None,
        socket_settings=None,
        **kwargs,
    ):
        transport = SSLTransport if ssl else ChunkedTCPTransport
        return transport(
            host,
            connect_timeout=connect_timeout,
            ssl=ssl,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            socket_settings=socket_settings,
            **kwargs,
        )


class ChunkedKombuTransport(pyamqp.Transport):
    Connection = ChunkedConnection


def connection(uri: str, **options) -> Connection:
    """A kombu Connection like `Connection(uri, **options)`, reading through the chunked reader."""
    made = Connection(uri, **options)
    if made.transport_cls in (None, "amqp", "pyamqp"):
        made.transport_cls = ChunkedKombuTransport
    return made
