"""A real Prometheus (the `prometheus` binary) scraping the running platform: every target the
compose configuration names (the gateway, the five services, RabbitMQ, itself) is up, and the
rules of deploy/prometheus/rules.yml load and evaluate without error.

The scrape configuration is deploy/prometheus/prometheus.yml's own jobs, with compose's DNS
discovery swapped for the platform's local addresses, so a job renamed or dropped there fails
here."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from local_platform import ROOT, SERVICES, Platform, free_port

pytestmark = pytest.mark.integration

COMPOSE_CONFIG = ROOT / "deploy/prometheus/prometheus.yml"
RULES = ROOT / "deploy/prometheus/rules.yml"
UP_WITHIN_SECONDS = 60


def local_targets(platform: Platform, prometheus_port: int) -> dict[str, list[str]]:
    """What each compose job finds by DNS, as the locally running platform serves it."""
    return {
        "gateway": [f"127.0.0.1:{platform.gateway_port}"],
        "services": [
            f"127.0.0.1:{platform.metrics_port_base + SERVICES.index(service) + 1}"
            for service in SERVICES
        ],
        "rabbitmq": [f"127.0.0.1:{platform.prometheus_port}"],
        "prometheus": [f"127.0.0.1:{prometheus_port}"],
    }


def scrape_config(platform: Platform, prometheus_port: int) -> dict:
    config = yaml.safe_load(COMPOSE_CONFIG.read_text())
    targets = local_targets(platform, prometheus_port)
    jobs = config["scrape_configs"]
    assert {job["job_name"] for job in jobs} == set(targets), "a compose job is not covered"
    for job in jobs:
        job.pop("dns_sd_configs", None)
        job.pop("relabel_configs", None)
        job["static_configs"] = [{"targets": targets[job["job_name"]]}]
        job["scrape_interval"] = "1s"
        job["scrape_timeout"] = "1s"
    config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
    config["rule_files"] = [str(RULES)]
    return config


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


@contextlib.contextmanager
def prometheus(config: dict, port: int, folder: Path) -> Iterator[str]:
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(binary).exists():
        pytest.fail("prometheus is not installed: as root, apt-get install prometheus")
    config_file = folder / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    log = (folder / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_file}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                pytest.fail(f"prometheus exited:\n{(folder / 'prometheus.log').read_text()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/-/ready", timeout=2):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"prometheus not ready:\n{(folder / 'prometheus.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_every_target_up(url: str, expected: dict[str, list[str]]) -> list[dict]:
    deadline = time.monotonic() + UP_WITHIN_SECONDS
    while True:
        active = get_json(f"{url}/api/v1/targets?state=active")["data"]["activeTargets"]
        found = {(t["labels"]["job"], t["labels"]["instance"]) for t in active}
        wanted = {(job, target) for job, targets in expected.items() for target in targets}
        down = [t for t in active if t["health"] != "up"]
        if found == wanted and not down:
            return active
        if time.monotonic() > deadline:
            missing = wanted - found
            report = [
                f"{t['labels']['job']} {t['scrapeUrl']}: {t['health']} {t['lastError']}"
                for t in down
            ]
            pytest.fail(f"targets not up after {UP_WITHIN_SECONDS} s: {report}, missing {missing}")
        time.sleep(0.5)


def wait_every_rule_evaluated(url: str, timeout: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        groups = get_json(f"{url}/api/v1/rules")["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        errors = [f"{r['name']}: {r['lastError']}" for r in rules if r["health"] == "err"]
        assert not errors, errors
        if rules and all(r["health"] == "ok" for r in rules):
            return rules
        if time.monotonic() > deadline:
            pending = [r["name"] for r in rules if r["health"] != "ok"]
            pytest.fail(f"rules not evaluated after {timeout} s: {pending}")
        time.sleep(0.5)


def test_a_real_prometheus_sees_every_target_up_and_loads_the_rules(platform, tmp_path):
    port = free_port(avoid=platform.ports())
    expected = local_targets(platform, port)
    with prometheus(scrape_config(platform, port), port, tmp_path) as url:
        active = wait_every_target_up(url, expected)
        assert {t["labels"]["job"] for t in active} == {
            "gateway", "services", "rabbitmq", "prometheus",
        }

        rules = wait_every_rule_evaluated(url)
        written = yaml.safe_load(RULES.read_text())
        names = {
            rule.get("alert") or rule.get("record")
            for group in written["groups"]
            for rule in group["rules"]
        }
        assert {rule["name"] for rule in rules} == names

        # The samples the dashboards and alerts read are really there.
        for metric in (
            "loconomics_gateway_requests_total",
            "loconomics_entrypoint_calls_total",
            "rabbitmq_queue_messages_ready",
        ):
            query = f"{url}/api/v1/query?query=count({metric})"
            deadline = time.monotonic() + 10
            while not get_json(query)["data"]["result"]:
                assert time.monotonic() < deadline, f"no {metric} scraped"
                time.sleep(0.5)
