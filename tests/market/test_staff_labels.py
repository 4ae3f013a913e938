"""Inspectors' pages show kinds, statuses, sources, complaints and outcomes by their bilingual
labels (market/labels.py), never as bare codes; the code stays in a data-* attribute."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.market import labels
from epicontrol.market.models import ComplaintKind, Product, SellerKind
from tests.factories import City, login
from tests.market.support import add_complaint, add_price, add_seller, user_id

CODES = {code for vocabulary in labels.VOCABULARIES.values() for code in vocabulary}


def _bare_codes(html: str) -> set[str]:
    """Codes standing alone in the page's visible text (a text node, or a part of one
    between '·' separators); scripts, tags and attributes are not visible."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    parts = (part.strip() for node in re.split(r"<[^>]*>", html) for part in node.split("·"))
    return {part for part in parts if part in CODES}


def test_every_code_of_the_models_has_a_label() -> None:
    for vocabulary, codes in (
        (labels.PRODUCT, Product),
        (labels.SELLER_KIND, SellerKind),
        (labels.COMPLAINT, ComplaintKind),
    ):
        assert set(vocabulary) == {code.value for code in codes}
    for vocabulary in labels.VOCABULARIES.values():
        for code, shown in vocabulary.items():
            chinese, _, english = shown.partition(" ")
            assert re.search(r"[\u4e00-\u9fff]", chinese) and english, (code, shown)
    assert labels.label("case_status", "retired_code") == "retired_code"


def test_board_seller_and_case_pages_show_labels_not_codes(
    client: TestClient, city: City, db: Session
) -> None:
    inspector = login(client, "inspector")
    stall = add_seller(db, city, "东门流动摊", kind=SellerKind.STREET_STALL)
    complaint = add_complaint(
        db, stall, user_id(db, "resident_wang"), kind=ComplaintKind.COUNTERFEIT
    )
    price = add_price(db, stall, "12.00", product=Product.KN95)
    closed = client.post(
        "/api/market/cases",
        headers=inspector,
        json={"seller_id": stall, "source": "report", "report_ids": [complaint]},
    ).json()["id"]
    answer = client.post(
        f"/api/market/cases/{closed}/close",
        headers=inspector,
        json={"version": 1, "outcome": "unfounded"},
    )
    assert answer.status_code == 200, answer.text
    opened = client.post(
        "/api/market/cases",
        headers=inspector,
        json={"seller_id": stall, "source": "report", "report_ids": [price, complaint]},
    ).json()["id"]

    board = client.get("/market", headers=inspector).text
    seller = client.get(f"/market/sellers/{stall}", headers=inspector).text
    case = client.get(f"/market/cases/{opened}", headers=inspector).text

    assert _bare_codes(board) == _bare_codes(seller) == _bare_codes(case) == set()
    assert f'data-kind="street_stall">{labels.SELLER_KIND["street_stall"]}<' in board
    assert 'data-status="open">待处理 open<' in board
    assert (
        "流动摊贩 street stall" in seller
        and 'data-outcome="unfounded">经查不属实 unfounded<' in seller
    )
    assert "已结案 closed" in seller and "假冒伪劣 counterfeit" in seller
    assert 'id="case-status" data-status="open">待处理 open<' in case
    assert 'data-source="report">举报 report<' in case
    assert "KN95口罩 KN95" in case and "假冒伪劣 counterfeit" in case
    assert '<option value="unfounded">经查不属实 unfounded</option>' in case
