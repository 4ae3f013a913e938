"""Personal passes: offline verification, QR rendering, reissue and revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient

from epicontrol.health_code import passes
from tests.checkpoint_fixtures import Checkpoint, issue_pass
from tests.factories import City, login


def _scan(code: str) -> dict[str, object]:
    at = datetime.now(UTC) - timedelta(seconds=5)
    return {"uuid": str(uuid4()), "code": code, "occurred_at": at.isoformat()}


def test_pass_verifies_with_the_published_public_key_alone(client: TestClient, city: City) -> None:
    issued = issue_pass(client, "resident_wang")
    pem = client.get("/api/passes/public-key")
    assert pem.status_code == 200
    key = load_pem_public_key(pem.text.encode())
    verified = passes.verify(key, issued["payload"])  # type: ignore[arg-type]
    assert verified.pass_id == issued["pass_id"]
    assert city.names["wang_father"] not in issued["payload"]  # pseudonymous


def test_qr_pictures_are_served(client: TestClient, city: City) -> None:
    headers = login(client, "resident_wang")
    assert client.get("/api/passes/me", headers=headers).status_code == 404
    client.post("/api/passes/me", headers=headers)
    svg = client.get("/api/passes/me/qr.svg", headers=headers)
    png = client.get("/api/passes/me/qr.png", headers=headers)
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_revoked_pass_is_refused_at_the_checkpoint(
    client: TestClient, checkpoint: Checkpoint
) -> None:
    pass_id = checkpoint.pass_ids["resident_wang"]
    revoke = client.post(
        f"/api/passes/{pass_id}/revoke",
        json={"reason": "phone stolen"},
        headers=login(client, "officer_m1"),
    )
    assert revoke.status_code == 200, revoke.text
    scan = client.post(
        "/api/scans", json=_scan(checkpoint.payloads["resident_wang"]), headers=checkpoint.headers
    )
    assert scan.status_code == 422
    assert "revoked" in scan.json()["detail"]
    refusal_list = client.get("/api/passes/revoked", headers=checkpoint.headers)
    assert pass_id in refusal_list.json()["pass_ids"]


def test_reissue_replaces_the_old_pass(client: TestClient, checkpoint: Checkpoint) -> None:
    old = checkpoint.payloads["resident_zhang"]
    new = issue_pass(client, "resident_zhang")["payload"]
    assert new != old
    refused = client.post("/api/scans", json=_scan(old), headers=checkpoint.headers)
    accepted = client.post("/api/scans", json=_scan(new), headers=checkpoint.headers)
    assert (refused.status_code, accepted.status_code) == (422, 201)


def test_officer_outside_scope_cannot_revoke(client: TestClient, checkpoint: Checkpoint) -> None:
    response = client.post(
        f"/api/passes/{checkpoint.pass_ids['resident_wang']}/revoke",
        json={"reason": "test"},
        headers=login(client, "officer_m3"),
    )
    assert response.status_code == 403
