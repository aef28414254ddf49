"""A local SMTP server that accepts every message and keeps it as a .eml file.

    python deploy/local/smtp_sink.py --port 1025 --maildir var/mail

The embedded default for email: nothing leaves the machine, and tests and
developers read what was sent from the folder.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from pathlib import Path

from aiosmtpd.controller import Controller

_counter = itertools.count()


class KeepEverything:
    def __init__(self, maildir: Path):
        self.maildir = maildir
        maildir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        name = f"{time.time_ns()}-{next(_counter)}.eml"
        header = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        content = envelope.original_content or envelope.content
        tmp = self.maildir / f".{name}.tmp"
        tmp.write_bytes(header + content)
        tmp.rename(self.maildir / name)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    controller = Controller(KeepEverything(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print(f"smtp sink on {args.host}:{args.port}, keeping mail in {args.maildir}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
