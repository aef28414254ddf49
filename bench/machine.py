"""What machine a benchmark ran on, printed at its start so every figure carries it.

Not a benchmark itself; each script in bench/ calls `print_machine()` before it measures.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def rabbitmq_version() -> str:
    """The installed broker's version, from its package (no node needs to run)."""
    try:
        answer = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "rabbitmq-server"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if answer.returncode == 0 and answer.stdout:
            return answer.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine_lines() -> list[str]:
    return [
        f"machine:  {cpu_model()}, {os.cpu_count()} cores, {ram_gib():.1f} GiB RAM",
        f"software: Python {sys.version.split()[0]} ({platform.python_implementation()}), "
        f"RabbitMQ {rabbitmq_version()}, {platform.system()} {platform.release()}",
        f"load average at start (1/5/15 min): {load_average()}",
    ]


def print_machine() -> None:
    for line in machine_lines():
        print(line)
    print(flush=True)


if __name__ == "__main__":
    print_machine()
