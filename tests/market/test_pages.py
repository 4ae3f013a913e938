"""The market's routes through the app: residents' form, photo and own reports (zh/en),
inspectors' board, seller and case pages and API, each within the caller's division."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.core.settings import Settings
from epicontrol.market.models import MarketCase, MarketReport
from tests.factories import PASSWORD_HASH, City, login
from tests.market.support import add_price, add_seller, user_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _report_form(city: City, **changes: str) -> dict[str, str]:
    form = {
        "kind": "price",
        "seller_name": "好又多大药房",
        "seller_kind": "pharmacy",
        "division_id": str(city.divisions["m1"]),
        "product": "kn95",
        "pack_size": "5",
        "price_yuan": "60",
        "observed_on": "",
        "text": "标价每只12元",
    }
    return {**form, **changes}


def _today(client: TestClient, headers: dict[str, str]) -> str:
    """Today in China, as the report form offers it."""
    form = client.get("/public/market/report", headers=headers).text
    found = re.search(r'name="observed_on" type="date" max="([0-9-]+)"', form)
    assert found is not None
    return found.group(1)


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(MarketReport)) or 0


def test_resident_reports_a_price_with_a_photo_and_sees_it_in_both_languages(
    client: TestClient, city: City, db: Session, settings: Settings
) -> None:
    wang = login(client, "resident_wang")
    form = client.get("/public/market/report?lang=en", headers=wang)
    assert form.status_code == 200 and "Report a mask seller" in form.text
    assert "csrf_token" in form.text or "csrf" not in form.text  # the field, once CSRF exists

    sent = client.post(
        "/public/market/report",
        data=_report_form(city),
        files={"photo": ("tag.png", PNG, "image/png")},
        headers=wang,
        follow_redirects=False,
    )

    assert sent.status_code == 303, sent.text
    report = db.scalars(select(MarketReport)).one()
    assert (report.price_fen, report.pack_size, report.photo_type) == (6000, 5, "png")
    assert (Path(settings.data_dir) / "market_photos" / str(report.photo_file)).is_file()
    english = client.get("/public/market/mine?lang=en", headers=wang)
    assert "60.00 yuan for 5" in english.text and "Received: inspectors review" in english.text
    chinese = client.get("/public/market/mine?lang=zh", headers=wang)
    assert "KN95口罩" in chinese.text and "已收到" in chinese.text
    photo = client.get(f"/public/market/reports/{report.id}/photo", headers=wang)
    assert photo.status_code == 200 and photo.content == PNG
    zhang = login(client, "resident_zhang")
    assert client.get(f"/public/market/reports/{report.id}/photo", headers=zhang).status_code == 404


def test_bad_reports_are_refused_with_the_reason_and_nothing_is_stored(
    client: TestClient, city: City, db: Session
) -> None:
    wang = login(client, "resident_wang")
    cases = [
        ({}, {"photo": ("x.png", b"GIF89a....", "image/png")}, "JPEG, PNG or WebP"),
        ({"price_yuan": ""}, None, "the product, the pack size and the price"),
        ({"seller_name": "", "seller_id": ""}, None, "give the seller"),
        ({"licence_number": "91350100M000100Y44"}, None, "check character"),
        ({"observed_on": "2999-01-01"}, None, "future"),
    ]
    for changes, files, reason in cases:
        answer = client.post(
            "/public/market/report?lang=en",
            data=_report_form(city, **changes),
            files=files,
            headers=wang,
        )
        assert answer.status_code == 422, (changes, answer.status_code)
        assert reason in answer.text, (changes, re.findall(r'role="alert">([^<]*)', answer.text))
    chinese = client.post(
        "/public/market/report?lang=zh", data=_report_form(city, price_yuan=""), headers=wang
    )
    assert "价格举报须填写" in chinese.text
    assert _count(db) == 0


def test_a_complaint_through_the_api_and_the_outcome_on_my_reports(
    client: TestClient, city: City, db: Session
) -> None:
    wang, inspector = login(client, "resident_wang"), login(client, "inspector")
    seller = add_seller(db, city, "劣质口罩店")
    made = client.post(
        "/api/market/reports",
        headers=wang,
        json={
            "kind": "complaint",
            "seller_id": seller,
            "complaint_kind": "counterfeit",
            "observed_on": "2020-02-09",
            "text": "假冒3M",
        },
    )
    # 2020 is outside the 60 days before today: refused.
    assert made.status_code == 422
    day = _today(client, wang)
    made = client.post(
        "/api/market/reports",
        headers=wang,
        json={
            "kind": "complaint",
            "seller_id": seller,
            "complaint_kind": "counterfeit",
            "observed_on": day,
            "text": "假冒3M",
        },
    )
    assert made.status_code == 201, made.text
    opened = client.post(
        "/api/market/cases",
        headers=inspector,
        json={"seller_id": seller, "source": "report", "report_ids": [made.json()["id"]]},
    )
    assert opened.status_code == 201
    case_id = opened.json()["id"]
    closed = client.post(
        f"/api/market/cases/{case_id}/close",
        headers=inspector,
        json={"version": 1, "outcome": "unfounded"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    stale = client.post(
        f"/api/market/cases/{case_id}/close",
        headers=inspector,
        json={"version": 1, "outcome": "unfounded"},
    )
    assert stale.status_code == 409

    (mine,) = client.get("/api/market/reports/mine", headers=wang).json()
    assert mine["case"]["outcome"] == "unfounded" and mine["is_new_outcome"]
    page = client.get("/public/market/mine?lang=en", headers=wang).text
    assert "Closed: Not confirmed" in page and 'id="new-outcomes"' not in page  # seen already


def test_board_puts_flagged_sellers_first_draws_the_chart_without_inline_script(
    client: TestClient, city: City, db: Session
) -> None:
    inspector = login(client, "inspector")
    seller = add_seller(db, city, "劣质口罩店")
    wang, zhang = login(client, "resident_wang"), login(client, "resident_zhang")
    day = _today(client, wang)  # the board judges the window ending today
    for who in (wang, zhang, inspector):
        answer = client.post(
            "/api/market/reports",
            headers=who,
            json={
                "kind": "complaint",
                "seller_id": seller,
                "complaint_kind": "substandard",
                "observed_on": day,
            },
        )
        assert answer.status_code == 201
    client.post(
        "/api/market/reports",
        headers=wang,
        json={
            "kind": "price",
            "seller_id": seller,
            "product": "surgical",
            "pack_size": 10,
            "price_yuan": "15",
            "observed_on": day,
        },
    )

    board = client.get("/market", headers=inspector)

    assert board.status_code == 200
    assert board.text.index('id="flags"') < board.text.index('id="sellers"')
    assert f'data-seller="{seller}" data-rule="complaints"' in board.text
    assert 'data-plotly-figure="price-chart"' in board.text and "/static/pages.js" in board.text
    for script in re.findall(r"<script([^>]*)>", board.text):
        assert "src=" in script or 'type="application/json"' in script, script
    flags = client.get("/api/market/flags", headers=inspector).json()
    assert [f["rule"] for f in flags] == ["complaints"] and len(flags[0]["report_ids"]) == 3
    seller_page = client.get(f"/market/sellers/{seller}", headers=inspector).text
    assert "resident_wang" not in seller_page and "resident_zhang" not in seller_page


def test_inspectors_see_only_their_division_and_residents_no_board(
    client: TestClient, city: City, db: Session
) -> None:
    db.add(
        User(
            username="inspector_d2",
            display_name="d2",
            password_hash=PASSWORD_HASH,
            role=Role.MARKET_INSPECTOR.value,
            division_id=city.divisions["d2"],
        )
    )
    db.commit()
    d2, inspector = login(client, "inspector_d2"), login(client, "inspector")
    seller = add_seller(db, city, "m1药房", "m1")
    report = add_price(db, seller, "3.00")
    opened = client.post(
        "/api/market/cases",
        headers=inspector,
        json={"seller_id": seller, "source": "report", "report_ids": [report]},
    )
    case_id = opened.json()["id"]

    assert client.get(f"/market/sellers/{seller}", headers=d2).status_code == 403
    assert client.get(f"/market/cases/{case_id}", headers=d2).status_code == 403
    assert (
        client.post(
            "/api/market/cases",
            headers=d2,
            json={"seller_id": seller, "source": "report", "report_ids": [report]},
        ).status_code
        == 403
    )
    assert "m1药房" not in client.get("/market", headers=d2).text
    wang = login(client, "resident_wang")
    assert client.get("/market", headers=wang).status_code == 403
    assert client.get("/api/market/flags", headers=wang).status_code == 403
    assert (
        client.get("/public/market/report", headers=login(client, "commander")).status_code == 403
    )


def test_case_page_steps_and_a_stale_form_gets_409_with_the_page(
    client: TestClient, city: City, db: Session
) -> None:
    inspector = login(client, "inspector")
    seller = add_seller(db, city, "药房")
    report = add_price(db, seller, "3.00")
    made = client.post(
        "/market/cases",
        headers=inspector,
        follow_redirects=False,
        data={"seller_id": seller, "source": "report", "report_ids": str(report)},
    )
    assert made.status_code == 303
    case_id = db.scalar(select(MarketCase.id))
    me = user_id(db, "inspector")

    assigned = client.post(
        f"/market/cases/{case_id}/assign",
        headers=inspector,
        data={"version": "1", "assignee_user_id": str(me)},
        follow_redirects=False,
    )
    stale = client.post(
        f"/market/cases/{case_id}/assign",
        headers=inspector,
        data={"version": "1", "assignee_user_id": str(me)},
    )
    inspected = client.post(
        f"/market/cases/{case_id}/inspection",
        headers=inspector,
        data={
            "version": "2",
            "inspected_on": "2020-02-10",
            "findings": "无进货凭证",
            "samples": "",
        },
        follow_redirects=False,
    )
    no_amount = client.post(
        f"/market/cases/{case_id}/close",
        headers=inspector,
        data={"version": "3", "outcome": "fine", "fine_yuan": ""},
    )
    closed = client.post(
        f"/market/cases/{case_id}/close",
        headers=inspector,
        data={"version": "3", "outcome": "fine", "fine_yuan": "2000"},
        follow_redirects=False,
    )

    assert (assigned.status_code, inspected.status_code, closed.status_code) == (303, 303, 303)
    assert stale.status_code == 409 and 'id="case-error"' in stale.text
    assert no_amount.status_code == 422 and "fine needs its amount" in no_amount.text
    page = client.get(f"/market/cases/{case_id}", headers=inspector).text
    assert 'data-status="closed"' in page and "¥2000" in page


def test_seller_suggestions_offer_known_sellers_of_the_division(
    client: TestClient, city: City, db: Session
) -> None:
    add_seller(db, city, "好又多大药房")
    answer = client.get(
        "/public/market/sellers",
        headers=login(client, "resident_wang"),
        params={"seller_name": "好又多", "division_id": city.divisions["m1"]},
    )
    assert "好又多大药房" in answer.text and 'name="seller_id"' in answer.text
