"""Reading a calendar URL the professional gave us, without letting it hurt the service.

The URL is chosen by a user, so the fetch is defensive:

* one deadline for the whole read (`timeout` seconds), not per socket read, so a
  server that drips a byte a second cannot hold a worker;
* at most `max_bytes`, counted while streaming (a missing or lying
  Content-Length changes nothing);
* redirects followed by hand (at most 3) so each hop is checked;
* hosts that resolve to loopback, private, link-local or otherwise internal
  addresses are refused unless `allow_internal` (tests read from 127.0.0.1), so
  the feature cannot be used to probe the cooperative's own network.

Every failure is a `FeedUnavailable` with a short reason the professional can read.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .domain.calendar_import import FeedUnavailable

MAX_REDIRECTS = 3
CHUNK = 64 * 1024
USER_AGENT = "Loconomics-calendar-import/1.0"


def _refuse_internal(url: str) -> None:
    host = urlsplit(url).hostname
    if not host:
        raise FeedUnavailable("The calendar URL has no host.")
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FeedUnavailable(f"The host {host} could not be found.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise FeedUnavailable(f"The host {host} is not on the public internet.")


def fetch_calendar(
    url: str, timeout: float, max_bytes: int, *, allow_internal: bool = False
) -> bytes:
    """The body at `url`, read within `timeout` seconds and `max_bytes` bytes."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        if urlsplit(url).scheme not in ("http", "https"):
            raise FeedUnavailable("Only http and https calendar URLs can be read.")
        if not allow_internal:
            _refuse_internal(url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FeedUnavailable(f"The calendar took longer than {timeout:g} s to answer.")
        try:
            response = requests.get(
                url,
                timeout=remaining,
                stream=True,
                allow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"},
            )
        except requests.Timeout:
            raise FeedUnavailable(
                f"The calendar took longer than {timeout:g} s to answer."
            ) from None
        except requests.RequestException as error:
            raise FeedUnavailable(
                f"The calendar could not be reached ({type(error).__name__})."
            ) from None
        with response:
            if response.is_redirect:
                location = response.headers.get("Location")
                if not location:
                    raise FeedUnavailable("The calendar server redirected nowhere.")
                url = urljoin(url, location)
                continue
            if response.status_code != 200:
                raise FeedUnavailable(f"The calendar server answered HTTP {response.status_code}.")
            return _read_body(response, deadline, timeout, max_bytes)
    raise FeedUnavailable(f"The calendar URL redirected more than {MAX_REDIRECTS} times.")


def _read_body(
    response: requests.Response, deadline: float, timeout: float, max_bytes: int
) -> bytes:
    """Stream the body with `read1` (one receive at a time), checking the deadline and size
    after each: a plain `read(n)` would wait for n bytes, however slowly they drip in."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FeedUnavailable(f"The calendar is larger than {max_bytes // 1024} KiB.")
    body = bytearray()
    try:
        while True:
            if time.monotonic() > deadline:
                raise FeedUnavailable(f"The calendar took longer than {timeout:g} s to send.")
            chunk = response.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                return bytes(body)
            body.extend(chunk)
            if len(body) > max_bytes:
                raise FeedUnavailable(f"The calendar is larger than {max_bytes // 1024} KiB.")
    except (urllib3.exceptions.HTTPError, OSError) as error:
        if isinstance(error, urllib3.exceptions.ReadTimeoutError | TimeoutError):
            raise FeedUnavailable(f"The calendar took longer than {timeout:g} s to send.") from None
        raise FeedUnavailable(f"The calendar could not be read ({type(error).__name__}).") from None
