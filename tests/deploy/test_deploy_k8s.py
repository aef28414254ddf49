"""deploy/k8s: manifests valid for Kubernetes, consistent with each other and with the code.

kubernetes-validate has no schema for KEDA's CRDs (ScaledObject, TriggerAuthentication):
those are checked here by what they refer to, not against KEDA's schema.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import yaml
from deploy_commands import one_shot_steps

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
CRD_KINDS = {"ScaledObject", "TriggerAuthentication"}
WORKLOADS = ("Deployment", "StatefulSet", "Job")
OUR_IMAGE = re.compile(r"^loconomics:")
PINNED_TAG = re.compile(r"^[^:@]+:(?!latest$)[\w][\w.-]*\d[\w.-]*$")


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def workloads(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] in WORKLOADS]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_kustomize_build_validates_strictly(tools, built_k8s, version):
    path, _ = built_k8s
    result = tools.run("kubernetes-validate", "--strict", "-k", version, str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    unvalidated = set(re.findall(r"schema for kind (\w+)", result.stdout + result.stderr))
    assert unvalidated == CRD_KINDS


def test_each_manifest_file_validates_on_its_own(tools):
    files = [str(p.relative_to(ROOT)) for p in manifest_files()]
    result = tools.run("kubernetes-validate", "--strict", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = set(re.findall(r"INFO (\S+) passed", result.stdout + result.stderr))
    assert passed == set(files) - {"deploy/k8s/booking-autoscaling.yaml"}


def test_the_validator_rejects_a_broken_manifest(tools, tmp_path):
    gateway = [d for d in yaml.safe_load_all((K8S / "gateway.yaml").read_text())][0]
    gateway["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pathh"] = "/"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(gateway))
    result = tools.run("kubernetes-validate", "--strict", str(path))
    assert result.returncode != 0
    assert "pathh" in result.stdout + result.stderr


def test_the_kustomization_lists_every_manifest_and_the_shared_configs():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    files = {str(p.relative_to(K8S)) for p in manifest_files()}
    assert listed - {"../prometheus", "../grafana"} == files
    assert {"../prometheus", "../grafana"} <= listed
    assert kustomization["namespace"] == "loconomics"


def test_everything_lands_in_the_namespace(k8s_docs):
    for doc in k8s_docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "loconomics", doc["metadata"]["name"]


def test_every_container_is_probed_and_sized(k8s_docs):
    for workload in workloads(k8s_docs):
        name = workload["metadata"]["name"]
        for container in pod_spec(workload)["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            if workload["kind"] != "Job":
                assert "readinessProbe" in container and "livenessProbe" in container, name


def test_every_pod_meets_the_restricted_pod_security_standard(k8s_docs):
    namespace = of_kind(k8s_docs, "Namespace")["loconomics"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload in workloads(k8s_docs):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        pod_security = spec.get("securityContext", {})
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        for volume in spec.get("volumes", []):
            assert "hostPath" not in volume, name
        for container in containers(workload):
            security = container["securityContext"]
            assert security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True, name
            assert security.get("runAsUser", pod_security.get("runAsUser", 1)) != 0, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert not security.get("privileged"), name
            if OUR_IMAGE.match(container["image"]):
                assert security["readOnlyRootFilesystem"] is True, name


def test_every_image_is_pinned(k8s_docs):
    images = {c["image"] for w in workloads(k8s_docs) for c in containers(w)}
    assert "loconomics:0.1.0" in images
    for image in images:
        assert PINNED_TAG.match(image), image


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_deployment_runs_its_class_with_its_own_database(k8s_docs, service):
    deployment = of_kind(k8s_docs, "Deployment")[service]
    (container,) = pod_spec(deployment)["containers"]
    assert container["command"] == [
        "nameko", "run", "--config", "deploy/local/nameko.yaml",
        f"loconomics_{service}.service:{service.capitalize()}Service",
    ]
    env = {e["name"]: e for e in container["env"]}
    url = env[f"{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert url == {"name": f"{service}-db", "key": "url"}
    assert env[f"{service.upper()}_METRICS_PORT"]["value"] == "9100"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == "9100"
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "metrics"
    assert {"name": "metrics", "containerPort": 9100} in container["ports"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_migration_job_upgrades_each_database(k8s_docs, service):
    job = of_kind(k8s_docs, "Job")[f"{service}-migrate"]
    (container,) = pod_spec(job)["containers"]
    steps = one_shot_steps(container["command"])
    assert steps[0] == f"python -m loconomics_plumbing.migrate upgrade {service}"
    env = {e["name"]: e for e in container["env"]}
    url = env[f"{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert url == {"name": f"{service}-db", "key": "url"}
    assert pod_spec(job)["restartPolicy"] in ("Never", "OnFailure")
    assert job["spec"]["backoffLimit"] >= 1


def test_the_gateway_is_probed_budgeted_scaled_and_exposed(k8s_docs):
    gateway = of_kind(k8s_docs, "Deployment")["gateway"]
    (container,) = pod_spec(gateway)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts
    pod_labels = gateway["spec"]["template"]["metadata"]["labels"]
    budget = of_kind(k8s_docs, "PodDisruptionBudget")["gateway"]
    assert selects(budget["spec"]["selector"]["matchLabels"], pod_labels)
    assert budget["spec"]["minAvailable"] >= 1
    autoscaler = of_kind(k8s_docs, "HorizontalPodAutoscaler")["gateway"]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert autoscaler["spec"]["minReplicas"] > budget["spec"]["minAvailable"]
    assert "replicas" not in gateway["spec"], "the HPA owns the count"
    ingress = of_kind(k8s_docs, "Ingress")["gateway"]
    paths = {p["path"]: p for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert {"/v1", "/docs", "/openapi.json"} == set(paths)
    service = of_kind(k8s_docs, "Service")["gateway"]
    for path in paths.values():
        backend = path["backend"]["service"]
        assert backend["name"] == "gateway"
        assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_every_service_and_budget_selects_pods_that_exist(k8s_docs):
    templates = [w["spec"]["template"]["metadata"]["labels"] for w in workloads(k8s_docs)]
    for service in of_kind(k8s_docs, "Service").values():
        selector = service["spec"]["selector"]
        assert any(selects(selector, labels) for labels in templates), service["metadata"]
    for budget in of_kind(k8s_docs, "PodDisruptionBudget").values():
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(selects(selector, labels) for labels in templates), budget["metadata"]


def test_every_referenced_secret_config_and_claim_exists(k8s_docs):
    secrets = {
        name: set(doc.get("stringData", {})) | set(doc.get("data", {}))
        for name, doc in of_kind(k8s_docs, "Secret").items()
    }
    configmaps = set(of_kind(k8s_docs, "ConfigMap"))
    claims = set(of_kind(k8s_docs, "PersistentVolumeClaim"))
    accounts = set(of_kind(k8s_docs, "ServiceAccount"))
    for workload in workloads(k8s_docs):
        spec = pod_spec(workload)
        if "serviceAccountName" in spec:
            assert spec["serviceAccountName"] in accounts
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps, volume
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, volume
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, volume
        for container in containers(workload):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets.get(ref["name"], set()), ref


def test_prometheus_annotations_name_a_port_the_pod_listens_on(k8s_docs):
    scraped = set()
    for workload in workloads(k8s_docs):
        annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true":
            continue
        ports = {p["containerPort"] for c in containers(workload) for p in c.get("ports", [])}
        assert int(annotations["prometheus.io/port"]) in ports, workload["metadata"]["name"]
        scraped.add(workload["metadata"]["name"])
    assert scraped == {*SERVICES, "gateway", "rabbitmq"}


def test_rabbitmq_is_a_three_node_cluster_with_its_plugins(k8s_docs):
    statefulset = of_kind(k8s_docs, "StatefulSet")["rabbitmq"]
    assert statefulset["spec"]["replicas"] == 3
    headless = of_kind(k8s_docs, "Service")[statefulset["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    config = next(
        doc for doc in k8s_docs
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "rabbitmq-config"
    )["data"]
    plugins = set(re.findall(r"rabbitmq_\w+", config["enabled_plugins"]))
    assert plugins == {
        "rabbitmq_management", "rabbitmq_prometheus", "rabbitmq_peer_discovery_k8s",
    }
    settings = dict(
        line.split(" = ", 1) for line in config["loconomics.conf"].splitlines()
        if " = " in line and not line.startswith("#")
    )
    assert settings["cluster_formation.peer_discovery_backend"] == "k8s"
    # The queue-depth alerts and dashboards need per-queue samples on /metrics.
    assert settings["prometheus.return_per_object_metrics"] == "true"
    env = {e["name"]: e.get("value") for e in pod_spec(statefulset)["containers"][0]["env"]}
    assert env["RABBITMQ_NODENAME"].startswith(
        f"rabbit@$(POD_NAME).{headless['metadata']['name']}."
    )
    assert statefulset["spec"]["volumeClaimTemplates"]


def test_each_database_is_its_own_statefulset_reachable_by_its_owner_only(k8s_docs):
    statefulsets = of_kind(k8s_docs, "StatefulSet")
    policies = of_kind(k8s_docs, "NetworkPolicy")
    for owner in (*SERVICES, "gateway"):
        database = statefulsets[f"postgres-{owner}"]
        assert database["spec"]["replicas"] == 1
        assert database["spec"]["volumeClaimTemplates"]
        env = {e["name"]: e for e in pod_spec(database)["containers"][0]["env"]}
        password = env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert password == {"name": f"{owner}-db", "key": "password"}
        (rule,) = policies[f"postgres-{owner}"]["spec"]["ingress"]
        assert rule["from"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": owner}}}
        ]


def rpc_queue_of(service: str) -> str:
    """The queue nameko's RPC entrypoints of `service` consume, by nameko's own template."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nameko.rpc import RPC_QUEUE_TEMPLATE
    return RPC_QUEUE_TEMPLATE.format(service)


def test_booking_scales_on_its_rpc_queue_depth(k8s_docs):
    scaled = of_kind(k8s_docs, "ScaledObject")["booking"]
    target = scaled["spec"]["scaleTargetRef"]
    booking = of_kind(k8s_docs, target["kind"])[target["name"]]
    assert "replicas" not in booking["spec"], "KEDA owns the count"
    assert booking["spec"]["template"]["spec"]["containers"][0]["command"][-1].startswith(
        "loconomics_booking."
    )
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == rpc_queue_of("booking") == "rpc-booking"
    assert trigger["metadata"]["mode"] == "QueueLength"
    assert int(trigger["metadata"]["value"]) > 0
    assert 2 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    authentication = of_kind(k8s_docs, "TriggerAuthentication")[
        trigger["authenticationRef"]["name"]
    ]
    secrets = of_kind(k8s_docs, "Secret")
    for ref in authentication["spec"]["secretTargetRef"]:
        assert ref["key"] in secrets[ref["name"]]["stringData"]
    budget = of_kind(k8s_docs, "PodDisruptionBudget")["booking"]
    assert budget["spec"]["minAvailable"] < scaled["spec"]["minReplicaCount"]


def test_monitoring_mounts_the_generated_configs(k8s_docs):
    configmaps = of_kind(k8s_docs, "ConfigMap")
    prometheus_config = next(v for k, v in configmaps.items() if k.startswith("prometheus-config"))
    assert prometheus_config["data"]["prometheus.yml"] == (
        ROOT / "deploy/prometheus/prometheus-k8s.yml"
    ).read_text()
    assert prometheus_config["data"]["rules.yml"] == (
        ROOT / "deploy/prometheus/rules.yml"
    ).read_text()
    dashboards = next(v for k, v in configmaps.items() if k.startswith("grafana-dashboards"))
    assert dashboards["data"]["loconomics.json"] == (
        ROOT / "deploy/grafana/dashboards/loconomics.json"
    ).read_text()


def test_every_variable_given_to_our_containers_is_one_the_code_reads(
    k8s_docs, settings_catalogue
):
    configmaps = of_kind(k8s_docs, "ConfigMap")
    checked = 0
    for workload in workloads(k8s_docs):
        for container in containers(workload):
            if not OUR_IMAGE.match(container["image"]):
                continue
            names = [variable["name"] for variable in container.get("env", [])]
            for source in container.get("envFrom", []):
                names += list(configmaps[source["configMapRef"]["name"]]["data"])
            for name in names:
                assert settings_catalogue.reads(name), f"nothing reads {name}"
                checked += 1
    assert checked
