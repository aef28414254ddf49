"""Settings read from the environment, one place for every service's names and defaults."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def project_var_dir() -> Path:
    """Where embedded defaults keep their files (SQLite databases, mail, logs)."""
    return Path(os.environ.get("LOCONOMICS_VAR", Path.cwd() / "var"))


def database_url(service_name: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a SQLite file under var/data: the embedded default."""
    explicit = os.environ.get(f"{service_name.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    data_dir = project_var_dir() / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / (service_name + '.sqlite3')}"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def metrics_port(service_name: str) -> int:
    """0 turns the metrics endpoint off (unit tests, a second copy on one host)."""
    return int(os.environ.get(f"{service_name.upper()}_METRICS_PORT", "0"))


def token_secret() -> str:
    secret = os.environ.get("LOCONOMICS_TOKEN_SECRET", "")
    if not secret:
        if os.environ.get("LOCONOMICS_ENV", "development") == "production":
            raise RuntimeError("LOCONOMICS_TOKEN_SECRET must be set in production")
        secret = "development-only-secret-change-me-0123456789"
    return secret


def setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


def int_setting(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))
