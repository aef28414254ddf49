"""The Dockerfile: one image for every service and the gateway, built from what it needs."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


@dataclass
class Stage:
    name: str
    parent: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip()
    ]


def global_args() -> dict[str, str]:
    args = {}
    for keyword, rest in instructions(DOCKERFILE):
        if keyword == "FROM":
            break
        if keyword == "ARG" and "=" in rest:
            key, value = rest.split("=", 1)
            args[key.strip()] = value.strip()
    return args


def stages() -> dict[str, Stage]:
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for keyword, rest in instructions(DOCKERFILE):
        if keyword == "FROM":
            image, _, name = rest.partition(" AS ")
            current = Stage(name.strip(), image.strip())
            found[current.name] = current
        elif current is not None:
            current.instructions.append((keyword, rest))
    return found


def chain(stage: str) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    all_stages = stages()
    result = []
    while stage in all_stages:
        result.append(all_stages[stage])
        stage = all_stages[stage].parent
    return result


def effective(stage: str, keyword: str) -> list[str]:
    return [
        rest for s in reversed(chain(stage)) for k, rest in s.instructions if k == keyword
    ]


def resolve(image: str) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: global_args()[m.group(1)], image)


def dockerignored(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        bare = pattern.lstrip("!").rstrip("/")
        forms = {bare, bare.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(c, f) for c in candidates for f in forms):
            excluded = not negated
    return excluded


def test_the_image_is_built_in_stages_from_a_pinned_slim_python_311():
    all_stages = stages()
    assert len(all_stages) >= 3
    bases = {resolve(s.parent) for s in all_stages.values() if s.parent not in all_stages}
    assert len(bases) == 1
    (base,) = bases
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base


def test_the_default_target_is_the_platform_image():
    assert list(stages())[-1] == "runtime"


@pytest.mark.parametrize("stage", ["runtime", "devtools"])
def test_final_images_run_as_a_non_root_user(stage):
    users = effective(stage, "USER")
    assert users, f"{stage} sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    commands = [c.strip() for run in effective(stage, "RUN") for c in run.split("&&")]
    (useradd,) = [shlex.split(c) for c in commands if c.startswith("useradd ")]
    assert useradd[-1] == user
    args = dict(a.split("=", 1) for a in effective(stage, "ARG") if "=" in a)
    uid = useradd[useradd.index("--uid") + 1]
    uid = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], uid)
    assert int(uid) > 0


def test_the_platform_is_installed_with_the_constraints():
    (install,) = [
        rest for k, rest in stages()["build"].instructions if k == "RUN" and "./gateway" in rest
    ]
    assert "-c constraints.txt" in install
    makefile = (ROOT / "Makefile").read_text()
    packages = re.search(r"^PACKAGES := ((?:.*\\\n)*.*)$", makefile, re.M).group(1)
    for package in packages.replace("\\", " ").split():
        assert f"./{package}" in install.split(), package
    assert "psycopg[binary]" in install


def test_every_copied_source_exists_and_is_in_the_build_context():
    copies = [
        rest.split()
        for s in stages().values()
        for k, rest in s.instructions
        if k == "COPY" and not rest.startswith("--from")
    ]
    assert copies
    for *sources, _destination in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not dockerignored(source), f"{source} is excluded by .dockerignore"
            if (ROOT / source).is_dir():
                projects = list((ROOT / source).glob("**/pyproject.toml"))
                assert projects, source
                for project in projects:
                    assert not dockerignored(str(project.relative_to(ROOT))), project


def test_the_context_leaves_out_tests_caches_and_the_venv():
    assert dockerignored(".venv/bin/python")
    assert dockerignored("var/data/profiles.sqlite3")
    assert dockerignored("services/booking/tests/unit/test_booking_slots.py")
    assert dockerignored("libs/plumbing/loconomics_plumbing/__pycache__/config.cpython-311.pyc")
    assert not dockerignored("services/booking/loconomics_booking/service.py")


def test_the_files_commands_name_by_path_are_in_the_runtime_image():
    workdir = effective("runtime", "WORKDIR")[-1]
    assert workdir == "/app"
    copied = {rest.split()[-1] for rest in effective("runtime", "COPY")}
    assert {"deploy/local/nameko.yaml", "gateway/gunicorn.conf.py"} <= copied
    (command,) = effective("runtime", "CMD")
    assert json.loads(command) == [
        "gunicorn", "-c", "gateway/gunicorn.conf.py", "loconomics_gateway.wsgi:app",
    ]


def test_the_devtools_image_carries_the_local_stand_ins():
    (install,) = [rest for k, rest in stages()["build-devtools"].instructions if k == "RUN"]
    assert "localstripe" in install and "aiosmtpd" in install
    copied = {rest.split()[-1] for rest in effective("devtools", "COPY")}
    assert "deploy/local/smtp_sink.py" in copied


def migration_folders() -> list[Path]:
    return sorted(ROOT.glob("services/*/loconomics_*/migrations"))


@pytest.mark.parametrize(
    "folder", migration_folders(), ids=lambda p: p.parent.name.removeprefix("loconomics_")
)
def test_a_service_wheel_carries_its_migrations(folder):
    """The image installs wheels, not the source tree: migrations must be package data."""
    package = folder.parent.name
    project = tomllib.loads((folder.parents[1] / "pyproject.toml").read_text())
    data = project["tool"]["setuptools"].get("package-data", {}).get(package, [])
    for path in folder.rglob("*.py"):
        relative = str(path.relative_to(folder.parent))
        packaged = (path.parent / "__init__.py").exists() or any(
            fnmatch.fnmatchcase(relative, pattern) for pattern in data
        )
        assert packaged, f"{relative} would be left out of the {package} wheel"


def test_there_are_migrations_to_check():
    assert any(p.parent.name == "loconomics_profiles" for p in migration_folders())
