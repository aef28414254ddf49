"""Bring the whole platform up on its embedded defaults, or down again; used by `make` and tests.

    python deploy/local/local_platform.py start|stop|status|logs

Starts a local RabbitMQ node (installed from Debian's packages when missing),
localstripe, an SMTP sink, runs the migrations, then the five services and the
gateway. Every process is recorded by PID under var/run so `stop` ends exactly
what `start` began. Ports and folders come from the environment.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")
METRICS_PORT_BASE = 9100
METRICS_BLOCK = 30  # metrics ports from the base: each service, and copies 10 apart
# Where the web app (not in this repository) would serve its pages: the links in emails.
LOCAL_APP_URL = "http://127.0.0.1:3000"


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands to outgoing connections (Linux; the usual range elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def listening(port: int, timeout: float = 0.5) -> bool:
    """True when something on this machine accepts connections on `port` now."""
    with socket.socket() as sock:
        sock.settimeout(timeout)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _can_bind(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _candidate_ports() -> range:
    """Ports outside the ephemeral range: a port picked there can be taken a moment later
    by any process's outgoing connection, and a server then fails to bind it."""
    low, high = _ephemeral_range()
    if low - 10000 >= 1024:
        return range(10000, low)
    return range(high + 1, 65535)


def free_port_block(size: int = 1, avoid: Iterable[int] = ()) -> int:
    """A base port whose `size` ports (base included) can all be bound now, picked outside
    the ephemeral range so no outgoing connection takes one before its server starts, and
    clear of `avoid`: ports already promised to servers that have not started yet."""
    candidates = _candidate_ports()
    avoided = set(avoid)
    for _ in range(200):
        base = random.randrange(candidates.start, candidates.stop - size)
        block = range(base, base + size)
        if avoided.isdisjoint(block) and all(_can_bind(port) for port in block):
            return base
    raise RuntimeError(f"no free block of {size} ports")


def free_port(avoid: Iterable[int] = ()) -> int:
    return free_port_block(1, avoid)


def broker_prometheus_port(amqp_port: int) -> int:
    """RabbitMQ's metrics port: the usual 15692 for the usual node, else clear of the
    management ports of nodes next to this one."""
    return 15692 if amqp_port == 5672 else amqp_port + 11000


def broker_ports(amqp_port: int, management_port: int) -> set[int]:
    """Every port the node `deploy/local/rabbitmq.sh` starts for `amqp_port` listens on:
    AMQP, management, prometheus and Erlang distribution (that script's offset)."""
    return {amqp_port, management_port, broker_prometheus_port(amqp_port), amqp_port + 20000}


def _is_zombie(pid: int) -> bool:
    """Ended but not yet collected by its parent (this process, when it started it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return True
    return False


@dataclass
class Platform:
    """One running copy of the platform: its folder, its ports, its processes."""

    var: Path = field(default_factory=lambda: Path(os.environ.get("LOCONOMICS_VAR", ROOT / "var")))
    gateway_port: int = int(os.environ.get("GATEWAY_PORT", "8000"))
    amqp_port: int = int(os.environ.get("AMQP_PORT", "5672"))
    management_port: int = int(os.environ.get("RABBITMQ_MANAGEMENT_PORT", "15672"))
    stripe_port: int = int(os.environ.get("LOCALSTRIPE_PORT", "8420"))
    smtp_port: int = int(os.environ.get("SMTP_PORT", "1025"))
    vhost: str = os.environ.get("AMQP_VHOST", "/")
    metrics_port_base: int = int(os.environ.get("METRICS_PORT_BASE", str(METRICS_PORT_BASE)))
    extra_env: dict = field(default_factory=dict)

    @classmethod
    def isolated(
        cls,
        var: Path,
        amqp_port: int,
        vhost: str | None = None,
        extra_env: dict | None = None,
        test_clock: bool = True,
    ) -> Platform:
        """A copy for tests and benchmarks: free ports, its own vhost and folder.

        With `test_clock` (tests), every process reads its clock offset from a file the test
        can move; without it (benchmarks), the clock is real time, as in production, so no
        figure includes reading that file on every `clock.now()`.
        """
        clock = {"LOCONOMICS_CLOCK_FILE": str(var / "clock-offset")} if test_clock else {}
        # Nothing listens on these ports until its server starts, so each pick keeps clear of
        # the picks before it and of the broker's ports, which its node takes only later.
        management_port = amqp_port + 10000
        promised = broker_ports(amqp_port, management_port)

        def pick(size: int = 1) -> int:
            base = free_port_block(size, avoid=promised)
            promised.update(range(base, base + size))
            return base

        return cls(
            var=var,
            gateway_port=pick(),
            amqp_port=amqp_port,
            management_port=management_port,
            stripe_port=pick(),
            smtp_port=pick(),
            vhost=vhost or f"test-{uuid.uuid4().hex[:8]}",
            metrics_port_base=pick(METRICS_BLOCK),
            extra_env={
                "LOCONOMICS_VAR": str(var),
                **clock,
                "GATEWAY_RATE_LIMITS_ENABLED": "false",
                "GATEWAY_RPC_TIMEOUT_SECONDS": "5",
                "GATEWAY_WORKERS": "2",
                **(extra_env or {}),
            },
        )

    @property
    def clock_file(self) -> str:
        return self.env()["LOCONOMICS_CLOCK_FILE"]

    @property
    def run_dir(self) -> Path:
        return self.var / "run"

    @property
    def log_dir(self) -> Path:
        return self.var / "log"

    @property
    def maildir(self) -> Path:
        return self.var / "mail"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def amqp_uri(self) -> str:
        vhost = "%2F" if self.vhost == "/" else self.vhost
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{vhost}"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "LOCONOMICS_VAR": str(self.var),
                "AMQP_URI": self.amqp_uri,
                "STRIPE_API_BASE": f"http://127.0.0.1:{self.stripe_port}",
                "STRIPE_API_KEY": env.get("STRIPE_API_KEY", "sk_test_loconomics_local"),
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(self.smtp_port),
                "GATEWAY_PORT": str(self.gateway_port),
                "GATEWAY_PUBLIC_URL": self.gateway_url,
                # The web app's links in emails (a password reset is nothing without its link);
                # no web app runs here, so the default is where its dev server would listen.
                "NOTIFICATIONS_APP_URL": env.get("NOTIFICATIONS_APP_URL", LOCAL_APP_URL),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    # processes

    def spawn(self, name: str, argv: list[str], env: dict | None = None) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env or self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (self.run_dir / f"{name}.pid").write_text(str(process.pid))
        return process.pid

    def pid_of(self, name: str) -> int | None:
        path = self.run_dir / f"{name}.pid"
        if not path.exists():
            return None
        pid = int(path.read_text())
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return None if _is_zombie(pid) else pid

    def stop_processes(self, names: list[str], grace: float = 10.0) -> list[str]:
        """TERM every named process group at once, then KILL what outlives the grace period."""
        running: dict[str, int] = {}
        for name in names:
            pid = self.pid_of(name)
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
                    running[name] = pid
        deadline = time.monotonic() + grace
        alive = dict(running)
        while alive and time.monotonic() < deadline:
            for name, pid in list(alive.items()):
                try:
                    os.killpg(pid, 0)
                except ProcessLookupError:
                    del alive[name]
            time.sleep(0.1)
        for pid in alive.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        return sorted(running)

    # parts

    @property
    def prometheus_port(self) -> int:
        return broker_prometheus_port(self.amqp_port)

    def ports(self) -> set[int]:
        """Every port this platform's servers listen on, or will once started: a port picked
        for something else while it runs must keep clear of them."""
        return {
            self.gateway_port,
            self.stripe_port,
            self.smtp_port,
            *broker_ports(self.amqp_port, self.management_port),
            *range(self.metrics_port_base, self.metrics_port_base + METRICS_BLOCK),
        }

    def broker_env(self) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "AMQP_PORT": str(self.amqp_port),
                "RABBITMQ_MANAGEMENT_PORT": str(self.management_port),
                "RABBITMQ_PROMETHEUS_PORT": str(self.prometheus_port),
            }
        )
        return env

    def start_broker(self) -> None:
        subprocess.run(
            [str(ROOT / "deploy/local/rabbitmq.sh"), "start"], check=True, env=self.broker_env()
        )
        if self.vhost != "/":
            self.management("PUT", f"/api/vhosts/{self.vhost}")
            self.management(
                "PUT",
                f"/api/permissions/{self.vhost}/guest",
                {"configure": ".*", "write": ".*", "read": ".*"},
            )

    def stop_broker(self) -> None:
        subprocess.run([str(ROOT / "deploy/local/rabbitmq.sh"), "stop"], env=self.broker_env())

    def management(self, method: str, path: str, body: dict | None = None) -> bytes:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.management_port}{path}",
            method=method,
            data=json.dumps(body or {}).encode(),
            headers={
                "Authorization": "Basic " + base64.b64encode(b"guest:guest").decode(),
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read()

    def drop_vhost(self) -> None:
        if self.vhost != "/":
            self.management("DELETE", f"/api/vhosts/{self.vhost}")

    def start_localstripe(self) -> None:
        argv = [str(BIN / "localstripe"), "--port", str(self.stripe_port), "--from-scratch"]
        self.spawn("localstripe", argv)

    def start_smtp_sink(self) -> None:
        argv = [
            str(BIN / "python"),
            str(ROOT / "deploy/local/smtp_sink.py"),
            "--port",
            str(self.smtp_port),
            "--maildir",
            str(self.maildir),
        ]
        self.spawn("smtp-sink", argv)

    def run_module(self, module: str, *args: str) -> None:
        """A one-shot step (migrations, seeding, Stripe setup) with the platform's environment."""
        subprocess.run(
            [str(BIN / "python"), "-m", module, *args],
            cwd=ROOT,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def migrate(self) -> None:
        self.run_module("loconomics_plumbing.migrate", "upgrade", *SERVICES)
        self.run_module("loconomics_profiles.seed_catalog")

    def prepare_stripe(self) -> None:
        """Plans into Stripe, and localstripe's webhook pointed at the gateway (it forgets them)."""
        self.run_module("loconomics_billing.stripe_setup", "sync-plans")
        self.run_module("loconomics_billing.stripe_setup", "local-webhook")

    def start_service(self, service: str, copy: int = 1) -> None:
        env = self.env()
        offset = SERVICES.index(service) + 1 + 10 * (copy - 1)
        env[f"{service.upper()}_METRICS_PORT"] = str(self.metrics_port_base + offset)
        argv = [
            str(BIN / "nameko"),
            "run",
            "--config",
            str(ROOT / "deploy/local/nameko.yaml"),
            f"loconomics_{service}.service:{service.capitalize()}Service",
        ]
        name = service if copy == 1 else f"{service}-{copy}"
        self.spawn(name, argv, env)

    def start_gateway(self) -> None:
        env = self.env()
        metrics_dir = self.var / "gateway-metrics"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        argv = [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gateway/gunicorn.conf.py"),
            "loconomics_gateway.wsgi:app",
        ]
        self.spawn("gateway", argv, env)

    def wait_ready(self, timeout: float = 90.0) -> dict:
        """Until /readyz answers 200; a process that died on the way fails it at once with
        the end of its log, so a failed start explains itself."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(f"{self.gateway_url}/readyz", timeout=5) as answer:
                    return json.loads(answer.read())
            except urllib.error.HTTPError as error:
                last = error.read().decode(errors="replace")
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.5)
        raise RuntimeError(f"the platform did not become ready: {last}\n{self.log_tails()}")

    def check_alive(self) -> None:
        dead = [name for name in self.process_names() if self.pid_of(name) is None]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} stopped while starting:\n{self.log_tails(dead)}")

    def log_tails(self, names: list[str] | None = None, lines: int = 30) -> str:
        tails = []
        for name in names or self.process_names():
            path = self.log_dir / f"{name}.log"
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                tails.append(f"--- {name}.log ---\n" + "\n".join(text))
        return "\n".join(tails)

    def wait_port(self, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if listening(port):
                return
            time.sleep(0.2)
        raise RuntimeError(f"nothing listens on port {port}")

    def start(self, broker: bool = True) -> None:
        if broker:
            self.start_broker()
        self.start_localstripe()
        self.start_smtp_sink()
        self.wait_port(self.stripe_port)
        self.wait_port(self.smtp_port)
        self.migrate()
        self.prepare_stripe()
        for service in SERVICES:
            self.start_service(service)
        self.start_gateway()
        self.wait_ready()

    def process_names(self) -> list[str]:
        return sorted(path.stem for path in self.run_dir.glob("*.pid"))

    @contextlib.contextmanager
    def running(self, own_broker: bool = False) -> Iterator[Platform]:
        """Started for the `with` block; stopped after, with its vhost or its own broker node."""
        try:
            self.start()
            yield self
        finally:
            self.stop(broker=own_broker)
            if not own_broker:
                with contextlib.suppress(OSError):
                    self.drop_vhost()

    def stop(self, broker: bool = True) -> None:
        for name in self.stop_processes(self.process_names()):
            print(f"stopped {name}")
        if broker:
            self.stop_broker()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status", "logs"])
    args = parser.parse_args()
    platform = Platform()
    if args.action == "start":
        platform.start()
        print(
            f"\nLoconomics is up.\n"
            f"  API:      {platform.gateway_url}  (docs: {platform.gateway_url}/docs)\n"
            f"  Mail:     every email lands in {platform.maildir}\n"
            f"  Logs:     make logs    Stop: make stop\n\n"
            f"Try:\n"
            f"  curl -s -X POST {platform.gateway_url}/v1/accounts \\\n"
            f"    -H 'Content-Type: application/json' \\\n"
            f'    -d \'{{"email": "ana@example.org", "password": "correct horse battery", '
            f'"name": "Ana", "roles": ["client"]}}\'\n'
        )
    elif args.action == "stop":
        platform.stop()
    elif args.action == "status":
        for name in platform.process_names():
            print(f"{name}: {'running' if platform.pid_of(name) else 'stopped'}")
    else:
        logs = sorted(platform.log_dir.glob("*.log"))
        os.execvp("tail", ["tail", "-n", "20", "-F", *map(str, logs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
