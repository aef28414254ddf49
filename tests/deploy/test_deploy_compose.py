"""docker-compose.yml and deploy/governance-alone: valid compose files that start in order."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from deploy_commands import one_shot_steps

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")
COMPOSE_FILES = ("docker-compose.yml", "deploy/governance-alone/docker-compose.yml")
PINNED_TAG = re.compile(r"^[^:@]+:(?!latest$)[\w][\w.-]*\d[\w.-]*$")


def one_shots(spec: dict) -> set[str]:
    return {name for name, svc in spec["services"].items() if svc.get("restart") == "no"}


def awaited_to_complete(spec: dict) -> set[str]:
    return {
        dependency
        for svc in spec["services"].values()
        for dependency, condition in (svc.get("depends_on") or {}).items()
        if condition.get("condition") == "service_completed_successfully"
    }


@pytest.mark.parametrize("relative", COMPOSE_FILES)
def test_compose_file_matches_the_compose_spec_schema(tools, relative):
    result = tools.run("check-jsonschema", "--builtin-schema", "vendor.compose-spec", relative)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_compose_file(tools, tmp_path):
    broken = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    broken["services"]["gateway"]["healthcheck"]["intervall"] = "10s"
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = tools.run("check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(path))
    assert result.returncode != 0
    assert "intervall" in result.stdout + result.stderr


@pytest.mark.parametrize("relative", COMPOSE_FILES)
def test_every_service_has_a_healthcheck_or_is_a_one_shot_others_wait_for(relative):
    spec = yaml.safe_load((ROOT / relative).read_text())
    shots = one_shots(spec)
    assert shots <= awaited_to_complete(spec), "a one-shot nobody waits for"
    for name, svc in spec["services"].items():
        if name in shots:
            assert "healthcheck" not in svc or svc["healthcheck"].get("disable"), name
            continue
        check = svc.get("healthcheck") or {}
        assert not check.get("disable"), name
        assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), name


@pytest.mark.parametrize("relative", COMPOSE_FILES)
def test_every_image_is_pinned_to_a_version_tag(relative):
    spec = yaml.safe_load((ROOT / relative).read_text())
    for name, svc in spec["services"].items():
        assert PINNED_TAG.match(svc["image"]), f"{name}: {svc['image']}"


def test_the_pin_pattern_refuses_latest_and_missing_tags():
    assert PINNED_TAG.match("postgres:17.6-alpine")
    assert not PINNED_TAG.match("postgres:latest")
    assert not PINNED_TAG.match("postgres")
    assert not PINNED_TAG.match("postgres:alpine")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_after_its_database_and_its_migration(compose, service):
    services = compose["services"]
    database, migration = f"postgres-{service}", f"migrate-{service}"
    needs = services[service]["depends_on"]
    assert needs["rabbitmq"]["condition"] == "service_healthy"
    assert needs[database]["condition"] == "service_healthy"
    assert needs[migration]["condition"] == "service_completed_successfully"
    assert services[migration]["depends_on"][database]["condition"] == "service_healthy"
    steps = one_shot_steps(services[migration]["command"])
    assert steps[0] == f"python -m loconomics_plumbing.migrate upgrade {service}"
    url_variable = f"{service.upper()}_DATABASE_URL"
    url = services[service]["environment"][url_variable]
    assert url == services[migration]["environment"][url_variable]
    assert url.startswith("postgresql+psycopg://") and f"@{database}:5432/{service}" in url
    assert services[database]["environment"]["POSTGRES_DB"] == service
    assert services[service]["environment"][f"{service.upper()}_METRICS_PORT"] == "9100"


def test_each_database_has_its_own_named_volume(compose):
    volumes = {}
    for name, svc in compose["services"].items():
        if name.startswith("postgres-"):
            (mount,) = svc["volumes"]
            volume, target = mount.split(":")[:2]
            assert target == "/var/lib/postgresql/data"
            volumes[name] = volume
    assert set(volumes) == {f"postgres-{s}" for s in SERVICES} | {"postgres-gateway"}
    assert len(set(volumes.values())) == len(volumes)
    assert set(volumes.values()) <= set(compose["volumes"])


def nameko_class(command: list[str]) -> tuple[str, str]:
    assert command[:4] == ["nameko", "run", "--config", "deploy/local/nameko.yaml"]
    module, cls = command[4].split(":")
    return module, cls


def classes_in(path: Path) -> dict[str, ast.ClassDef]:
    tree = ast.parse(path.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def service_name_of(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        if (
            isinstance(statement, ast.Assign)
            and any(getattr(t, "id", None) == "name" for t in statement.targets)
            and isinstance(statement.value, ast.Constant)
        ):
            return statement.value.value
    return None


@pytest.mark.parametrize("service", SERVICES)
def test_service_command_runs_the_service_class_the_code_defines(compose, service):
    module, cls = nameko_class(compose["services"][service]["command"])
    assert module == f"loconomics_{service}.service"
    source = ROOT / "services" / service / f"loconomics_{service}" / "service.py"
    classes = classes_in(source)
    assert cls in classes, f"{source} defines no {cls}"
    assert service_name_of(classes[cls]) == service


def test_gateway_runs_gunicorn_on_the_wsgi_app_with_shared_stores(compose):
    gateway = compose["services"]["gateway"]
    assert gateway["command"] == [
        "gunicorn", "-c", "gateway/gunicorn.conf.py", "loconomics_gateway.wsgi:app",
    ]
    assert (ROOT / "gateway/gunicorn.conf.py").is_file()
    wsgi = (ROOT / "gateway/loconomics_gateway/wsgi.py").read_text()
    assert re.search(r"^app = ", wsgi, re.MULTILINE)
    env = gateway["environment"]
    assert env["GATEWAY_HOST"] == "0.0.0.0" and env["GATEWAY_PORT"] == "8000"
    assert env["RATE_LIMIT_STORAGE_URI"].startswith("redis://redis:6379/")
    assert env["PROMETHEUS_MULTIPROC_DIR"] in gateway["tmpfs"]
    for needed in ("rabbitmq", "redis", *SERVICES):
        assert gateway["depends_on"][needed]["condition"] == "service_healthy", needed
    assert "healthz" in " ".join(gateway["healthcheck"]["test"])


def test_billing_talks_to_localstripe_and_notifications_to_the_sink(compose):
    services = compose["services"]
    billing = services["billing"]["environment"]
    assert billing["STRIPE_API_BASE"].endswith("//localstripe:8420}")
    assert {"STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"} <= set(billing)
    notifications = services["notifications"]["environment"]
    assert notifications["SMTP_HOST"].endswith(":-smtp-sink}")
    # The sink is Mailpit: SMTP on 1025 and its web UI on 8025, published for a browser.
    sink = services["smtp-sink"]
    assert sink["image"].startswith("axllent/mailpit:v")
    assert notifications["SMTP_PORT"] == "${SMTP_PORT:-1025}"
    assert any(str(port).endswith(":8025") for port in sink["ports"])
    assert "readyz" in sink["healthcheck"]["test"]


@pytest.mark.parametrize("relative", COMPOSE_FILES)
def test_every_mounted_file_exists_in_the_repository(relative):
    compose_file = ROOT / relative
    spec = yaml.safe_load(compose_file.read_text())
    mounts = [
        mount.split(":")[0]
        for svc in spec["services"].values()
        for mount in svc.get("volumes", [])
        if mount.startswith(".")
    ]
    assert mounts or relative != "docker-compose.yml"
    for source in mounts:
        assert (compose_file.parent / source).exists(), source


@pytest.mark.parametrize("relative", COMPOSE_FILES)
def test_build_targets_are_stages_of_the_dockerfile(relative):
    compose_file = ROOT / relative
    spec = yaml.safe_load(compose_file.read_text())
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", (ROOT / "Dockerfile").read_text(), re.M))
    builds = [svc["build"] for svc in spec["services"].values() if "build" in svc]
    assert builds
    for build in builds:
        assert (compose_file.parent / build["context"] / "Dockerfile").resolve() == (
            ROOT / "Dockerfile"
        )
        assert build["target"] in stages


def test_governance_alone_runs_only_the_broker_its_database_and_itself(governance_alone):
    services = governance_alone["services"]
    assert set(services) == {"rabbitmq", "postgres", "migrate", "governance"}
    governance = services["governance"]
    module, cls = nameko_class(governance["command"])
    assert (module, cls) == ("loconomics_governance.service", "GovernanceService")
    env = governance["environment"]
    assert env["GOVERNANCE_PLATFORM_MAPPING"] == "none"
    assert env["GOVERNANCE_DATABASE_URL"] == services["migrate"]["environment"][
        "GOVERNANCE_DATABASE_URL"
    ]
    assert governance["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"][-2:] == ["upgrade", "governance"]
    assert (ROOT / "deploy/governance-alone/README.md").is_file()


def test_governance_alone_accepts_only_settings_governance_reads(governance_alone):
    settings = (
        ROOT / "services/governance/loconomics_governance/settings.py"
    ).read_text()
    env = governance_alone["services"]["governance"]["environment"]
    for name in env:
        if name.startswith("GOVERNANCE_") and not name.endswith(
            ("_DATABASE_URL", "_METRICS_PORT")
        ):
            assert f'"{name}"' in settings, name


@pytest.mark.parametrize("relative", COMPOSE_FILES)
def test_every_variable_given_to_our_containers_is_one_the_code_reads(
    relative, settings_catalogue
):
    spec = yaml.safe_load((ROOT / relative).read_text())
    ours = [svc for svc in spec["services"].values() if svc["image"].startswith("loconomics:")]
    assert ours
    for svc in ours:
        for name in svc.get("environment", {}):
            assert settings_catalogue.reads(name), f"nothing reads {name}"


def test_the_settings_catalogue_tells_read_from_unread(settings_catalogue):
    assert settings_catalogue.reads("BOOKING_DATABASE_URL")
    assert settings_catalogue.reads("SMTP_PASSWORD")
    assert settings_catalogue.reads("NAMEKO_MAX_WORKERS")
    assert not settings_catalogue.reads("BOOKING_DATABASE_URI")
    assert not settings_catalogue.reads("NOTIFICATIONS_SMTP_HOST")
