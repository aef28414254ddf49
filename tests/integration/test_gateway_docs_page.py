"""/docs in a real headless Chromium: the page renders the OpenAPI document with every operation."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.integration

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=20000",
]


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "chromium is installed by deploy/local/test-tools.sh (make test)"
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docs_page_lists_every_operation(platform, api, tmp_path):
    spec = api.get("/openapi.json").json()
    url = f"{platform.gateway_url}/docs"

    shot = tmp_path / "docs.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,3000", url)
    assert shot.exists() and shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    dom = chromium(tmp_path, "--dump-dom", url).stdout
    assert re.search(r"<title>Loconomics API</title>", dom)
    assert "Loconomics API" in dom
    rendered = set(re.findall(r'data-path="([^"]+)"', dom))
    documented = set(spec["paths"])
    assert documented, "the document lists no paths"
    assert documented <= rendered, f"not rendered: {sorted(documented - rendered)}"
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            assert operation["summary"] in dom
