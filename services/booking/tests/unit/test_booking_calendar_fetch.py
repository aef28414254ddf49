"""Reading calendar URLs from a real HTTP server on 127.0.0.1: slow, huge, broken, fine."""

import contextlib
import threading
import time
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from loconomics_booking.calendar_fetch import fetch_calendar
from loconomics_booking.domain.calendar_import import (
    FeedUnavailable,
    read_feed,
    record_import,
    set_import_url,
)
from loconomics_booking.models import BusyInterval, CalendarLink
from sqlalchemy import select

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
GOOD = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n"
    b"DTSTART:20260305T150000Z\r\nDTEND:20260305T160000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
MB = 1024 * 1024


class Feeds(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/calendar")
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route()

    def _route(self) -> None:
        if self.path == "/good.ics":
            self._send(200, GOOD)
        elif self.path == "/broken.ics":
            self._send(200, b"<html>Sign in to see this calendar</html>")
        elif self.path == "/missing.ics":
            self._send(404, b"no")
        elif self.path == "/huge.ics":
            self._send(200, b"X" * (3 * MB))
        elif self.path == "/huge-unannounced.ics":
            self.close_connection = True
            self._send(200, b"X" * (3 * MB), length=False)
        elif self.path == "/moved.ics":
            self.send_response(302)
            self.send_header("Location", "/good.ics")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/loop.ics":
            self.send_response(302)
            self.send_header("Location", "/loop.ics")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/stalled.ics":
            time.sleep(3)
            self._send(200, GOOD)
        elif self.path == "/dripping.ics":
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD) * 100))
            self.end_headers()
            for _ in range(len(GOOD) * 100):
                self.wfile.write(b"B")
                self.wfile.flush()
                time.sleep(0.05)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


local_fetch = partial(fetch_calendar, allow_internal=True)


def test_a_good_feed_is_read(server):
    assert local_fetch(f"{server}/good.ics", 5, 2 * MB) == GOOD


def test_redirects_are_followed_but_not_forever(server):
    assert local_fetch(f"{server}/moved.ics", 5, 2 * MB) == GOOD
    with pytest.raises(FeedUnavailable, match="redirected more than"):
        local_fetch(f"{server}/loop.ics", 5, 2 * MB)


@pytest.mark.parametrize("path", ["/huge.ics", "/huge-unannounced.ics"])
def test_huge_feeds_are_cut_off(server, path):
    with pytest.raises(FeedUnavailable, match="larger than 2048 KiB"):
        local_fetch(f"{server}{path}", 5, 2 * MB)


@pytest.mark.parametrize("path", ["/stalled.ics", "/dripping.ics"])
def test_slow_feeds_give_up_at_the_deadline(server, path):
    began = time.monotonic()
    with pytest.raises(FeedUnavailable, match="longer than 1 s"):
        local_fetch(f"{server}{path}", 1, 2 * MB)
    assert time.monotonic() - began < 2.5


def test_http_errors_and_unreachable_hosts_are_reasons(server):
    with pytest.raises(FeedUnavailable, match="HTTP 404"):
        local_fetch(f"{server}/missing.ics", 5, 2 * MB)
    port = int(server.rsplit(":", 1)[1])
    with pytest.raises(FeedUnavailable, match="could not be reached"):
        local_fetch(f"http://127.0.0.1:{port + 1 if port < 65535 else 1}/x.ics", 2, MB)


def test_internal_addresses_are_refused_by_default(server):
    with pytest.raises(FeedUnavailable, match="not on the public internet"):
        fetch_calendar(f"{server}/good.ics", 5, 2 * MB)
    with pytest.raises(FeedUnavailable, match="Only http and https"):
        fetch_calendar("ftp://example.org/x.ics", 5, MB)


def test_a_broken_feed_is_recorded_failing_and_changes_nothing_else(server, session, emit, pro):
    good_url = f"{server}/good.ics"
    set_import_url(session, emit, pro, good_url, "https://x/v1/calendars", NOW)
    outcome = read_feed(local_fetch, good_url, "UTC", NOW)
    assert record_import(session, emit, "pro-1", good_url, outcome, NOW)
    before = [(row.start, row.end) for row in session.scalars(select(BusyInterval))]
    assert len(before) == 1

    for path, reason in (("/broken.ics", "Not an iCalendar"), ("/huge.ics", "larger than")):
        url = f"{server}{path}"
        session.get(CalendarLink, "pro-1").import_url = url
        outcome = read_feed(local_fetch, url, "UTC", NOW)
        assert outcome.spans is None and reason in outcome.error
        record_import(session, emit, "pro-1", url, outcome, NOW)
        link = session.get(CalendarLink, "pro-1")
        assert link.import_status == "failing"
        assert reason in link.import_error
        assert [(row.start, row.end) for row in session.scalars(select(BusyInterval))] == before
