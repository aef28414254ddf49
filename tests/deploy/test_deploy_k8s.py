"""deploy/k8s: a kustomize base and two overlays (dev, production), valid for Kubernetes,
consistent with each other and with the code, and with no secret committed.

kubernetes-validate has schemas for built-in kinds only; it validates every one of them and
skips the operators' kinds (KEDA's ScaledObject and TriggerAuthentication, the RabbitMQ Cluster
Operator's RabbitmqCluster, CloudNativePG's Cluster and ScheduledBackup). Their CRD schemas are
not available offline, so those are checked here against a minimal hand-written list of the
fields each must have (CRD_REQUIRED) and by what they refer to.
"""

from __future__ import annotations

import base64
import re
import subprocess
import warnings
from pathlib import Path

import pytest
import yaml
from deploy_commands import one_shot_steps

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
BASE = K8S / "base"
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")
OWNERS = (*SERVICES, "gateway")
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
OVERLAYS = ("dev", "production")
CRD_KINDS = {
    "dev": {"ScaledObject", "TriggerAuthentication", "RabbitmqCluster", "Cluster"},
    "production": {
        "ScaledObject", "TriggerAuthentication", "RabbitmqCluster", "Cluster", "ScheduledBackup",
    },
}
# The fields each operator kind cannot do without (dotted paths), by apiVersion and kind.
CRD_REQUIRED = {
    ("keda.sh/v1alpha1", "ScaledObject"): ("spec.scaleTargetRef.name", "spec.triggers"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): ("spec.secretTargetRef",),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): (
        "spec.replicas", "spec.image", "spec.rabbitmq.additionalPlugins",
        "spec.rabbitmq.additionalConfig", "spec.persistence.storage", "spec.resources",
        "spec.secretBackend.externalSecret.name",
    ),
    ("postgresql.cnpg.io/v1", "Cluster"): (
        "spec.instances", "spec.imageName", "spec.storage.size", "spec.resources",
        "spec.bootstrap.initdb.database", "spec.bootstrap.initdb.owner",
        "spec.bootstrap.initdb.secret.name",
    ),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): (
        "spec.schedule", "spec.cluster.name", "spec.method",
    ),
}
WORKLOADS = ("Deployment", "StatefulSet", "Job")
OUR_IMAGE = re.compile(r"^loconomics:")
PINNED_TAG = re.compile(r"^[^:@/]+(/[^:@]+)*:(?!latest$)[\w][\w.-]*\d[\w.-]*$")
# Pods the operators create from our resources, by the labels they give them.
OPERATOR_POD_LABELS = [
    {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/component": "rabbitmq"},
    *({"cnpg.io/cluster": f"postgres-{owner}"} for owner in OWNERS),
]


def manifest_files() -> list[Path]:
    return sorted(p for p in BASE.rglob("*.yaml") if p.name != "kustomization.yaml")


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


def field(doc: dict, path: str):
    for key in path.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def secret_keys(docs: list[dict]) -> dict[str, set[str]]:
    return {
        name: set(doc.get("stringData", {})) | set(doc.get("data", {}))
        for name, doc in of_kind(docs, "Secret").items()
    }


def referenced_secrets(docs: list[dict]) -> dict[str, set[str]]:
    """Every secret the manifests read, with the keys they read, operator kinds included."""
    wanted: dict[str, set[str]] = {}

    def want(name: str, *keys: str) -> None:
        wanted.setdefault(name, set()).update(keys)

    for workload in workloads(docs):
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                want(volume["secret"]["secretName"])
        for container in containers(workload):
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    want(ref["name"], ref["key"])
    for auth in of_kind(docs, "TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            want(ref["name"], ref["key"])
    for broker in of_kind(docs, "RabbitmqCluster").values():
        # The operator mounts default_user.conf; username and password are what it logs in with.
        want(broker["spec"]["secretBackend"]["externalSecret"]["name"],
             "username", "password", "default_user.conf")
    for database in of_kind(docs, "Cluster").values():
        want(database["spec"]["bootstrap"]["initdb"]["secret"]["name"], "username", "password")
        store = field(database, "spec.backup.barmanObjectStore.s3Credentials") or {}
        for ref in store.values():
            want(ref["name"], ref["key"])
    return wanted


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_builds_and_validates_strictly(tools, k8s_builds, overlay, version):
    path, _ = k8s_builds[overlay]
    result = tools.run("kubernetes-validate", "--strict", "-k", version, str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    unvalidated = set(re.findall(r"schema for kind (\w+)", result.stdout + result.stderr))
    assert unvalidated == CRD_KINDS[overlay]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_operator_kinds_have_the_fields_they_need(k8s_builds, overlay):
    docs = k8s_builds[overlay][1]
    checked = set()
    for doc in docs:
        if doc["kind"] not in CRD_KINDS[overlay]:
            continue
        required = CRD_REQUIRED[(doc["apiVersion"], doc["kind"])]
        missing = [path for path in required if field(doc, path) in (None, "", [], {})]
        assert not missing, (doc["kind"], doc["metadata"]["name"], missing)
        assert doc["metadata"]["namespace"] == "loconomics"
        checked.add(doc["kind"])
    assert checked == CRD_KINDS[overlay]


def test_each_base_file_validates_on_its_own(tools):
    files = [str(p.relative_to(ROOT)) for p in manifest_files()]
    result = tools.run("kubernetes-validate", "--strict", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = set(re.findall(r"INFO (\S+) passed", result.stdout + result.stderr))
    assert passed == set(files) - {"deploy/k8s/base/booking-autoscaling.yaml"}


def test_the_validator_rejects_a_broken_manifest(tools, tmp_path):
    gateway = [d for d in yaml.safe_load_all((BASE / "gateway.yaml").read_text())][0]
    gateway["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pathh"] = "/"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(gateway))
    result = tools.run("kubernetes-validate", "--strict", str(path))
    assert result.returncode != 0
    assert "pathh" in result.stdout + result.stderr


def test_the_base_lists_every_manifest_and_the_overlays_build_on_it():
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    files = {str(p.relative_to(BASE)) for p in manifest_files()}
    shared = {"../../prometheus", "../../grafana"}
    assert listed - shared == files
    assert shared <= listed
    assert kustomization["namespace"] == "loconomics"
    for overlay in OVERLAYS:
        overlay_kustomization = yaml.safe_load(
            (K8S / "overlays" / overlay / "kustomization.yaml").read_text()
        )
        assert "../../base" in overlay_kustomization["resources"]
        assert overlay_kustomization["namespace"] == "loconomics"
    assert {p.name for p in K8S.iterdir()} == {"base", "overlays"}


def test_no_secret_is_committed(k8s_docs):
    tracked = subprocess.run(
        ["git", "ls-files", "deploy/k8s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked
    for name in tracked:
        text = (ROOT / name).read_text()
        for doc in yaml.safe_load_all(text) if name.endswith(".yaml") else ():
            assert not (doc and doc.get("kind") == "Secret"), name
        assert "secretGenerator" not in text or name.startswith("deploy/k8s/overlays/dev/"), name
        assert not name.startswith("deploy/k8s/overlays/dev/secrets/"), name
    assert not of_kind(k8s_docs, "Secret"), "production only references secrets"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/k8s/overlays/dev/secrets/booking-db.env"], cwd=ROOT
    )
    assert ignored.returncode == 0, "the dev overlay's secret files must be gitignored"


def test_the_dev_overlay_generates_every_secret_the_manifests_read(dev_docs):
    have = secret_keys(dev_docs)
    for name, keys in referenced_secrets(dev_docs).items():
        if name == "gateway-tls":
            continue
        assert name in have, f"dev generates no secret {name}"
        assert keys <= have[name], (name, keys - have[name])


def test_production_documents_every_secret_it_references(k8s_docs):
    readme = (ROOT / "deploy/README.md").read_text()
    for name in referenced_secrets(k8s_docs):
        assert f"`{name}`" in readme, f"deploy/README.md does not tell how to create {name}"
    assert "`backup-s3`" in readme


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
    images |= {d["spec"]["image"] for d in of_kind(k8s_docs, "RabbitmqCluster").values()}
    images |= {d["spec"]["imageName"] for d in of_kind(k8s_docs, "Cluster").values()}
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


def pod_templates(docs: list[dict]) -> list[dict]:
    """The labels of every pod the manifests make, ours and the operators'."""
    return [w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs)] + [
        labels for labels in OPERATOR_POD_LABELS
    ]


def test_every_service_and_budget_selects_pods_that_exist(k8s_docs):
    templates = pod_templates(k8s_docs)
    for service in of_kind(k8s_docs, "Service").values():
        selector = service["spec"]["selector"]
        assert any(selects(selector, labels) for labels in templates), service["metadata"]
    for budget in of_kind(k8s_docs, "PodDisruptionBudget").values():
        selector = budget["spec"]["selector"]["matchLabels"]
        assert any(selects(selector, labels) for labels in templates), budget["metadata"]
    for policy in of_kind(k8s_docs, "NetworkPolicy").values():
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert any(selects(selector, labels) for labels in templates), policy["metadata"]


def least_copies(docs: list[dict], deployment: dict) -> int:
    """How few copies a Deployment runs: its replicas, or its autoscaler's floor."""
    name = deployment["metadata"]["name"]
    for hpa in of_kind(docs, "HorizontalPodAutoscaler").values():
        if hpa["spec"]["scaleTargetRef"]["name"] == name:
            return hpa["spec"].get("minReplicas", 1)
    for scaled in of_kind(docs, "ScaledObject").values():
        if scaled["spec"]["scaleTargetRef"]["name"] == name:
            return scaled["spec"].get("minReplicaCount", 0)
    return deployment["spec"].get("replicas", 1)


def test_every_deployment_of_several_copies_has_a_disruption_budget(k8s_docs):
    budgets = of_kind(k8s_docs, "PodDisruptionBudget").values()
    several = 0
    for deployment in of_kind(k8s_docs, "Deployment").values():
        copies = least_copies(k8s_docs, deployment)
        if copies <= 1:
            continue
        several += 1
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        (budget,) = [b for b in budgets if selects(b["spec"]["selector"]["matchLabels"], labels)]
        assert 1 <= budget["spec"]["minAvailable"] < copies, deployment["metadata"]["name"]
        assert pod_spec(deployment)["terminationGracePeriodSeconds"] >= 30
    assert several == len(SERVICES) + 1


def test_every_referenced_config_and_claim_exists(k8s_docs):
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
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, volume
        for container in containers(workload):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps


def test_prometheus_annotations_name_a_port_the_pod_listens_on(k8s_docs):
    scraped = set()
    for workload in workloads(k8s_docs):
        annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true":
            continue
        ports = {p["containerPort"] for c in containers(workload) for p in c.get("ports", [])}
        assert int(annotations["prometheus.io/port"]) in ports, workload["metadata"]["name"]
        scraped.add(workload["metadata"]["name"])
    assert scraped == {*SERVICES, "gateway"}
    # The broker's pods are the operator's: their annotations come through its override, on
    # the port of rabbitmq_prometheus.
    broker = of_kind(k8s_docs, "RabbitmqCluster")["rabbitmq"]
    template = broker["spec"]["override"]["statefulSet"]["spec"]["template"]
    assert template["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert template["metadata"]["annotations"]["prometheus.io/port"] == "15692"


@pytest.mark.parametrize(("overlay", "nodes"), [("dev", 1), ("production", 3)])
def test_rabbitmq_is_an_operator_cluster_with_its_plugins_and_quorum_event_queues(
    k8s_builds, overlay, nodes
):
    docs = k8s_builds[overlay][1]
    assert not of_kind(docs, "StatefulSet"), "the operators run the stateful parts"
    broker = of_kind(docs, "RabbitmqCluster")["rabbitmq"]
    assert broker["apiVersion"] == "rabbitmq.com/v1beta1"
    assert broker["spec"]["replicas"] == nodes
    assert PINNED_TAG.match(broker["spec"]["image"])
    plugins = set(broker["spec"]["rabbitmq"]["additionalPlugins"])
    assert {"rabbitmq_management", "rabbitmq_prometheus"} <= plugins
    settings = dict(
        line.split(" = ", 1)
        for line in broker["spec"]["rabbitmq"]["additionalConfig"].splitlines()
        if " = " in line and not line.startswith("#")
    )
    # The queue-depth alerts and dashboards need per-queue samples on /metrics.
    assert settings["prometheus.return_per_object_metrics"] == "true"
    config = of_kind(docs, "ConfigMap")["loconomics-config"]["data"]
    assert config["LOCONOMICS_EVENT_QUEUE_TYPE"] == "quorum"
    # The restricted Pod Security Standard, through the operator's override.
    pod = broker["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in pod["containers"] + pod["initContainers"]:
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    budget = of_kind(docs, "PodDisruptionBudget")["rabbitmq"]
    assert selects(budget["spec"]["selector"]["matchLabels"], OPERATOR_POD_LABELS[0])
    assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize(("overlay", "instances"), [("dev", 1), ("production", 2)])
def test_each_database_is_a_cloudnativepg_cluster_reachable_by_its_owner_only(
    k8s_builds, overlay, instances
):
    docs = k8s_builds[overlay][1]
    clusters = of_kind(docs, "Cluster")
    policies = of_kind(docs, "NetworkPolicy")
    assert set(clusters) == {f"postgres-{owner}" for owner in OWNERS}
    for owner in OWNERS:
        database = clusters[f"postgres-{owner}"]
        assert database["apiVersion"] == "postgresql.cnpg.io/v1"
        assert database["spec"]["instances"] == instances
        assert PINNED_TAG.match(database["spec"]["imageName"])
        initdb = database["spec"]["bootstrap"]["initdb"]
        assert initdb == {"database": owner, "owner": owner, "secret": {"name": f"{owner}-db"}}
        policy = policies[f"postgres-{owner}"]
        selector = policy["spec"]["podSelector"]["matchLabels"]
        assert selector == {"cnpg.io/cluster": f"postgres-{owner}"}
        sources = [s for rule in policy["spec"]["ingress"] for s in rule["from"]]
        owners = {
            s["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
            for s in sources if "podSelector" in s
        }
        assert owners == {owner, None}


def decoded(secret: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def test_the_dev_secrets_point_each_owner_at_its_own_database(dev_docs):
    secrets = of_kind(dev_docs, "Secret")
    for owner in OWNERS:
        secret = secrets[f"{owner}-db"]
        assert secret["type"] == "kubernetes.io/basic-auth"
        data = decoded(secret)
        assert data["username"] == owner
        assert data["url"] == (
            f"postgresql+psycopg://{owner}:{data['password']}@postgres-{owner}-rw:5432/{owner}"
        )
    broker = decoded(secrets["rabbitmq-default-user"])
    common = decoded(secrets["loconomics-common"])
    assert f"default_pass = {broker['password']}" in broker["default_user.conf"]
    login = f"{broker['username']}:{broker['password']}"
    assert common["amqp-uri"] == f"amqp://{login}@rabbitmq:5672/%2F"
    assert decoded(secrets["keda-rabbitmq"])["host"] == f"http://{login}@rabbitmq:15672/"


def test_production_backs_every_database_up(k8s_docs):
    clusters = of_kind(k8s_docs, "Cluster")
    backups = of_kind(k8s_docs, "ScheduledBackup")
    assert {b["spec"]["cluster"]["name"] for b in backups.values()} == set(clusters)
    for backup in backups.values():
        assert backup["spec"]["method"] == "barmanObjectStore"
        assert len(backup["spec"]["schedule"].split()) == 6, "CloudNativePG: seconds first"
    for database in clusters.values():
        store = database["spec"]["backup"]["barmanObjectStore"]
        assert store["destinationPath"].startswith("s3://")
        assert {ref["name"] for ref in store["s3Credentials"].values()} == {"backup-s3"}
        assert database["spec"]["backup"]["retentionPolicy"]


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
    assert trigger["authenticationRef"]["name"] in of_kind(k8s_docs, "TriggerAuthentication")
    assert referenced_secrets(k8s_docs)["keda-rabbitmq"] == {"host"}
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
