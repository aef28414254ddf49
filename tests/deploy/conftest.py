"""Shared fixtures of the deployment checks: the repository's deploy files, loaded once.

Validators (promtool, check-jsonschema, kubernetes-validate, kubectl) are installed by
`deploy/check.sh install`; a missing one fails its test with that instruction.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("profiles", "booking", "billing", "governance", "notifications")
CODE_DIRS = ("libs", "services", "gateway")


class Toolbox:
    """The validators, found where deploy/check.sh installs them, and a way to run them."""

    root = ROOT
    services = SERVICES

    def path(self, name: str) -> str:
        beside_python = Path(sys.executable).parent / name
        if beside_python.exists():
            return str(beside_python)
        found = shutil.which(name)
        if found is None:
            pytest.fail(f"{name} is not installed: run deploy/check.sh install")
        return found

    def run(self, name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.path(name), *args], cwd=cwd, capture_output=True, text=True, timeout=180
        )


@pytest.fixture(scope="session")
def tools() -> Toolbox:
    return Toolbox()


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@dataclass
class MetricDefinition:
    name: str
    kind: str
    labels: tuple[str, ...]
    where: str

    def exposed_names(self) -> set[str]:
        """What a scrape shows: prometheus_client adds `_total` to counters, series to
        histograms."""
        base = self.name.removesuffix("_total") if self.kind == "Counter" else self.name
        if self.kind == "Counter":
            return {f"{base}_total", f"{base}_created"}
        if self.kind == "Histogram":
            return {f"{base}_bucket", f"{base}_sum", f"{base}_count", f"{base}_created"}
        if self.kind == "Summary":
            return {base, f"{base}_sum", f"{base}_count", f"{base}_created"}
        return {base}


@dataclass
class MetricCatalogue:
    """Every prometheus_client metric the platform's code defines, by exposed sample name."""

    by_sample: dict[str, MetricDefinition] = field(default_factory=dict)

    def add(self, definition: MetricDefinition) -> None:
        for sample in definition.exposed_names():
            self.by_sample[sample] = definition


def _labels_of(call: ast.Call) -> tuple[str, ...]:
    node = call.args[2] if len(call.args) > 2 else None
    for keyword in call.keywords:
        if keyword.arg == "labelnames":
            node = keyword.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant))
    return ()


@pytest.fixture(scope="session")
def metric_catalogue() -> MetricCatalogue:
    catalogue = MetricCatalogue()
    kinds = {"Counter", "Gauge", "Histogram", "Summary"}
    for top in CODE_DIRS:
        for path in (ROOT / top).rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                first = node.args[0]
                if name in kinds and isinstance(first, ast.Constant) and isinstance(
                    first.value, str
                ):
                    catalogue.add(
                        MetricDefinition(
                            first.value, name, _labels_of(node), str(path.relative_to(ROOT))
                        )
                    )
    return catalogue


@pytest.fixture(scope="session")
def compose() -> dict:
    return load_yaml(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def governance_alone() -> dict:
    return load_yaml(ROOT / "deploy/governance-alone/docker-compose.yml")


OVERLAYS = ("dev", "production")


@pytest.fixture(scope="session")
def k8s_builds(tools, tmp_path_factory) -> dict[str, tuple[Path, list[dict]]]:
    """`kubectl kustomize deploy/k8s/overlays/<overlay>` of each overlay: the file and its
    documents. Built from a copy of deploy/, where the dev overlay's make-secrets.sh writes its
    gitignored secret files as an operator would, so the repository is left untouched."""
    copy = tmp_path_factory.mktemp("deploy")
    for part in ("k8s", "prometheus", "grafana"):
        shutil.copytree(
            ROOT / "deploy" / part, copy / part, ignore=shutil.ignore_patterns("secrets")
        )
    made = subprocess.run(
        [str(copy / "k8s/overlays/dev/make-secrets.sh")], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stdout + made.stderr
    builds = {}
    for overlay in OVERLAYS:
        result = tools.run("kubectl", "kustomize", str(copy / "k8s/overlays" / overlay))
        assert result.returncode == 0, result.stderr
        path = copy / f"built-{overlay}.yaml"
        path.write_text(result.stdout)
        builds[overlay] = (path, [doc for doc in yaml.safe_load_all(result.stdout) if doc])
    return builds


@pytest.fixture(scope="session")
def k8s_docs(k8s_builds) -> list[dict]:
    """The production build: what runs at scale."""
    return k8s_builds["production"][1]


@pytest.fixture(scope="session")
def dev_docs(k8s_builds) -> list[dict]:
    """The dev build: the only one with Secret objects (generated from gitignored files)."""
    return k8s_builds["dev"][1]


@dataclass
class SettingsCatalogue:
    """The environment variables the platform's code reads: string constants of every module
    (a name whole, a prefix and its rest, or `<owner>` + a constant suffix such as
    `_DATABASE_URL`), and `${NAME:default}` in deploy/local/nameko.yaml."""

    constants_by_file: list[set[str]]
    nameko_settings: str
    owners: tuple[str, ...] = (*SERVICES, "gateway")

    def reads(self, name: str) -> bool:
        if f"${{{name}:" in self.nameko_settings:
            return True
        for constants in self.constants_by_file:
            if name in constants:
                return True
            for constant in constants:
                if not constant or not name.startswith(constant) and not name.endswith(constant):
                    continue
                if name.startswith(constant) and name[len(constant):] in constants:
                    return True
                owner = name[: -len(constant)].lower()
                if constant.startswith("_") and name.endswith(constant) and owner in self.owners:
                    return True
        return False


@pytest.fixture(scope="session")
def settings_catalogue() -> SettingsCatalogue:
    constants_by_file = []
    for top in CODE_DIRS:
        for path in (ROOT / top).rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            constants_by_file.append(
                {
                    node.value
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and isinstance(node.value, str)
                }
            )
    nameko_settings = (ROOT / "deploy/local/nameko.yaml").read_text()
    return SettingsCatalogue(constants_by_file, nameko_settings)
