"""Prometheus and Grafana: valid for promtool, and asking only for metrics that exist.

Metrics named `loconomics_*` must be defined by the platform's code (found by reading every
prometheus_client Counter/Gauge/Histogram in libs/, services/ and gateway/); `rabbitmq_*` ones
must be among those RabbitMQ's Prometheus plugin publishes per object.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from loconomics_notifications.service import NotificationsService
from loconomics_profiles.service import ProfilesService

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy/prometheus"
GRAFANA = ROOT / "deploy/grafana"
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")

# rabbitmq_prometheus, per-object metrics (prometheus.return_per_object_metrics = true):
# the queue and alarm families these files use.
RABBITMQ_METRICS = {
    "rabbitmq_queue_messages_ready": {"queue", "vhost"},
    "rabbitmq_queue_messages_unacked": {"queue", "vhost"},
    "rabbitmq_queue_consumers": {"queue", "vhost"},
    "rabbitmq_alarms_memory_used_watermark": set(),
    "rabbitmq_alarms_free_disk_space_watermark": set(),
}
# Labels Prometheus adds to every scraped series, by our scrape configs.
TARGET_LABELS = {"job", "instance", "pod", "app", "service_container"}
METRIC = re.compile(r"\b((?:loconomics|rabbitmq)_[a-z0-9_]+)\b")
SELECTOR = re.compile(r"\b((?:loconomics|rabbitmq)_[a-z0-9_]+)\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*\"")


def rules() -> dict:
    return yaml.safe_load((PROMETHEUS / "rules.yml").read_text())


def dashboard() -> dict:
    return json.loads((GRAFANA / "dashboards/loconomics.json").read_text())


def rule_expressions() -> list[str]:
    return [rule["expr"] for group in rules()["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    board = dashboard()
    queries = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    queries += [v["definition"] for v in board["templating"]["list"]]
    return queries


def all_expressions() -> list[str]:
    return rule_expressions() + dashboard_expressions()


def without_strings(expr: str) -> str:
    return re.sub(r'"[^"]*"', '""', expr)


def test_the_compose_configuration_is_valid(tools):
    result = tools.run("promtool", "check", "config", "deploy/prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout + result.stderr


def test_the_kubernetes_configuration_is_valid_around_its_discovery(tools, tmp_path):
    """Debian's promtool is built without Kubernetes discovery: check the discovery blocks'
    shape here, and everything else (relabelling included) with promtool on a copy whose
    discovery is a static target."""
    config = yaml.safe_load((PROMETHEUS / "prometheus-k8s.yml").read_text())
    discovered = [job for job in config["scrape_configs"] if "kubernetes_sd_configs" in job]
    assert discovered
    for job in discovered:
        for discovery in job.pop("kubernetes_sd_configs"):
            assert discovery == {"role": "pod", "namespaces": {"own_namespace": True}}
        job["static_configs"] = [{"targets": ["pod.example:9100"]}]
        sources = {s for r in job["relabel_configs"] for s in r.get("source_labels", [])}
        assert "__meta_kubernetes_pod_annotation_prometheus_io_scrape" in sources
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(PROMETHEUS / "rules.yml", tmp_path / "rules.yml")
    result = tools.run("promtool", "check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_are_valid(tools):
    result = tools.run("promtool", "check", "rules", "deploy/prometheus/rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_when_they_should(tools):
    result = tools.run("promtool", "test", "rules", "rules.test.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_asked_for_alerts_exist_with_a_severity_and_a_summary():
    alerts = {
        rule["alert"]: rule
        for group in rules()["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert {
        "GatewayHighErrorRate", "GatewayLatencyHigh", "RpcQueueDepthHigh", "OutboxBacklog",
        "RpcQueueWithoutConsumers", "StripeWebhookFailures", "NotificationsDeadLettered",
    } <= set(alerts)
    for name, alert in alerts.items():
        assert alert["labels"]["severity"] in ("page", "ticket"), name
        assert alert["annotations"]["summary"], name


def test_every_queried_metric_is_one_the_code_or_rabbitmq_exposes(metric_catalogue):
    used = {m for expr in all_expressions() for m in METRIC.findall(without_strings(expr))}
    unknown = sorted(
        m for m in used if m not in metric_catalogue.by_sample and m not in RABBITMQ_METRICS
    )
    assert not unknown, f"queried but defined by no code: {unknown}"


def test_label_matchers_name_labels_the_metric_has(metric_catalogue):
    for expr in all_expressions():
        for metric, matchers in SELECTOR.findall(expr):
            if metric in RABBITMQ_METRICS:
                labels = RABBITMQ_METRICS[metric]
            elif metric in metric_catalogue.by_sample:
                definition = metric_catalogue.by_sample[metric]
                labels = set(definition.labels) | (
                    {"le"} if metric.endswith("_bucket") else set()
                )
            else:
                continue
            for label in MATCHER.findall(matchers):
                assert label in labels | TARGET_LABELS, f"{metric} has no label {label!r}"


def test_the_metric_catalogue_reads_the_code(metric_catalogue):
    """The catalogue the checks above rely on finds the metrics the code is known to serve."""
    requests = metric_catalogue.by_sample["loconomics_gateway_requests_total"]
    assert requests.labels == ("route", "method", "status")
    assert requests.where == "gateway/loconomics_gateway/metrics.py"
    latency = metric_catalogue.by_sample["loconomics_entrypoint_duration_seconds_bucket"]
    assert set(latency.labels) == {"service", "entrypoint", "kind"}
    assert "loconomics_entrypoint_duration_seconds" not in metric_catalogue.by_sample


def test_the_dashboard_shows_what_operators_need():
    used = {m for expr in dashboard_expressions() for m in METRIC.findall(expr)}
    assert {
        "loconomics_gateway_requests_total",
        "loconomics_gateway_request_duration_seconds_bucket",
        "loconomics_entrypoint_duration_seconds_bucket",
        "rabbitmq_queue_messages_ready",
        "loconomics_bookings_created_total",
    } <= used
    five_hundreds = [e for e in dashboard_expressions() if 'status=~"5..' in e]
    assert five_hundreds and all("loconomics_gateway_requests_total" in e for e in five_hundreds)


def test_the_dashboard_is_well_formed_and_uses_the_provisioned_datasource():
    board = dashboard()
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    (datasource,) = datasources
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert board["uid"] and board["title"]
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
    variables = {v["name"] for v in board["templating"]["list"]}
    for expr in dashboard_expressions():
        for variable in re.findall(r"\$(\w+)", expr):
            assert variable.startswith("__") or variable in variables, variable


def test_panels_do_not_overlap():
    taken: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, panel["title"]
        taken |= cells


def test_grafana_finds_prometheus_and_the_dashboards_in_compose(compose):
    (datasource,) = yaml.safe_load(
        (GRAFANA / "provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning/dashboards/loconomics.yml").read_text()
    )["providers"]
    mounts = dict(
        reversed(m.split(":")[:2]) for m in compose["services"]["grafana"]["volumes"]
    )
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"


def test_grafana_finds_prometheus_and_the_dashboards_in_kubernetes(k8s_docs):
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning/dashboards/loconomics.yml").read_text()
    )["providers"]
    grafana = next(
        d for d in k8s_docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "grafana"
    )
    spec = grafana["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in spec["containers"][0]["volumeMounts"]}
    assert mounts[provider["options"]["path"]]["configMap"]["name"].startswith(
        "grafana-dashboards"
    )
    services = {d["metadata"]["name"]: d for d in k8s_docs if d["kind"] == "Service"}
    assert services["prometheus"]["spec"]["ports"][0]["port"] == 9090


def test_compose_prometheus_scrapes_every_copy_of_every_part(compose):
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    (services,) = jobs["services"]["dns_sd_configs"]
    assert set(services["names"]) == set(SERVICES) and services["port"] == 9100
    (gateway,) = jobs["gateway"]["dns_sd_configs"]
    assert gateway["names"] == ["gateway"]
    assert str(gateway["port"]) == compose["services"]["gateway"]["environment"]["GATEWAY_PORT"]
    (rabbitmq,) = jobs["rabbitmq"]["static_configs"]
    assert rabbitmq["targets"] == ["rabbitmq:15692"]
    plugins = (ROOT / "deploy/rabbitmq/enabled_plugins").read_text()
    assert "rabbitmq_prometheus" in plugins
    assert "prometheus.return_per_object_metrics = true" in (
        ROOT / "deploy/rabbitmq/rabbitmq.conf"
    ).read_text()


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-k8s.yml"])
def test_the_alerted_jobs_exist_in_both_configurations(config):
    text = (PROMETHEUS / config).read_text()
    wanted = {"gateway", "services", "rabbitmq"}
    named = set(re.findall(r"job_name: (\w+)", text)) | set(
        re.findall(r"replacement: (\w+)", text)
    )
    assert wanted <= named
    down = next(
        r for g in rules()["groups"] for r in g["rules"] if r.get("alert") == "ServiceDown"
    )
    assert re.search(r'job=~"gateway\|services"', down["expr"])


def test_the_dashboard_shows_the_funnel_membership_governance_and_accounts():
    panels = {p["title"]: p for p in dashboard()["panels"]}
    funnel = " ".join(t["expr"] for t in panels["Booking funnel (dashboard time range)"]["targets"])
    for step in ("search", "find_slots", "create_booking", "confirm_booking", "complete_booking"):
        assert f'entrypoint="{step}"' in funnel
    memberships = " ".join(t["expr"] for t in panels["Memberships per hour"]["targets"])
    assert "put_membership" in memberships and "on_dues_paid" in memberships
    governance = " ".join(
        t["expr"] for t in panels["Governance: votes cast and ballots closed per hour"]["targets"]
    )
    assert "governance_votes_cast_total" in governance
    assert "governance_ballots_closed_total" in governance
    accounts = panels["Accounts: sign-ups, closures and copies of data per day"]["targets"]
    for entrypoint in ("sign_up", "close_account", "export_member_data"):
        assert entrypoint in accounts[0]["expr"]
        assert callable(getattr(ProfilesService, entrypoint)), entrypoint


def test_the_dashboard_shows_the_moderators_work():
    panels = {p["title"]: p for p in dashboard()["panels"]}
    targets = panels["Moderation: reports made and decided, suspensions and blocks, per day"][
        "targets"
    ]
    expressions = {t["expr"] for t in targets}
    for service, entrypoints in (
        (
            ProfilesService,
            (
                "report_review",
                "remove_review",
                "dismiss_review_report",
                "report_profile",
                "dismiss_profile_report",
                "suspend_account",
                "reinstate_account",
            ),
        ),
        (
            NotificationsService,
            ("report_message", "withhold_message", "dismiss_message_report", "block_member"),
        ),
    ):
        [expr] = [e for e in expressions if f'service="{service.name}"' in e]
        for entrypoint in entrypoints:
            assert entrypoint in expr, entrypoint
            assert callable(getattr(service, entrypoint)), entrypoint


def test_the_moderators_queues_are_shown_and_a_day_long_wait_opens_a_ticket():
    panels = {p["title"]: p for p in dashboard()["panels"]}
    waiting = panels["Moderation queues: reports waiting"]["targets"][0]["expr"]
    oldest = panels["Moderation queues: how long the oldest report has waited"]["targets"]
    assert "loconomics_moderation_open_reports" in waiting
    assert "loconomics_moderation_oldest_open_report_age_seconds" in oldest[0]["expr"]
    alerts = {
        rule["alert"]: rule
        for group in rules()["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert (
        "loconomics_moderation_oldest_open_report_age_seconds"
        in (alerts["ModerationQueueWaiting"]["expr"])
    )
    for service in (ProfilesService, NotificationsService):
        assert callable(service.measure_moderation_queue), service.name
