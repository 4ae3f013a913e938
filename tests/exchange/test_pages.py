"""The exchange pages: a liaison asks and manages keys, an approver grants, refuses, revokes."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.exchange.models import ApiKey, Grant
from tests.exchange.conftest import D1, D2, M1
from tests.factories import City, login

EXPORT = "/api/exchange/datasets/contacts_to_locate/export"
SECRET = re.compile(r"epx_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def _ask_form(**overrides: object) -> dict[str, object]:
    return {
        "agency": "public_security",
        "dataset": "contacts_to_locate",
        "fields": ["division_code", "name_masked", "phone"],
        "division_codes": [D1, D2],
        "purpose": "locate contacts who left their homes",
        "expires_on": (local_date(utcnow()) + timedelta(days=10)).isoformat(),
    } | overrides


def _ask(client: TestClient, headers: dict[str, str], **overrides: object) -> int:
    answer = client.post(
        "/exchange/grants", headers=headers, data=_ask_form(**overrides), follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("-", 1)[1])


def test_liaison_asks_on_the_page_and_sees_status_and_reasons(
    client: TestClient, city: City, db: Session, liaison: dict[str, str], approver: dict[str, str]
) -> None:
    page = client.get("/exchange/grants", headers=liaison)
    assert page.status_code == 200 and 'name="division_codes"' in page.text
    fields = client.get(
        "/exchange/grants/fields", headers=liaison, params={"dataset": "case_counts"}
    )
    assert 'value="cases"' in fields.text
    assert "id_number" not in fields.text

    short = client.post("/exchange/grants", headers=liaison, data=_ask_form(purpose="why"))
    assert short.status_code == 422 and "at least 10 characters" in short.text
    unknown = client.post("/exchange/grants", headers=liaison, data=_ask_form(other_codes="999"))
    assert unknown.status_code == 422 and "unknown division codes: 999" in unknown.text
    assert db.scalar(select(func.count()).select_from(Grant)) == 0

    granted = _ask(client, liaison, other_codes=M1)
    refused = _ask(client, liaison)
    stored = db.get(Grant, granted)
    assert stored is not None and stored.expires_at.date() >= local_date(utcnow())

    queue = client.get("/exchange/approvals", headers=approver)
    assert f'id="grant-{granted}"' in queue.text and "narrow" in queue.text.lower()
    # Narrowed: phone and the second district dropped; a refusal needs a reason.
    narrowed = client.post(
        f"/exchange/approvals/{granted}/grant",
        headers=approver,
        data={"fields": ["division_code", "name_masked"], "division_codes": [D1]},
        follow_redirects=False,
    )
    assert narrowed.status_code == 303
    wider = client.post(
        f"/exchange/approvals/{refused}/grant",
        headers=approver,
        data={"fields": ["division_code", "address"], "division_codes": [D1]},
    )
    assert wider.status_code == 422 and "only narrow the fields" in wider.text
    no_reason = client.post(f"/exchange/approvals/{refused}/refuse", headers=approver, data={})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    client.post(
        f"/exchange/approvals/{refused}/refuse",
        headers=approver,
        data={"note": "contacts are located by the grid workers"},
    )
    # The liaison may not open the queue; the approver's decisions show on the liaison's page.
    assert client.get("/exchange/approvals", headers=liaison).status_code == 403
    mine = client.get("/exchange/grants", headers=liaison).text
    row = mine[mine.index(f'id="grant-{granted}"') :]
    assert 'data-status="granted"' in row[:60] and "division_code, name_masked<" in row
    assert "contacts are located by the grid workers" in mine
    db.expire_all()
    grant = db.get(Grant, granted)
    assert grant is not None and grant.field_list == ["division_code", "name_masked"]


def test_key_is_shown_once_works_rotates_and_revokes(
    client: TestClient, city: City, db: Session, liaison: dict[str, str], approver: dict[str, str]
) -> None:
    grant_id = _ask(client, liaison)
    client.post(f"/exchange/approvals/{grant_id}/grant", headers=approver, data={
        "fields": ["division_code", "name_masked"], "division_codes": [D1, D2]})  # fmt: skip
    made = client.post(
        "/exchange/keys", headers=liaison, data={"grant_ids": [grant_id], "label": "gateway"}
    )
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = SECRET.search(made.text)
    assert secret is not None
    key = secret.group(0)
    assert key not in client.get("/exchange/keys", headers=liaison).text  # shown once only
    assert client.get(EXPORT, headers={"X-API-Key": key}).status_code == 200

    key_id = db.scalars(select(ApiKey.id)).one()
    rotated = client.post(
        f"/exchange/keys/{key_id}/rotate", headers=liaison, data={"grace_hours": "0"}
    )
    assert rotated.status_code == 201
    new_key = SECRET.search(rotated.text)
    assert new_key is not None and new_key.group(0) != key
    assert client.get(EXPORT, headers={"X-API-Key": key}).status_code == 401
    assert client.get(EXPORT, headers={"X-API-Key": new_key.group(0)}).status_code == 200

    new_id = max(db.scalars(select(ApiKey.id)))
    # The approver sees every key (never the secret) and may stop any of them.
    overview = client.get("/exchange/approvals", headers=approver).text
    assert f'id="key-{new_id}"' in overview and new_key.group(0) not in overview
    revoked = client.post(
        f"/exchange/keys/{new_id}/revoke", headers=liaison, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get(EXPORT, headers={"X-API-Key": new_key.group(0)}).status_code == 401


def test_liaison_manages_only_keys_of_their_own_requests(
    client: TestClient, city: City, db: Session, liaison: dict[str, str], approver: dict[str, str]
) -> None:
    admin = login(client, "admin")
    theirs = _ask(client, admin, agency="rail")
    client.post(f"/exchange/approvals/{theirs}/grant", headers=approver, data={
        "fields": ["division_code"], "division_codes": [D1]})  # fmt: skip
    stolen = client.post("/exchange/keys", headers=liaison, data={"grant_ids": [theirs]})
    assert stolen.status_code == 403 and "not your requests" in stolen.text
    made = client.post("/exchange/keys", headers=admin, data={"grant_ids": [theirs]})
    assert made.status_code == 201
    key_id = db.scalars(select(ApiKey.id)).one()
    assert f'id="key-{key_id}"' not in client.get("/exchange/keys", headers=liaison).text
    assert client.post(f"/exchange/keys/{key_id}/revoke", headers=liaison).status_code == 403
    approver_stop = client.post(
        f"/exchange/approvals/keys/{key_id}/revoke", headers=approver, follow_redirects=False
    )
    assert approver_stop.status_code == 303
    db.expire_all()
    key = db.get(ApiKey, key_id)
    assert key is not None and key.revoked_at is not None
