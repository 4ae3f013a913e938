"""`epicontrol demo --serve` (what `make demo` runs) builds a city and serves it on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import free_port, wait_until_up


def test_demo_builds_serves_login_and_healthz(tmp_path: Path) -> None:
    # The demo is the embedded default, so this runs on SQLite only.
    port = free_port()
    env = {
        **os.environ,
        "EPICONTROL_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "EPICONTROL_DATA_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",
    }
    command = [
        sys.executable,
        "-m",
        "epicontrol.cli",
        "demo",
        "--residents",
        "600",
        "--days",
        "2",
        "--reset",
        "--serve",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, timeout=90)
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        assert 'name="password"' in httpx.get(f"{base}/login").text
        with httpx.Client(base_url=base) as browser:
            login = browser.post("/login", data={"username": "officer", "password": "demo-officer"})
            assert login.status_code == 303
            assert "community_officer" in browser.get("/").text
        # The public portal has something to show: seeded articles, clinics, the feed.
        facts = httpx.get(f"{base}/api/public/articles", params={"kind": "fact"}).json()
        assert facts["total"] >= 10
        assert "发热门诊" in httpx.get(f"{base}/public/clinics?lang=zh").text
        assert 'id="provinces"' in httpx.get(f"{base}/public/situation?lang=en").text
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert "demo-commander" in output, "the demo logins are printed when it starts"
