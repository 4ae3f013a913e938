"""The officer's rounds page opens a round from its form (China times) and draws a lottery; the
public page answers a refused order with its reason in the visitor's language."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import utcnow
from epicontrol.core.local_time import LOCAL_TIME
from epicontrol.supplies.models import MaskRound
from tests.factories import City
from tests.supplies.support import add_pharmacies, close_now, headers_for, open_round


def test_officer_opens_a_round_from_the_form_and_draws_it(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    officer = headers_for(db, "officer_m1")
    page = client.get("/supplies/rounds", headers=officer)
    assert page.status_code == 200 and "测试大药房" in page.text and "测试m3药房" not in page.text

    start = utcnow().astimezone(LOCAL_TIME).replace(second=0, microsecond=0, tzinfo=None)
    form = {
        "division_id": str(city.divisions["m1"]),
        "title_zh": "第三轮",
        "title_en": "Round three",
        "allocation": "lottery",
        "masks_per_household": "5",
        "supply": "1000",
        "opens_at": start.isoformat(timespec="minutes"),
        "closes_at": (start + timedelta(hours=2)).isoformat(timespec="minutes"),
        "pickup_starts_at": (start + timedelta(days=1)).isoformat(timespec="minutes"),
        "pickup_ends_at": (start + timedelta(days=2)).isoformat(timespec="minutes"),
        "pharmacy_ids": [str(pharmacies["PH-M1"]), str(pharmacies["PH-M1B"])],
    }
    bad = client.post("/supplies/rounds", data={**form, "supply": "3"}, headers=officer)
    assert bad.status_code == 422 and "supply" in bad.text
    made = client.post("/supplies/rounds", data=form, headers=officer, follow_redirects=False)
    assert made.status_code == 303, made.text
    stored = db.scalars(select(MaskRound)).one()
    assert stored.opens_at == start.replace(tzinfo=LOCAL_TIME)  # typed as China time
    assert stored.allocation == "lottery"

    close_now(db, stored.id)
    listed = client.get("/supplies/rounds", headers=officer)
    assert f'action="/supplies/rounds/{stored.id}/draw"' in listed.text
    drawn = client.post(
        f"/supplies/rounds/{stored.id}/draw", headers=officer, follow_redirects=False
    )
    assert drawn.status_code == 303
    db.expire_all()
    assert db.get(MaskRound, stored.id).lottery_seed  # type: ignore[union-attr]
    assert (
        client.get("/supplies/rounds", headers=headers_for(db, "resident_wang")).status_code == 403
    )


def test_public_page_shows_a_refused_order_in_the_visitors_language(
    client: TestClient, city: City, db: Session
) -> None:
    pharmacies = add_pharmacies(db, city)
    round_id = open_round(db, city, [pharmacies["PH-M1"]], supply=5, quota=5)
    anonymous = client.get("/public/masks?lang=en")
    assert anonymous.status_code == 200 and "Log in to reserve" in anonymous.text
    client.cookies.clear()
    order = {"round_id": str(round_id), "place_id": str(pharmacies["PH-M1"])}
    wang = headers_for(db, "resident_wang")
    first = client.post("/public/masks/reserve", data=order, headers=wang, follow_redirects=False)
    assert first.status_code == 303
    late = client.post(
        "/public/masks/reserve?lang=en", data=order, headers=headers_for(db, "resident_zhang")
    )
    assert late.status_code == 409
    assert "Sorry, this round&#39;s masks are all reserved." in late.text
    again = client.post("/public/masks/reserve?lang=zh", data=order, headers=wang)
    assert again.status_code == 409 and "您家在本轮已有预约。" in again.text
